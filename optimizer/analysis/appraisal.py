"""The appraisal pack: from an optimum, per intervention and per agency, what is spent, saved and returned.

Figures (docs/analyses.md), for each intervention and each agency:

* ``spending``: undiscounted, fixed costs included (in year 1); for an agency, its pool's spending;
* ``spending_discounted``: sum over years of d[t] x spending in year t;
* ``savings_discounted``: discounted savings sum V[i,t,g] x n[a,i,t] (to every agency for an intervention,
  to that agency for an agency);
* ``npv``: savings_discounted - spending_discounted (fiscal: social value is reported beside it, not in it);
* ``roi``: npv / spending_discounted (null without spending);
* ``payback_year``: the first year in which cumulative *discounted* savings reach cumulative discounted
  spending (null when spending never pays back within the appraisal years, or nothing is spent);
* ``cashable_savings``: the cash saved, K[i,t,g,tau] x n, undiscounted, summed over the years it arrives;
  ``cash_by_year`` gives it year by year.

Beside the figures, from the result and the scenario: who pays (``cost_sharing``, the rule of docs/model.md 2.4 and
its deviation; ``pool_spending_range``, the least and most each pool could pay over the equally good plans; and
``who_pays``, the same in sentences), ``value_by_theme`` (version 2, residents' themes), the sources (2.5): each
intervention row's ``source`` and ``outcomes``'s citation for each outcome it affects, and where the scenario has
residents' priorities, ``residents``: what honouring them costs (optimizer/analysis/residents.py, every commitment
counted as the board's).

Everything is computed from the result's allocations and launches and the
scenario's coefficients, so it can be recomputed by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from optimizer.analysis.common import AnalysisError, money, solved
from optimizer.analysis.sentences import who_pays
from optimizer.coefficients import compute
from optimizer.money import pack_in_pence
from optimizer.scenario import Scenario


def appraise(s: Scenario, result: dict[str, Any] | None = None) -> dict[str, Any]:
    """The appraisal pack of ``result`` (solved here when not given)."""
    if result is None:
        from optimizer.money import in_pence
        from optimizer.solve import solve

        result = in_pence(solve(s).to_dict())  # as written out: the pack of a result file is the same pack
    if not solved(result):
        raise AnalysisError(f"the scenario is {result['status']}: there is no plan to appraise ({result.get('message', '')})")
    k = compute(s)
    H, A, d = k.H, k.A, k.discount
    iv_of = {iv: i for i, iv in enumerate(k.intervention_ids)}
    pool_of = {p: j for j, p in enumerate(k.pool_ids)}
    n_it = np.zeros((len(iv_of), H))
    iv_spend = np.zeros((len(iv_of), A))
    pool_spend = np.zeros((len(k.agency_ids), A))
    for row in result["allocations"]:
        i, t = iv_of[row["intervention"]], row["year"] - 1
        n_it[i, t] += row["participants"]
        iv_spend[i, t] += row["spend"]
        pool_spend[pool_of[row["pool"]], t] += row["spend"]
    for launch in result["launches"]:
        for pool, amount in launch["fixed_cost_by_pool"].items():
            iv_spend[iv_of[launch["intervention"]], 0] += amount
            pool_spend[pool_of[pool], 0] += amount
    cash = np.einsum("it,itgu->igu", n_it, k.cash)  # (i, g, tau): cash to agency g from intervention i in year tau
    social = np.einsum("it,it->i", n_it, k.social)
    ivs = {iv.id: iv for iv in s.interventions}
    names = {p.id: p.name for p in s.pools} | {g.id: g.name for g in s.agencies}
    interventions = [
        _row("intervention", iv, ivs[iv].name, iv_spend[i], cash[i].sum(axis=0), d, H, social=float(social[i]))
        for i, iv in enumerate(k.intervention_ids)
    ]
    agencies = [
        _row("agency", g, names[g], pool_spend[j], cash[:, j, :].sum(axis=0), d, H, pool=g in pool_of) for j, g in enumerate(k.agency_ids)
    ]
    total = _row("total", "all", "All interventions", iv_spend.sum(axis=0), cash.sum(axis=(0, 1)), d, H, social=float(social.sum()))
    summary = result["summary"]
    for row in interventions:
        row["source"] = ivs[row["id"]].source
    outcome_source = {o.id: o.source for o in s.outcomes if o.source}
    pack = {
        "analysis": "appraisal",
        "scenario": s.name,
        "scenario_hash": result.get("scenario_hash"),
        "objective": result["objective"],
        "horizon_years": H,
        "appraisal_years": A,
        "discount_rate": s.discount_rate,
        "payback_basis": "discounted",
        "interventions": interventions,
        "agencies": agencies,
        "total": total,
        "spending_by_decile": summary["spending_by_decile"],
        "spending_by_pool_year": summary["spending_by_pool_year"],
        "deprived_share": summary["deprived_share"],
    }
    pack = pack_in_pence(pack)  # money in pence at the edge (optimizer/money.py)
    pack["messages"] = _messages(pack)
    # who pays, residents' themes and sources: the result's own figures (already rounded to the penny), carried as they are
    for key in ("cost_sharing", "pool_spending_range", "value_by_theme", "value_without_theme"):
        if summary.get(key) is not None:
            pack[key] = summary[key]
    pack["who_pays"] = who_pays(s, summary)
    if s.policy.resident_priorities is not None:  # what honouring residents costs (optimizer/analysis/residents.py)
        from optimizer.analysis import residents

        pack["residents"] = residents.combine(s, [residents.run_task(t) for t in residents.plan(s)])
    used = [e.outcome for iv in s.interventions for e in iv.effects]
    pack["outcome_sources"] = {o: outcome_source[o] for o in dict.fromkeys(used) if o in outcome_source}
    return pack


def _row(
    kind: str,
    rid: str,
    name: str,
    spend: np.ndarray,
    cash: np.ndarray,
    d: np.ndarray,
    H: int,
    *,
    social: float | None = None,
    pool: bool = True,
) -> dict[str, Any]:
    spend_d, cash_d = spend * d, cash * d
    spending_d, savings_d = float(spend_d.sum()), float(cash_d.sum())
    npv = savings_d - spending_d
    payback = None
    if spending_d > 0:
        reached = np.nonzero(np.cumsum(cash_d) >= np.cumsum(spend_d) * (1 - 1e-12))[0]
        payback = int(reached[0]) + 1 if len(reached) else None
    return {
        "kind": kind,
        "id": rid,
        "name": name,
        "holds_pool": pool,
        "spending": float(spend.sum()),
        "spending_discounted": spending_d,
        "savings_discounted": savings_d,
        "social_value": social,
        "npv": npv,
        "roi": npv / spending_d if spending_d > 0 else None,
        "payback_year": payback,
        "cashable_savings": float(cash.sum()),
        "spend_by_year": [float(v) for v in spend[:H]],
        "cash_by_year": [float(v) for v in cash],
    }


def table(pack: dict[str, Any]) -> pd.DataFrame:
    """One row per intervention, per agency and the total, with year-by-year spending and cash columns."""
    rows = []
    for row in pack["interventions"] + pack["agencies"] + [pack["total"]]:
        flat = {
            key: row[key]
            for key in (
                "kind",
                "id",
                "name",
                "spending",
                "spending_discounted",
                "savings_discounted",
                "social_value",
                "npv",
                "roi",
                "payback_year",
                "cashable_savings",
            )
        }
        flat.update({f"spend_year_{t + 1}": v for t, v in enumerate(row["spend_by_year"])})
        flat.update({f"cash_year_{t + 1}": v for t, v in enumerate(row["cash_by_year"])})
        flat["source"] = row.get("source")  # version 2 (docs/model.md 2.5): the intervention's citation; blank for agencies
        rows.append(flat)
    frame = pd.DataFrame(rows)
    frame["payback_year"] = frame["payback_year"].astype("Int64")
    if frame["source"].isna().all():  # a scenario without sources (version 1): the table as it always was
        frame = frame.drop(columns="source")
    return frame


def write_csv(pack: dict[str, Any], path: Path) -> None:
    """The pack's table as CSV (UTF-8, one header row)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table(pack).to_csv(path, index=False)


def _messages(pack: dict[str, Any]) -> list[str]:
    t = pack["total"]
    out = [
        f"The plan spends {money(t['spending'])} over {pack['horizon_years']} year(s) ({money(t['spending_discounted'])} discounted) "
        f"and saves {money(t['savings_discounted'])} (discounted) over {pack['appraisal_years']} year(s): a net present value of "
        f"{money(t['npv'])}"
        + (f", {t['roi']:.0%} return on each pound" if t["roi"] is not None else "")
        + (f", paying back in year {t['payback_year']}." if t["payback_year"] else ".")
    ]
    funded = [r for r in pack["interventions"] if r["spending"] > 0]
    if funded:
        best = max(funded, key=lambda r: r["roi"] or 0.0)
        out.append(
            f"{len(funded)} of {len(pack['interventions'])} interventions are funded; the best return is {best['name']} "
            f"({best['roi']:.0%})."
        )
    gain = [r for r in pack["agencies"] if r["savings_discounted"] > r["spending_discounted"] + 0.5]
    lose = [r for r in pack["agencies"] if r["savings_discounted"] < r["spending_discounted"] - 0.5]
    if gain:
        out.append("Gaining more than they pay: " + ", ".join(f"{r['name']} ({money(r['npv'])})" for r in gain) + ".")
    if lose:
        out.append("Paying more than they gain: " + ", ".join(f"{r['name']} ({money(r['npv'])})" for r in lose) + ".")
    return out
