"""Solving a scenario for the service: effective options, cache key, one cached single-flight solve.

Used alike by the synchronous routes and by the job runner, so a result
computed either way is found by the other.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from api.metrics import Metrics
from api.solving.cache import ResultCache, solver_key
from optimizer import Scenario, canonical_dict, in_pence, scenario_hash, solve

#: A mixed-integer programme counts this many times its cells when deciding what is "large".
MIP_WEIGHT = 10


@dataclass(frozen=True)
class SolvePlan:
    """What will be solved, how, and under which cache key."""

    scenario: Scenario
    scenario_hash: str
    options: dict[str, Any]  # the effective solver block: name, time_limit, mip_gap
    solver_key: str
    cache_key: str

    @property
    def patience(self) -> float:
        """How long a twin request waits for another's solve (its time limit, plus building and reading)."""
        return float(self.options["time_limit"]) * 2 + 60

    def result_url(self) -> str:
        return f"/v1/results/{self.scenario_hash}?solver_key={self.solver_key}"


def cells(scenario: Scenario) -> int:
    """The size that decides sync or async: areas x interventions x years, times 10 for a MIP."""
    size = len(scenario.areas) * len(scenario.interventions) * scenario.horizon_years
    return size * MIP_WEIGHT if scenario.is_mip else size


def plan(scenario: Scenario, cache: ResultCache, time_limit_cap: float) -> SolvePlan:
    """The scenario's own solver options, the time limit capped by the service's setting."""
    options = canonical_dict(scenario, with_solver=True)["solver"]
    options["time_limit"] = float(min(options["time_limit"], time_limit_cap))
    digest = scenario_hash(scenario)
    key = solver_key(options)
    return SolvePlan(scenario, digest, options, key, cache.key(digest, key))


def _run(p: SolvePlan, metrics: Metrics | None, mode: str) -> tuple[str, bool]:
    started = time.perf_counter()
    solved = solve(p.scenario, p.options["name"], time_limit=p.options["time_limit"], mip_gap=p.options["mip_gap"])
    result = in_pence(solved.to_dict())  # money in pence at the edge (optimizer/money.py)
    if metrics is not None:
        metrics.solves.labels(result["status"], mode).inc()
        metrics.solve_seconds.observe(time.perf_counter() - started)
    text = json.dumps(result, allow_nan=False, separators=(",", ":"))
    # an "error" status may be a passing fault of the back end: never keep it
    return text, result["status"] != "error"


def solve_cached(p: SolvePlan, cache: ResultCache, metrics: Metrics | None, *, mode: str) -> tuple[str, str]:
    """The result's JSON text and the cache outcome (hit, miss, bypass); one solve for concurrent twins."""
    found = cache.get_or_compute(p.cache_key, lambda: _run(p, metrics, mode), wait=p.patience)
    if metrics is not None:
        metrics.count_cache(found.outcome)
    return found.text, found.outcome


def result_status(text: str) -> str:
    """The ``status`` of a result's JSON text."""
    return str(json.loads(text)["status"])
