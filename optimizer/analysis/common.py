"""Pieces shared by the analyses: tasks, scenario round trips, money in words.

A *task* is a small JSON-able dict that names its analysis (``kind``) and
carries everything one unit of work needs (usually a scenario's canonical
dict), so that it can run in any process: in this one, in a local process
pool, or as a job on a queue's worker.
"""

from __future__ import annotations

import math
from typing import Any

from optimizer.errors import TotalplaceError
from optimizer.result import Result
from optimizer.scenario import Scenario, canonical_dict, parse_scenario

Task = dict[str, Any]

#: statuses that come with a solution
SOLVED = ("optimal", "feasible")


class AnalysisError(TotalplaceError):
    """An analysis cannot be run on this scenario (too many pools, nothing to sample, an infeasible base...).

    The message says why and what to do; front ends report it as bad input.
    """


def scenario_data(s: Scenario) -> dict[str, Any]:
    """The scenario as a plain dict (canonical form, solver options kept) that :func:`load` reads back."""
    return canonical_dict(s, with_solver=True)


def load(data: dict[str, Any]) -> Scenario:
    """A scenario from a task's dict (validated again: a task may come from anywhere)."""
    return parse_scenario(data)


def solved(result: Result | dict[str, Any]) -> bool:
    """Whether a solve returned a solution (optimal, or feasible but not proven optimal)."""
    status = result["status"] if isinstance(result, dict) else result.status
    return status in SOLVED


def money(v: float | None) -> str:
    """Pounds as a board reads them: pence below £100, whole pounds above."""
    if v is None or not math.isfinite(v):
        return "-"
    sign = "-" if v <= -0.005 else ""
    v = abs(v)
    return f"{sign}£{v:,.2f}" if v < 99.995 else f"{sign}£{v:,.0f}"


def money_round(v: float) -> str:
    """Pounds to three significant figures (for amounts found by search, such as ranges): £310,000."""
    if v == 0 or not math.isfinite(v):
        return money(v)
    digits = 3 - int(math.floor(math.log10(abs(v)))) - 1
    rounded = round(v, digits)
    return money(rounded) if abs(rounded) >= 100 else f"£{rounded:,.2f}"


def number_round(v: float) -> str:
    """A count to three significant figures, with thousands separators."""
    if v == 0 or not math.isfinite(v):
        return f"{v:g}"
    digits = 3 - int(math.floor(math.log10(abs(v)))) - 1
    rounded = round(v, digits)
    return f"{rounded:,.0f}" if abs(rounded) >= 100 else f"{rounded:,.3g}"


def quantiles(values: list[float]) -> dict[str, float | None]:
    """Mean, spread and quantiles of a list (None throughout when it is empty)."""
    import numpy as np

    if not values:
        return {key: None for key in ("mean", "std", "min", "p05", "p25", "p50", "p75", "p95", "max")}
    arr = np.asarray(values, dtype=float)
    q = np.quantile(arr, [0.05, 0.25, 0.5, 0.75, 0.95])
    return {
        "mean": float(arr.mean()),
        "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0,
        "min": float(arr.min()),
        "p05": float(q[0]),
        "p25": float(q[1]),
        "p50": float(q[2]),
        "p75": float(q[3]),
        "p95": float(q[4]),
        "max": float(arr.max()),
    }
