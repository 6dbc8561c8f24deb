"""Reading a solution back in the scenario's terms: allocations, launches, summary, prices.

Every figure of the summary is computed from the allocations and launches
(as the contract asks), not from solver internals; the objective is
recomputed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.coefficients import Coefficients
from optimizer.programme import Programme
from optimizer.scenario import MODEL_VERSION
from optimizer.status import Status

#: Spending below this many pounds is solver noise and is not reported as an allocation.
SPEND_EPS = 1e-6
#: The columns of an allocation row, in order (the JSON keys and the CSV header).
ALLOCATION_COLUMNS = ("area", "intervention", "pool", "year", "spend", "participants")


@dataclass
class Solution:
    """A solution in the scenario's terms."""

    participants: np.ndarray  # (P, H) n of each pair
    allocations: pd.DataFrame  # area, intervention, pool, year (1-based), spend, participants (+ index columns)
    launches: list[dict[str, Any]]
    fixed_by_pool: np.ndarray  # (p,) fixed costs paid by each pool
    fixed_by_area: np.ndarray  # (a,) fixed costs paid in each area
    pool_year_spend: np.ndarray  # (p, H) undiscounted spending (fixed costs in year 1 included)


def read_solution(prog: Programme, k: Coefficients, x: np.ndarray) -> Solution:
    """Turn column values into the rows of the result, sharing class spending out over its areas."""
    H = k.H
    n = np.clip(x[prog.cols["n"]], 0.0, None).reshape(-1, H)
    xs = np.clip(x[prog.cols["x"]], 0.0, None).reshape(-1, H)
    pair_spend = n * k.unit_cost[prog.pair_iv][:, None]  # (P, H)
    n_classes = len(prog.class_iv)
    class_spend = np.zeros((n_classes, H))
    np.add.at(class_spend, prog.pair_class, pair_spend)
    # each pool's spending on a class goes to the class's areas in proportion to their spending
    with np.errstate(invalid="ignore", divide="ignore"):
        pool_share = np.where(class_spend[prog.cp_class] > 0, xs / class_spend[prog.cp_class], 0.0)  # (CP, H)
    members = pd.DataFrame({"pair": np.arange(len(prog.pair_class)), "cls": prog.pair_class})
    payers = pd.DataFrame({"cp": np.arange(len(prog.cp_class)), "cls": prog.cp_class})
    link = members.merge(payers, on="cls")
    pair_idx, cp_idx = link["pair"].to_numpy(), link["cp"].to_numpy()
    spend = pair_spend[pair_idx] * pool_share[cp_idx]  # (rows, H)
    rows, years = np.nonzero(spend > SPEND_EPS)
    pairs = pair_idx[rows]
    pools = prog.cp_pool[cp_idx[rows]]
    amounts = spend[rows, years]
    cost = k.unit_cost[prog.pair_iv[pairs]]
    alloc = pd.DataFrame(
        {
            "area": np.asarray(k.area_ids, dtype=object)[prog.pair_area[pairs]],
            "intervention": np.asarray(k.intervention_ids, dtype=object)[prog.pair_iv[pairs]],
            "pool": np.asarray(k.pool_ids, dtype=object)[pools],
            "year": years + 1,
            "spend": amounts,
            "participants": amounts / cost,
            "_pair": pairs,
            "_pool": pools,
        }
    )
    pool_year = np.zeros((len(k.pool_ids), H))
    np.add.at(pool_year, (pools, years), amounts)

    launches, fixed_by_pool, fixed_by_area = _read_launches(prog, k, x)
    pool_year[:, 0] += fixed_by_pool
    # participants as reported: the sum over pools of spend / unit cost (what a reader recomputes)
    reported = np.zeros_like(n)
    np.add.at(reported, (pairs, years), amounts / cost)
    return Solution(reported, alloc, launches, fixed_by_pool, fixed_by_area, pool_year)


def _read_launches(prog: Programme, k: Coefficients, x: np.ndarray) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    fixed_by_pool = np.zeros(len(k.pool_ids))
    fixed_by_area = np.zeros(len(k.area_ids))
    y = x[prog.cols["y"]]
    launched = prog.launch_pair[y > 0.5]
    if len(launched) == 0:
        return [], fixed_by_pool, fixed_by_area
    z = np.clip(x[prog.cols["z"]], 0.0, None)
    class_z: dict[int, dict[int, float]] = {}
    for zp, amount in zip(prog.zp_cp, z, strict=True):
        class_z.setdefault(int(prog.cp_class[zp]), {})[int(prog.cp_pool[zp])] = float(amount)
    launches = []
    for pair in launched:
        a, i = int(prog.pair_area[pair]), int(prog.pair_iv[pair])
        f = float(k.fixed_cost[i])
        by_pool: dict[str, float] = {}
        if f > 0:
            shares = class_z.get(int(prog.pair_class[pair]), {})
            total = sum(shares.values())
            for p, amount in shares.items():
                if total > 0 and amount / total * f > SPEND_EPS:
                    by_pool[k.pool_ids[p]] = amount / total * f
                    fixed_by_pool[p] += amount / total * f
            fixed_by_area[a] += f
        launches.append({"area": k.area_ids[a], "intervention": k.intervention_ids[i], "fixed_cost_by_pool": by_pool})
    return launches, fixed_by_pool, fixed_by_area


#: scenario ``data_vintage`` -> the deprivation data its Community Wealth Fund rule's deciles are (``summary.deprivation_data``).
DEPRIVATION_DATA = {
    "2025": "IoD2025: English Indices of Deprivation 2025, IMD deciles of 2021 LSOAs",
    "2019": "IoD2019: English Indices of Deprivation 2019, IMD deciles of 2011 LSOAs",
}


def summarise(prog: Programme, k: Coefficients, sol: Solution) -> tuple[dict[str, Any], float]:
    """The summary of the contract, and the objective, both from the allocations and launches."""
    H = k.H
    n = sol.participants
    d = k.discount[:H]
    pair_spend = n * k.unit_cost[prog.pair_iv][:, None]
    total = float(pair_spend.sum() + sol.fixed_by_pool.sum())
    pool_discounted = sol.pool_year_spend @ d  # fixed costs sit in year 1, where d = 1
    discounted = float(pool_discounted.sum())
    # savings count each participant at its band's effect, the bands filled in order (docs/model.md 2.1)
    e = k.effective(n, prog.pair_area, prog.pair_iv)
    savings = np.einsum("ph,phg->g", e, k.value[prog.pair_iv])
    social = float(np.einsum("ph,ph->", e, k.social[prog.pair_iv]))
    spending_by_agency = np.zeros(len(k.agency_ids))
    spending_by_agency[: len(k.pool_ids)] = pool_discounted
    by_area = np.zeros(len(k.area_ids))
    np.add.at(by_area, prog.pair_area, pair_spend.sum(axis=1))
    by_area += sol.fixed_by_area
    by_decile = {str(dec): float(by_area[k.decile == dec].sum()) for dec in range(1, 11)}
    deprived = float(by_area[k.deprived].sum())
    benefit = float(np.einsum("ph,ph->", e, k.objective_per_participant[prog.pair_area, prog.pair_iv, :]))
    by_intervention = _by_intervention(prog, k, sol, pair_spend, d, e)
    objective = benefit - discounted
    summary = {
        "total_spending": total,
        "total_spending_discounted": discounted,
        "savings_by_agency": dict(zip(k.agency_ids, map(float, savings), strict=True)),
        "spending_by_agency": dict(zip(k.agency_ids, map(float, spending_by_agency), strict=True)),
        "net_position_by_agency": dict(zip(k.agency_ids, map(float, savings - spending_by_agency), strict=True)),
        "social_value": social,
        "benefit_cost_ratio": float(savings.sum() / discounted) if discounted > SPEND_EPS else None,
        "deprived_share": deprived / total if total > SPEND_EPS else None,
        "spending_by_decile": by_decile,
        "by_intervention": by_intervention,
        "spending_by_pool_year": [
            {"pool": pool, "year": t + 1, "spend": float(sol.pool_year_spend[p, t])} for p, pool in enumerate(k.pool_ids) for t in range(H)
        ],
    }
    if k.outcome_themes and k.outcome_benefit is not None:
        summary.update(_value_by_theme(prog, k, e))
    return summary, objective


def _value_by_theme(prog: Programme, k: Coefficients, e: np.ndarray) -> dict[str, Any]:
    """docs/model.md 2.2: the objective's benefit split by theme, each outcome's shared equally among its themes."""
    assert k.outcome_benefit is not None
    weight = k.weight[prog.pair_area]
    by_theme: dict[str, float] = {}
    without = 0.0
    for o, themes in enumerate(k.outcome_themes):
        factor = weight * k.priority[prog.pair_area, o] if k.priority is not None else weight  # W[a] x rho[a,o]
        value = float(np.einsum("p,ph,ph->", factor, e, k.outcome_benefit[prog.pair_iv, :, o]))
        if themes:
            for theme in themes:
                by_theme[theme] = by_theme.get(theme, 0.0) + value / len(themes)
        else:
            without += value
    return {"value_by_theme": by_theme, "value_without_theme": without}


def _by_intervention(
    prog: Programme, k: Coefficients, sol: Solution, pair_spend: np.ndarray, d: np.ndarray, effective: np.ndarray
) -> dict[str, dict[str, Any]]:
    """Per intervention: spending (fixed costs included), discounted spending, discounted savings and their ratio."""
    n_i = len(k.intervention_ids)
    spend = np.zeros(n_i)
    np.add.at(spend, prog.pair_iv, pair_spend.sum(axis=1))
    spend_d = np.zeros(n_i)
    np.add.at(spend_d, prog.pair_iv, pair_spend @ d)
    for launch in sol.launches:
        i = k.intervention_ids.index(launch["intervention"])
        fixed = sum(launch["fixed_cost_by_pool"].values())
        spend[i] += fixed
        spend_d[i] += fixed
    savings = np.zeros(n_i)
    np.add.at(savings, prog.pair_iv, np.einsum("ph,phg->p", effective, k.value[prog.pair_iv]))
    return {
        iv: {
            "spending": float(spend[i]),
            "spending_discounted": float(spend_d[i]),
            "savings": float(savings[i]),
            "benefit_cost_ratio": float(savings[i] / spend_d[i]) if spend_d[i] > SPEND_EPS else None,
        }
        for i, iv in enumerate(k.intervention_ids)
    }


@dataclass
class Result:
    """The result of the contract (docs/result-format.md).

    ``status`` is a :class:`~optimizer.status.Status` (a string enum: it serialises as the same strings);
    a plain string given here is turned into one.
    """

    status: Status
    message: str
    scenario_hash: str
    objective: float | None = None
    bound: float | None = None
    allocations: pd.DataFrame | None = None
    launches: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] | None = None
    shadow_prices: dict[str, Any] | None = None
    binding_rules: list[dict[str, Any]] = field(default_factory=list)
    diagnosis: dict[str, Any] | None = None
    solver: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    def allocation_rows(self) -> list[dict[str, Any]]:
        if self.allocations is None or self.allocations.empty:
            return []
        cols = list(ALLOCATION_COLUMNS)
        frame = self.allocations[cols]
        return [
            {"area": a, "intervention": i, "pool": p, "year": int(y), "spend": float(s), "participants": float(n)}
            for a, i, p, y, s, n in zip(*(frame[c].to_numpy() for c in cols), strict=True)
        ]

    @property
    def allocation_count(self) -> int:
        return 0 if self.allocations is None else len(self.allocations)

    def write_allocations(self, path: str | Path) -> dict[str, Any]:
        """Write the allocations as CSV (gzip-compressed if the name ends in .gz), straight from the one table held.

        Returns the pointer that stands in the JSON result instead of the rows.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame = self.allocations_in_pence()
        frame.to_csv(
            path, columns=list(ALLOCATION_COLUMNS), index=False, chunksize=100_000, compression="gzip" if path.suffix == ".gz" else None
        )
        return {
            "path": str(path),
            "format": "csv.gz" if path.suffix == ".gz" else "csv",
            "rows": self.allocation_count,
            "columns": list(ALLOCATION_COLUMNS),
        }

    def allocations_in_pence(self) -> pd.DataFrame:
        """The allocation table as written out: spend in pence (each pool-year adding up, optimizer/money.py), participants to 9 figures."""
        from optimizer.money import COUNT_FIGURES, allocation_pence, significant

        if self.allocations is None or self.allocations.empty:
            return pd.DataFrame(
                {c: pd.Series(dtype=object if c in ("area", "intervention", "pool") else float) for c in ALLOCATION_COLUMNS}
            )
        frame = self.allocations[list(ALLOCATION_COLUMNS)].copy()
        frame["spend"] = allocation_pence(frame) / 100
        frame["participants"] = significant(frame["participants"].to_numpy(), COUNT_FIGURES)
        return frame

    def to_dict(self, allocations_file: dict[str, Any] | None = None) -> dict[str, Any]:
        """The result as JSON-able data, at full precision; with ``allocations_file`` the rows stay in that file and ``allocations`` is null.

        What is written out goes through :func:`optimizer.money.in_pence` (amounts in pence); the
        independent checker is given this unrounded document.
        """
        return {
            "model_version": MODEL_VERSION,
            "status": self.status,
            "message": self.message,
            "objective": self.objective,
            "bound": self.bound,
            "allocations": None if allocations_file else self.allocation_rows(),
            "allocations_file": allocations_file,
            "launches": self.launches,
            "summary": self.summary,
            "shadow_prices": self.shadow_prices,
            "binding_rules": self.binding_rules,
            "diagnosis": self.diagnosis,
            "solver": self.solver,
            "scenario_hash": self.scenario_hash,
        }
