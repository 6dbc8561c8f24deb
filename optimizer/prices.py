"""Shadow prices and binding rules, in the board's words.

Row duals arrive normalised (objective gained per unit increase of the row's
active bound, :mod:`optimizer.backends.base`). Here they become the value of
one more pound in each pool-year budget and the price of each policy rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from optimizer.coefficients import Coefficients
from optimizer.programme import Programme
from optimizer.scenario import Scenario

#: a row is binding when its slack is below this share of its scale
BIND_TOL = 1e-7
#: and, where duals are known, when its price is above this (pounds per unit)
PRICE_EPS = 1e-9


def _money(v: float) -> str:
    sign = "-" if v < 0 else ""
    v = abs(v)
    return f"{sign}£{v:,.2f}" if v < 100 else f"{sign}£{v:,.0f}"


def _slack(
    prog: Programme, activity: np.ndarray, terms: np.ndarray, block_name: str, duals: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of a family that bind: at their bound and, where duals are known, with a non-zero price.

    ``terms`` is the size of each row's terms, ``|A| @ |x|``. A row binds at its
    bound whatever that bound is: the Community Wealth Fund share and "no agency
    worse off" are rows with a bound of 0 whose terms cancel when they bind.
    A row whose terms are all zero and whose bound is zero (no spending it could
    limit) binds nothing worth reporting. A pool can spend its whole budget
    without the budget binding (another pool had room to pay instead): then one
    pound more or less changes nothing, and with duals known the rule is not
    reported.
    """
    block = prog.rows[block_name]
    r = np.arange(block.start, block.start + block.count)
    lo, up = prog.row_lower[r], prog.row_upper[r]
    act = activity[r]
    slack = np.where(np.isfinite(up), up - act, act - lo)
    scale = 1.0 + np.abs(np.where(np.isfinite(up), up, lo)) + terms[r]
    tight = (slack <= BIND_TOL * scale + 1e-6) & (scale > 1.0 + 1e-6)
    if duals is not None:
        tight &= np.abs(duals[r]) > PRICE_EPS
    return r, tight


def shadow_prices(
    s: Scenario, prog: Programme, k: Coefficients, duals: np.ndarray | None, total_spend: float, integers_fixed: bool
) -> dict[str, Any] | None:
    """The value of one more pound in each pool-year budget, and the price of each active rule."""
    if duals is None:
        return None
    block = prog.rows["budget"]
    budgets = [
        {"pool": k.pool_ids[p], "year": int(t) + 1, "value": float(duals[block.start + j])}
        for j, (p, t) in enumerate(zip(block.keys["pool"], block.keys["year"], strict=True))
    ]
    rules: list[dict[str, Any]] = []
    if "community_wealth_fund" in prog.rows:
        dual = float(duals[prog.rows["community_wealth_fund"].start])
        # the row is sum (D - phi) spend >= 0; raising phi by h is, at the optimum, the same as raising the
        # row's lower bound by h x all spending, so d objective / d phi = dual x all spending (a cost: dual <= 0)
        rules.append(
            {"rule": "community_wealth_fund.min_share", "value": dual * total_spend * 0.01, "unit": "per percentage point of min_share"}
        )
    if "per_capita_floor" in prog.rows:
        fb = prog.rows["per_capita_floor"]
        d = duals[fb.start : fb.start + fb.count]
        rules.append(
            {
                "rule": "community_wealth_fund.per_capita_floor",
                "value": float(d @ k.population[fb.keys["area"]]),
                "unit": "per £1 per resident",
            }
        )
    if "area_cap" in prog.rows:
        ab = prog.rows["area_cap"]
        rules.append({"rule": "area_cap", "value": float(duals[ab.start : ab.start + ab.count].sum()), "unit": "per £1 of area_cap"})
    if "no_agency_worse_off" in prog.rows:
        nb = prog.rows["no_agency_worse_off"]
        for j, p in enumerate(nb.keys["pool"]):
            rules.append(
                {
                    "rule": "no_agency_worse_off",
                    "pool": k.pool_ids[p],
                    "value": float(duals[nb.start + j]),
                    "unit": "per £1 by which the pool may spend beyond its savings",
                }
            )
    if "capacity" in prog.rows:
        cb = prog.rows["capacity"]
        for j, (i, t) in enumerate(zip(cb.keys["intervention"], cb.keys["year"], strict=True)):
            rules.append(
                {
                    "rule": "capacity",
                    "intervention": k.intervention_ids[i],
                    "year": int(t) + 1,
                    "value": float(duals[cb.start + j]),
                    "unit": "per participant",
                }
            )
    if "commitment" in prog.rows:  # docs/model.md 2.3: the row is spending >= min_spend; its dual is d objective / d min_spend
        mb = prog.rows["commitment"]
        for j in range(mb.count):
            c = s.policy.commitments[j]
            rules.append(
                {
                    "rule": "commitment",
                    "commitment": j,
                    "intervention": c.intervention,
                    "area": c.area,
                    "year": c.year,
                    "value": float(duals[mb.start + j]),
                    "unit": "per £1 of min_spend",
                }
            )
    return {"budgets": budgets, "rules": rules, "integers_fixed": integers_fixed}


def binding_rules(
    s: Scenario, prog: Programme, k: Coefficients, x: np.ndarray, prices: dict[str, Any] | None, duals: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """The rules that hold with equality at the solution, each with a sentence a board member can read."""
    activity = prog.A @ x
    terms = abs(prog.A) @ np.abs(x)
    pool_names = {p.id: p.name for p in s.pools}
    budget_value = {(b["pool"], b["year"]): b["value"] for b in (prices or {}).get("budgets", [])}
    out: list[dict[str, Any]] = []
    r, tight = _slack(prog, activity, terms, "budget", duals)
    block = prog.rows["budget"]
    for j in np.nonzero(tight)[0]:
        pool, year = k.pool_ids[block.keys["pool"][j]], int(block.keys["year"][j]) + 1
        value = budget_value.get((pool, year))
        tail = f": one more £1 would add {_money(value)} of net value" if value is not None else ""
        out.append(
            {
                "rule": "budget",
                "pool": pool,
                "year": year,
                "value": value,
                "message": f"The {pool_names[pool]} pool's year {year} budget is fully used{tail}.",
            }
        )
    cwf = s.policy.community_wealth_fund
    if "community_wealth_fund" in prog.rows:
        _, tight = _slack(prog, activity, terms, "community_wealth_fund", duals)
        if tight[0]:
            price = next((p["value"] for p in (prices or {}).get("rules", []) if p["rule"] == "community_wealth_fund.min_share"), None)
            tail = f"; raising it by one percentage point changes net value by {_money(price)}" if price is not None else ""
            out.append(
                {
                    "rule": "community_wealth_fund.min_share",
                    "value": price,
                    "message": f"The Community Wealth Fund rule binds: exactly {cwf.min_share:.0%} of spending goes to deprived areas{tail}.",
                }
            )
    for name, label in (("per_capita_floor", "the per-capita floor"), ("area_cap", "the area cap")):
        if name in prog.rows:
            block = prog.rows[name]
            _, tight = _slack(prog, activity, terms, name, duals)
            for j in np.nonzero(tight)[0]:
                area, year = k.area_ids[block.keys["area"][j]], int(block.keys["year"][j]) + 1
                out.append(
                    {
                        "rule": f"community_wealth_fund.{name}" if name == "per_capita_floor" else name,
                        "area": area,
                        "year": year,
                        "message": f"In area {area}, year {year}, spending is held at {label}.",
                    }
                )
    if "no_agency_worse_off" in prog.rows:
        block = prog.rows["no_agency_worse_off"]
        _, tight = _slack(prog, activity, terms, "no_agency_worse_off", duals)
        for j in np.nonzero(tight)[0]:
            pool = k.pool_ids[block.keys["pool"][j]]
            price = next(
                (p["value"] for p in (prices or {}).get("rules", []) if p["rule"] == "no_agency_worse_off" and p["pool"] == pool), None
            )
            tail = f"; letting it spend £1 beyond them would add {_money(price)} of net value" if price is not None else ""
            out.append(
                {
                    "rule": "no_agency_worse_off",
                    "pool": pool,
                    "value": price,
                    "message": f"No agency worse off binds for {pool_names[pool]}: its spending equals the savings it receives{tail}.",
                }
            )
    if "commitment" in prog.rows:
        block = prog.rows["commitment"]
        _, tight = _slack(prog, activity, terms, "commitment", duals)
        ivs = {iv.id: iv.name for iv in s.interventions}
        for j in np.nonzero(tight)[0]:
            c = s.policy.commitments[int(j)]
            price = next((p["value"] for p in (prices or {}).get("rules", []) if p["rule"] == "commitment" and p["commitment"] == j), None)
            where = (f" in {c.area}" if c.area is not None else "") + (f" in year {c.year}" if c.year is not None else "")
            tail = ""
            if price is not None:
                tail = (
                    f": each £1 of it costs {_money(-price)} of net value at the margin"
                    if price < 0
                    else f": each £1 of it adds {_money(price)} of net value at the margin"
                )
            out.append(
                {
                    "rule": "commitment",
                    "commitment": int(j),
                    "intervention": c.intervention,
                    "value": price,
                    "message": f"The commitment to spend {_money(c.min_spend)} on {ivs[c.intervention]}{where} binds{tail}.",
                }
            )
    out += _coverage_limits(prog, k, x)
    if "capacity" in prog.rows:
        block = prog.rows["capacity"]
        _, tight = _slack(prog, activity, terms, "capacity", duals)
        for j in np.nonzero(tight)[0]:
            iv, year = k.intervention_ids[block.keys["intervention"][j]], int(block.keys["year"][j]) + 1
            out.append({"rule": "capacity", "intervention": iv, "year": year, "message": f"{iv} is at full capacity in year {year}."})
    return out


def _coverage_limits(prog: Programme, k: Coefficients, x: np.ndarray) -> list[dict[str, Any]]:
    """Per intervention: how many area-years run at their coverage limit (max_coverage x eligible people)."""
    n = x[prog.cols["n"]].reshape(-1, prog.H)
    upper = k.upper[prog.pair_area, prog.pair_iv][:, None]
    full = (n >= upper * (1 - 1e-9) - 1e-9) & (upper > 0)
    out = []
    for i, iv in enumerate(k.intervention_ids):
        count = int(full[prog.pair_iv == i].sum())
        if count:
            out.append(
                {
                    "rule": "coverage",
                    "intervention": iv,
                    "count": count,
                    "message": f"{iv} reaches its maximum coverage in {count:,} area-years: a higher max_coverage (more of the eligible people reached) would add value.",
                }
            )
    return out
