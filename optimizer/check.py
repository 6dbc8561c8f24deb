"""An independent checker of results, written straight from the model contract.

``docs/model.md`` says which programme every back end solves; this module checks a
returned result against that text and nothing else. It shares no code with the
programme builder (``optimizer/programme.py``) on purpose: a misreading of the
contract that the builder makes would otherwise be repeated here and never be
found. It reads only the validated :class:`~optimizer.scenario.Scenario` and
the result JSON of ``docs/result-format.md``.

From the result's ``allocations`` and ``launches`` it rebuilds

* x[a,i,p,t]: the ``spend`` of each allocation row,
* n[a,i,t]:   the sum over pools of the rows' ``participants``,
* y[a,i]:     1 where a launch row exists,
* z[a,i,p]:   the launch rows' ``fixed_cost_by_pool``,

and checks every constraint 1-10, the allowed triples and years, that the
stated ``objective`` and ``summary`` are what those values give, and returns
the list of :class:`Violation` found (empty: the result is a feasible point of
the programme and its figures are right).

Tolerances. Solvers meet constraints to an absolute tolerance on their
(scaled) rows, about 1e-7 to 1e-9 for simplex and MIP codes and looser for
first-order methods such as PDLP. Money here runs from pence to hundreds of
millions, so a fixed absolute tolerance is either too tight for a budget of
£50m or too loose for a coverage bound of 3 people. Every comparison
``lhs <= rhs`` therefore allows ``tol * max(1, |lhs|, |rhs|)``: relative to the
size of the row, and never below ``tol`` absolute (rows whose right-hand side
is 0, such as rule 7 written as a difference, are compared on the size of the
amounts in them). Plain loops over dicts: clarity over speed.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from optimizer.scenario import Intervention, Scenario

RULE_NAMES = {
    0: "contract",  # requirements of the result format that are not numbered constraints
    1: "cost",
    2: "coverage",
    3: "minimum scale",
    4: "fixed cost",
    5: "budget",
    6: "capacity",
    7: "community wealth fund share",
    8: "per-capita floor",
    9: "no agency worse off",
    10: "area cap",
    11: "commitment",  # docs/model.md 2.3
}

SOLVED = ("optimal", "feasible")


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, where (the keys that apply), and by how much."""

    rule: int  # 1-10: the constraint of docs/model.md, 11 a commitment (2.3); 0: another requirement of the contract
    name: str  # the rule's name, or for rule 0 what is wrong ("allowed triple", "objective", ...)
    message: str
    pool: str | None = None
    year: int | None = None
    area: str | None = None
    intervention: str | None = None
    amount: float | None = None  # the left-hand side: what the result has
    limit: float | None = None  # the right-hand side: what the rule allows or asks
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        keys = ", ".join(
            f"{k}={v}"
            for k, v in (("pool", self.pool), ("year", self.year), ("area", self.area), ("intervention", self.intervention))
            if v is not None
        )
        amounts = f" (amount {self.amount!r}, limit {self.limit!r})" if self.amount is not None or self.limit is not None else ""
        return f"rule {self.rule} [{self.name}] {keys}: {self.message}{amounts}"


def _slack(tol: float, *values: float) -> float:
    """The allowance on a comparison of these amounts: tol relative, at least tol absolute."""
    return tol * max([1.0] + [abs(v) for v in values])


# ---------------------------------------------------------------------------
# the contract's derived coefficients, written out once more from docs/model.md
# ---------------------------------------------------------------------------


def discount(s: Scenario, tau: int) -> float:
    """d[tau] = (1 + r)^-(tau - 1)."""
    return (1.0 + s.discount_rate) ** -(tau - 1)


def _unit_cost(s: Scenario, outcome_id: str, agency: str) -> float:
    outcome = next(o for o in s.outcomes if o.id == outcome_id)
    return float(outcome.unit_costs.get(agency, 0.0))


def _social(s: Scenario, outcome_id: str) -> float:
    return float(next(o for o in s.outcomes if o.id == outcome_id).social_value)


def present_value(s: Scenario, iv: Intervention, t: int, agency: str) -> float:
    """V[i,t,g]: sum over effects of e x u[o,g] x sum of d[tau], tau = t+L .. min(t+L+D-1, A)."""
    total = 0.0
    for eff in iv.effects:
        first, last = t + eff.lag_years, min(t + eff.lag_years + eff.duration_years - 1, s.A)
        total += eff.per_participant * _unit_cost(s, eff.outcome, agency) * sum(discount(s, tau) for tau in range(first, last + 1))
    return total


def social_present_value(s: Scenario, iv: Intervention, t: int) -> float:
    """S[i,t]: as V with s[o] in place of u[o,g]."""
    total = 0.0
    for eff in iv.effects:
        first, last = t + eff.lag_years, min(t + eff.lag_years + eff.duration_years - 1, s.A)
        total += eff.per_participant * _social(s, eff.outcome) * sum(discount(s, tau) for tau in range(first, last + 1))
    return total


def cash_saved(s: Scenario, iv: Intervention, t: int, agency: str, tau: int) -> float:
    """K[i,t,g,tau]: sum of e x u[o,g] over the effects with t+L <= tau <= t+L+D-1."""
    return sum(
        eff.per_participant * _unit_cost(s, eff.outcome, agency)
        for eff in iv.effects
        if t + eff.lag_years <= tau <= t + eff.lag_years + eff.duration_years - 1
    )


def outcome_value(s: Scenario, iv: Intervention, t: int, outcome_id: str) -> float:
    """The objective's value of one participant of i in year t through one outcome: sum_g V_o + lambda S_o (before rho and W)."""
    outcome = next(o for o in s.outcomes if o.id == outcome_id)
    per_occurrence = sum(outcome.unit_costs.values()) + s.policy.social_value_weight * outcome.social_value
    total = 0.0
    for eff in iv.effects:
        if eff.outcome != outcome_id:
            continue
        first, last = t + eff.lag_years, min(t + eff.lag_years + eff.duration_years - 1, s.A)
        total += eff.per_participant * per_occurrence * sum(discount(s, tau) for tau in range(first, last + 1))
    return total


def priority(s: Scenario, area_id: str, outcome_id: str) -> float:
    """rho[a,o] of docs/model.md 2.2: (1 - mu) + mu x q[a,o]; 1 without priorities.

    The area's own points if it has them, else the place's; omega = points / their mean over the themes named;
    q = the mean of omega over the outcome's themes that the points name, 1 where they name none.
    """
    rp = s.policy.resident_priorities
    if rp is None:
        return 1.0
    area = next(a for a in s.areas if a.id == area_id)
    points = area.priorities if area.priorities is not None else rp.weights
    mean = sum(points.values()) / len(points)
    outcome = next(o for o in s.outcomes if o.id == outcome_id)
    named = [points[t] / mean for t in (outcome.themes or []) if t in points]
    q = sum(named) / len(named) if named else 1.0
    return (1.0 - rp.strength) + rp.strength * q


def priority_if_counted(s: Scenario, area_id: str, outcome_id: str) -> float:
    """rho[a,o] where priorities count (strength > 0), else 1."""
    rp = s.policy.resident_priorities
    return priority(s, area_id, outcome_id) if rp is not None and rp.strength > 0 else 1.0


def effective(s: Scenario, iv: Intervention, area_id: str, n: float) -> float:
    """Participants weighted by their band's effect, the bands of docs/model.md 2.1 filled in order.

    Band b holds the participants beyond up_to[b-1] x N and up to up_to[b] x N (N the area's target group) and
    each counts effect[b] times; without a response, n itself. Participants beyond the last band (a result that
    breaks coverage, which rule 2 reports) count at the last band's effect.
    """
    if not iv.response:
        return n
    people = float(next(a for a in s.areas if a.id == area_id).groups.get(iv.target_group, 0.0))
    total, below = 0.0, 0.0
    for band in iv.response:
        top = band.up_to * people
        total += band.effect * max(0.0, min(n, top) - below)
        below = top
    return total + iv.response[-1].effect * max(0.0, n - below)


def deprived_areas(s: Scenario) -> set[str]:
    """The deprived set D of rule 7 and 8, by the policy's basis.

    national: imd_decile <= max_decile. local: the ceil(max_decile/10 x number
    of areas) areas of least imd_rank, equal ranks broken by area id. The
    ceiling is taken in integers (ceil(m*n/10)) so that no float rounding can
    add an area. An area without a rank (allowed only while no rule needs
    ranks) sorts last.
    """
    cwf = s.policy.community_wealth_fund
    if cwf.basis == "national":
        return {a.id for a in s.areas if a.imd_decile <= cwf.max_decile}
    count = -(-cwf.max_decile * len(s.areas) // 10)
    ranked = sorted(s.areas, key=lambda a: (a.imd_rank if a.imd_rank is not None else math.inf, a.id))
    return {a.id for a in ranked[:count]}


def allowed_pools(s: Scenario, area: str, intervention: str) -> list[str]:
    """The pools p with (area, intervention, p) allowed: area in p's footprint and p may fund it."""
    return [p.id for p in s.pools if (p.areas is None or area in p.areas) and (p.interventions is None or intervention in p.interventions)]


# ---------------------------------------------------------------------------
# reading a result back into the programme's variables
# ---------------------------------------------------------------------------


@dataclass
class _Solution:
    x: dict[tuple[str, str, str, int], float]  # (area, intervention, pool, year) -> spend
    n: dict[tuple[str, str, int], float]  # (area, intervention, year) -> participants, all pools
    launched: set[tuple[str, str]]  # (area, intervention)
    z: dict[tuple[str, str, str], float]  # (area, intervention, pool) -> share of the fixed cost


def allocation_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The allocation rows, inline or from the CSV file the result points to (``allocations_file``)."""
    pointer = result.get("allocations_file")
    if result.get("allocations") is None and pointer:
        with open(pointer["path"], newline="", encoding="utf-8") as fh:
            return [
                dict(row, year=int(row["year"]), spend=float(row["spend"]), participants=float(row["participants"]))
                for row in csv.DictReader(fh)
            ]
    return list(result.get("allocations") or [])


def _read(result: dict[str, Any]) -> _Solution:
    sol = _Solution(defaultdict(float), defaultdict(float), set(), defaultdict(float))
    for row in allocation_rows(result):
        a, i, p, t = row["area"], row["intervention"], row["pool"], int(row["year"])
        sol.x[(a, i, p, t)] += float(row["spend"])
        sol.n[(a, i, t)] += float(row["participants"])
    for row in result.get("launches") or []:
        sol.launched.add((row["area"], row["intervention"]))
        for p, amount in (row.get("fixed_cost_by_pool") or {}).items():
            sol.z[(row["area"], row["intervention"], p)] += float(amount)
    return sol


# ---------------------------------------------------------------------------
# objective and summary, recomputed
# ---------------------------------------------------------------------------


def recompute_objective(s: Scenario, result: dict[str, Any]) -> float:
    """The docs/model.md objective at the result's allocations and launches.

    sum W[a] (sum_g V[i,t,g] + lambda S[i,t]) n[a,i,t] - sum d[t] x[a,i,p,t] - sum z[a,i,p], with version 2's
    bands (n counted at each band's effect, filled in order) and residents' priorities (each outcome's part x rho[a,o]).
    """
    sol = _read(result)
    ivs = {iv.id: iv for iv in s.interventions}
    decile = {a.id: a.imd_decile for a in s.areas}
    lam = s.policy.social_value_weight
    total = 0.0
    for (a, i, t), n in sol.n.items():
        iv = ivs[i]
        if s.policy.resident_priorities is not None and s.policy.resident_priorities.strength > 0:
            value = sum(priority(s, a, o) * outcome_value(s, iv, t, o) for o in {eff.outcome for eff in iv.effects})
        else:
            value = sum(present_value(s, iv, t, g) for g in s.agency_ids) + lam * social_present_value(s, iv, t)
        total += s.equity_weight(decile[a]) * value * effective(s, iv, a, n)
    total -= sum(discount(s, t) * x for (_a, _i, _p, t), x in sol.x.items())
    total -= sum(sol.z.values())
    return total


def recompute_summary(s: Scenario, result: dict[str, Any]) -> dict[str, Any]:
    """Every figure of the result's ``summary`` (docs/result-format.md), from allocations and launches."""
    sol = _read(result)
    ivs = {iv.id: iv for iv in s.interventions}
    decile = {a.id: a.imd_decile for a in s.areas}
    pools = [p.id for p in s.pools]
    deprived = deprived_areas(s)

    total = sum(sol.x.values()) + sum(sol.z.values())
    total_disc = sum(discount(s, t) * x for (_a, _i, _p, t), x in sol.x.items()) + sum(sol.z.values())
    savings = {g: 0.0 for g in s.agency_ids}
    social = 0.0
    for (a, i, t), n in sol.n.items():
        e = effective(s, ivs[i], a, n)
        for g in s.agency_ids:
            savings[g] += present_value(s, ivs[i], t, g) * e
        social += social_present_value(s, ivs[i], t) * e
    spending = {g: 0.0 for g in s.agency_ids}
    for (_a, _i, p, t), x in sol.x.items():
        spending[p] += discount(s, t) * x
    for (_a, _i, p), z in sol.z.items():
        spending[p] += z  # paid in year 1, d[1] = 1
    by_decile = {str(d): 0.0 for d in range(1, 11)}
    in_deprived = 0.0
    for (a, _i, _p, _t), x in sol.x.items():
        by_decile[str(decile[a])] += x
        in_deprived += x if a in deprived else 0.0
    for (a, _i, _p), z in sol.z.items():
        by_decile[str(decile[a])] += z
        in_deprived += z if a in deprived else 0.0
    by_pool_year = {(p, t): 0.0 for p in pools for t in range(1, s.H + 1)}
    for (_a, _i, p, t), x in sol.x.items():
        by_pool_year[(p, t)] = by_pool_year.get((p, t), 0.0) + x
    for (_a, _i, p), z in sol.z.items():
        by_pool_year[(p, 1)] = by_pool_year.get((p, 1), 0.0) + z
    nothing_spent = total <= 0.0
    # docs/model.md 2.4: Delta = sum over p, t of |X[p,t] - beta[p,t] X[t]|, beta from the budgets or the board's shares
    sharing = s.policy.cost_sharing
    delta = 0.0
    for t in range(1, s.H + 1):
        year_total = sum(by_pool_year[(p, t)] for p in pools)
        if sharing.rule == "shares" and sharing.shares:
            weights = {p: sharing.shares[p] for p in pools}
        else:
            weights = {p.id: s.budget(p)[t - 1] for p in s.pools}
        whole = sum(weights.values())
        for p in pools:
            beta = weights[p] / whole if whole > 0 else 1.0 / len(pools)
            delta += abs(by_pool_year[(p, t)] - beta * year_total)
    out: dict[str, Any] = {}
    if any(o.themes for o in s.outcomes):  # docs/model.md 2.2: the benefit by theme, each outcome's shared among its themes
        by_theme: dict[str, float] = defaultdict(float)
        without = 0.0
        for (a, i, t), n in sol.n.items():
            iv, e = ivs[i], effective(s, ivs[i], a, n)
            for o in s.outcomes:
                value = s.equity_weight(decile[a]) * priority_if_counted(s, a, o.id) * outcome_value(s, iv, t, o.id) * e
                if o.themes:
                    for theme in o.themes:
                        by_theme[theme] += value / len(o.themes)
                else:
                    without += value
        out = {"value_by_theme": dict(by_theme), "value_without_theme": without}
    return out | {
        "total_spending": total,
        "total_spending_discounted": total_disc,
        "savings_by_agency": savings,
        "spending_by_agency": spending,
        "net_position_by_agency": {g: savings[g] - spending[g] for g in s.agency_ids},
        "social_value": social,
        "benefit_cost_ratio": None if nothing_spent or total_disc <= 0 else sum(savings.values()) / total_disc,
        "deprived_share": None if nothing_spent else in_deprived / total,
        "spending_by_decile": by_decile,
        "spending_by_pool_year": [{"pool": p, "year": t, "spend": v} for (p, t), v in by_pool_year.items()],
        "cost_sharing": {"rule": sharing.rule, "deviation": delta},
    }


# ---------------------------------------------------------------------------
# the check
# ---------------------------------------------------------------------------


def check_result(s: Scenario, result: dict[str, Any], tol: float = 1e-6) -> list[Violation]:
    """Every way in which ``result`` breaks docs/model.md for scenario ``s`` (empty list: none)."""
    out: list[Violation] = []
    status = result.get("status")
    if status not in SOLVED:
        if result.get("allocations") or result.get("launches"):
            out.append(Violation(0, "status", f"status {status!r} but the result has allocations or launches"))
        if result.get("objective") is not None:
            out.append(Violation(0, "status", f"status {status!r} but objective is {result.get('objective')!r}"))
        return out

    out += _check_rows(s, result, tol)
    if any(v.name in ("unknown id", "row") for v in out):
        return out  # the variables cannot be rebuilt from rows that name nothing
    sol = _read(result)
    out += _check_constraints(s, sol, tol)
    out += _check_figures(s, result, sol, tol)
    return out


def _check_rows(s: Scenario, result: dict[str, Any], tol: float) -> list[Violation]:
    """Rows name known things, allowed triples, years 1..H; participants = spend / c[i]; launches sane."""
    out: list[Violation] = []
    areas = {a.id for a in s.areas}
    ivs = {iv.id: iv for iv in s.interventions}
    pools = {p.id for p in s.pools}
    seen: set[tuple[str, str, str, int]] = set()
    for k, row in enumerate(allocation_rows(result)):
        try:
            a, i, p, t = row["area"], row["intervention"], row["pool"], row["year"]
            spend, participants = float(row["spend"]), float(row["participants"])
        except (KeyError, TypeError, ValueError) as exc:
            out.append(Violation(0, "row", f"allocation row {k} is malformed: {exc!r}"))
            continue
        if a not in areas or i not in ivs or p not in pools:
            out.append(
                Violation(
                    0,
                    "unknown id",
                    f"allocation row {k} names an unknown area, intervention or pool",
                    pool=p,
                    area=a,
                    intervention=i,
                    year=t,
                )
            )
            continue
        keys = {"pool": p, "area": a, "intervention": i, "year": t}
        if not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= s.H:
            out.append(Violation(0, "year", f"allocation row {k} is for year {t!r}, outside 1..{s.H}", **keys))
        if (a, i, p, t) in seen:
            out.append(Violation(0, "duplicate row", f"allocation row {k} repeats (area, intervention, pool, year)", **keys))
        seen.add((a, i, p, t))
        if p not in allowed_pools(s, a, i):
            out.append(
                Violation(
                    0,
                    "allowed triple",
                    f"pool {p} may not fund {i} in {a} (footprint or intervention list)",
                    amount=spend,
                    limit=0.0,
                    **keys,
                )
            )
        if not spend > 0:
            out.append(
                Violation(
                    0,
                    "spend",
                    f"allocation row {k} has spend {spend!r}; rows are listed only where spend > 0",
                    amount=spend,
                    limit=0.0,
                    **keys,
                )
            )
        c = ivs[i].unit_cost
        if abs(participants * c - spend) > _slack(tol, spend):
            out.append(
                Violation(
                    1,
                    RULE_NAMES[1],
                    f"participants x unit cost {participants * c!r} differs from spend {spend!r}",
                    amount=participants * c,
                    limit=spend,
                    **keys,
                )
            )

    launched: set[tuple[str, str]] = set()
    for k, row in enumerate(result.get("launches") or []):
        try:
            a, i, shares = row["area"], row["intervention"], dict(row.get("fixed_cost_by_pool") or {})
        except (KeyError, TypeError, ValueError) as exc:
            out.append(Violation(0, "row", f"launch row {k} is malformed: {exc!r}"))
            continue
        if a not in areas or i not in ivs or any(p not in pools for p in shares):
            out.append(Violation(0, "unknown id", f"launch row {k} names an unknown area, intervention or pool", area=a, intervention=i))
            continue
        if (a, i) in launched:
            out.append(Violation(0, "duplicate row", f"launch row {k} repeats (area, intervention)", area=a, intervention=i))
        launched.add((a, i))
        iv = ivs[i]
        if not (iv.fixed_cost > 0 or iv.min_participants > 0):
            out.append(
                Violation(
                    4,
                    RULE_NAMES[4],
                    f"{i} has neither fixed cost nor minimum, so it has no launch variable y, yet it is launched in {a}",
                    area=a,
                    intervention=i,
                )
            )
        if not allowed_pools(s, a, i):
            out.append(Violation(0, "allowed triple", f"{i} is launched in {a} but no pool may fund it there", area=a, intervention=i))
        for p, amount in shares.items():
            if amount < -_slack(tol, amount):
                out.append(
                    Violation(
                        4,
                        RULE_NAMES[4],
                        f"negative share {amount!r} of the fixed cost",
                        pool=p,
                        area=a,
                        intervention=i,
                        amount=float(amount),
                        limit=0.0,
                    )
                )
            if abs(amount) > _slack(tol, amount) and p not in allowed_pools(s, a, i):
                out.append(
                    Violation(
                        0,
                        "allowed triple",
                        f"pool {p} pays a fixed cost of {i} in {a} but may not fund it there",
                        pool=p,
                        area=a,
                        intervention=i,
                        amount=float(amount),
                        limit=0.0,
                    )
                )
    return out


def _check_constraints(s: Scenario, sol: _Solution, tol: float) -> list[Violation]:
    out: list[Violation] = []
    ivs = {iv.id: iv for iv in s.interventions}
    has_y = {iv.id for iv in s.interventions if iv.fixed_cost > 0 or iv.min_participants > 0}
    group = {(a.id, iv.id): float(a.groups.get(iv.target_group, 0.0)) for a in s.areas for iv in s.interventions}
    years = range(1, s.H + 1)

    # x >= 0 (a row with negative spend is caught as "spend" above; this catches it per variable)
    for (a, i, p, t), x in sol.x.items():
        if x < -_slack(tol, x):
            out.append(Violation(1, RULE_NAMES[1], "negative spending", pool=p, year=t, area=a, intervention=i, amount=x, limit=0.0))

    # 1. cost: sum_p x = c n, per (a, i, t); rows carry x and n/pool, so compare the sums too
    spend_ait: dict[tuple[str, str, int], float] = defaultdict(float)
    for (a, i, _p, t), x in sol.x.items():
        spend_ait[(a, i, t)] += x
    for (a, i, t), n in sol.n.items():
        lhs, rhs = spend_ait[(a, i, t)], ivs[i].unit_cost * n
        if abs(lhs - rhs) > _slack(tol, lhs, rhs):
            out.append(
                Violation(
                    1,
                    RULE_NAMES[1],
                    "spending differs from unit cost x participants",
                    year=t,
                    area=a,
                    intervention=i,
                    amount=lhs,
                    limit=rhs,
                )
            )

    # 2. coverage: n <= U (x y where y exists)
    for (a, i, t), n in sol.n.items():
        bound = ivs[i].max_coverage * group[(a, i)]
        if i in has_y and (a, i) not in sol.launched:
            bound = 0.0
        if n > bound + _slack(tol, n, bound):
            why = (
                "participants above the coverage limit"
                if bound > 0 or i not in has_y
                else "participants in an area where the intervention is not launched"
            )
            out.append(Violation(2, RULE_NAMES[2], why, year=t, area=a, intervention=i, amount=n, limit=bound))

    # 3. minimum scale: n >= m y in every year of the horizon
    for a, i in sorted(sol.launched):
        m = ivs[i].min_participants
        if m <= 0:
            continue
        for t in years:
            n = sol.n.get((a, i, t), 0.0)
            if n < m - _slack(tol, n, m):
                out.append(
                    Violation(
                        3,
                        RULE_NAMES[3],
                        "launched but below the minimum number of participants",
                        year=t,
                        area=a,
                        intervention=i,
                        amount=n,
                        limit=m,
                    )
                )

    # 4. fixed cost: sum_p z = f y; shares only where launched (shares of a non-launched pair cannot be expressed)
    for a, i in sorted(sol.launched):
        f = ivs[i].fixed_cost
        paid = sum(z for (za, zi, _p), z in sol.z.items() if (za, zi) == (a, i))
        if abs(paid - f) > _slack(tol, paid, f):
            out.append(
                Violation(
                    4, RULE_NAMES[4], "the pools' shares do not add up to the fixed cost", area=a, intervention=i, amount=paid, limit=f
                )
            )

    # 5. budget, with reinvested cash savings
    for pool in s.pools:
        budget = s.budget(pool)
        for t in years:
            lhs = sum(x for (_a, _i, p, tt), x in sol.x.items() if p == pool.id and tt == t)
            if t == 1:
                lhs += sum(z for (_a, _i, p), z in sol.z.items() if p == pool.id)
            reinvested = 0.0
            if pool.reinvest_rate > 0 and t > 1:
                cash = sum(
                    cash_saved(s, ivs[i], tp, pool.id, t - 1) * effective(s, ivs[i], a, n) for (a, i, tp), n in sol.n.items() if tp < t
                )
                reinvested = pool.reinvest_rate * cash
            rhs = budget[t - 1] + reinvested
            if lhs > rhs + _slack(tol, lhs, rhs):
                out.append(
                    Violation(
                        5,
                        RULE_NAMES[5],
                        "spending above the budget (plus reinvested savings)",
                        pool=pool.id,
                        year=t,
                        amount=lhs,
                        limit=rhs,
                        extra={"reinvested": reinvested},
                    )
                )

    # 6. capacity
    for iv in s.interventions:
        if iv.capacity is None:
            continue
        for t in years:
            lhs = sum(n for (_a, i, tt), n in sol.n.items() if i == iv.id and tt == t)
            if lhs > iv.capacity + _slack(tol, lhs, iv.capacity):
                out.append(
                    Violation(
                        6,
                        RULE_NAMES[6],
                        "participants above the intervention's capacity",
                        year=t,
                        intervention=iv.id,
                        amount=lhs,
                        limit=iv.capacity,
                    )
                )

    cwf = s.policy.community_wealth_fund
    deprived = deprived_areas(s)
    # 7. CWF share: spending in D >= phi x all spending (all years, plus fixed costs)
    if cwf.min_share > 0:
        total = sum(sol.x.values()) + sum(sol.z.values())
        in_d = sum(x for (a, _i, _p, _t), x in sol.x.items() if a in deprived) + sum(z for (a, _i, _p), z in sol.z.items() if a in deprived)
        rhs = cwf.min_share * total
        if in_d < rhs - _slack(tol, in_d, rhs, total):
            out.append(
                Violation(
                    7,
                    RULE_NAMES[7],
                    f"spending in deprived areas ({cwf.basis} basis) below {cwf.min_share:g} of all spending",
                    amount=in_d,
                    limit=rhs,
                    extra={"total": total, "deprived": sorted(deprived)},
                )
            )

    # 8. per-capita floor, every deprived area, every year (spending x only: fixed costs are not in the rule)
    if cwf.per_capita_floor > 0:
        for area in s.areas:
            if area.id not in deprived:
                continue
            rhs = cwf.per_capita_floor * area.population
            for t in years:
                lhs = sum(x for (a, _i, _p, tt), x in sol.x.items() if a == area.id and tt == t)
                if lhs < rhs - _slack(tol, lhs, rhs):
                    out.append(
                        Violation(8, RULE_NAMES[8], "spending per resident below the floor", year=t, area=area.id, amount=lhs, limit=rhs)
                    )

    # 9. no agency worse off: each pool's discounted spending <= its own discounted savings
    if s.policy.no_agency_worse_off:
        for pool in s.pools:
            lhs = sum(discount(s, t) * x for (_a, _i, p, t), x in sol.x.items() if p == pool.id)
            lhs += sum(z for (_a, _i, p), z in sol.z.items() if p == pool.id)
            rhs = sum(present_value(s, ivs[i], t, pool.id) * effective(s, ivs[i], a, n) for (a, i, t), n in sol.n.items())
            if lhs > rhs + _slack(tol, lhs, rhs):
                out.append(Violation(9, RULE_NAMES[9], "the pool spends more than its agency saves", pool=pool.id, amount=lhs, limit=rhs))

    # 10. area cap: spending x in one area in one year (fixed costs are not in the rule)
    if s.policy.area_cap is not None:
        cap = s.policy.area_cap
        per_area_year: dict[tuple[str, int], float] = defaultdict(float)
        for (a, _i, _p, t), x in sol.x.items():
            per_area_year[(a, t)] += x
        for (a, t), lhs in sorted(per_area_year.items()):
            if lhs > cap + _slack(tol, lhs, cap):
                out.append(Violation(10, RULE_NAMES[10], "spending in the area above the area cap", year=t, area=a, amount=lhs, limit=cap))

    # 11 (docs/model.md 2.3). commitments: spending on the intervention (there, then) >= min_spend; fixed costs count
    # when no year is given or the year is 1
    for k, c in enumerate(s.policy.commitments):
        lhs = sum(x for (a, i, _p, t), x in sol.x.items() if i == c.intervention and c.area in (None, a) and c.year in (None, t))
        if c.year in (None, 1):
            lhs += sum(z for (a, i, _p), z in sol.z.items() if i == c.intervention and c.area in (None, a))
        if lhs < c.min_spend - _slack(tol, lhs, c.min_spend):
            out.append(
                Violation(
                    11,
                    RULE_NAMES[11],
                    f"commitment {k} is not met",
                    year=c.year,
                    area=c.area,
                    intervention=c.intervention,
                    amount=lhs,
                    limit=c.min_spend,
                )
            )
    return out


def _close(a: float | None, b: float | None, tol: float, *scale: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= _slack(tol, a, b, *scale)


def _check_figures(s: Scenario, result: dict[str, Any], sol: _Solution, tol: float) -> list[Violation]:
    """The stated objective and summary are those of the returned allocations and launches."""
    out: list[Violation] = []
    objective = recompute_objective(s, result)
    # the objective is a difference of benefits and costs that can nearly cancel: compare on the size of the terms
    gross = sum(sol.x.values()) + sum(sol.z.values())
    if not _close(result.get("objective"), objective, tol, gross):
        out.append(
            Violation(
                0,
                "objective",
                "the stated objective is not the objective of the returned solution",
                amount=result.get("objective"),
                limit=objective,
            )
        )

    stated = result.get("summary")
    if not isinstance(stated, dict):
        out.append(Violation(0, "summary", f"a solved result must have a summary; got {stated!r}"))
        return out
    expected = recompute_summary(s, result)
    scale = expected["total_spending"]

    def cmp(key: str, got: Any, want: Any, **keys: Any) -> None:
        if want is None or got is None:
            ok = want is None and got is None
        else:
            ok = isinstance(got, (int, float)) and _close(
                got, want, tol, scale if key not in ("benefit_cost_ratio", "deprived_share") else 0.0
            )
        if not ok:
            out.append(Violation(0, "summary", f"summary.{key} is {got!r}, the allocations give {want!r}", amount=got, limit=want, **keys))

    for key in ("total_spending", "total_spending_discounted", "social_value", "benefit_cost_ratio", "deprived_share"):
        if key not in stated:
            out.append(Violation(0, "summary", f"summary.{key} is missing"))
        else:
            cmp(key, stated[key], expected[key])
    for key in ("savings_by_agency", "spending_by_agency", "net_position_by_agency"):
        got = stated.get(key)
        if not isinstance(got, dict):
            out.append(Violation(0, "summary", f"summary.{key} is missing or not a mapping"))
            continue
        for g, want in expected[key].items():
            if g not in got:
                out.append(Violation(0, "summary", f"summary.{key} does not list {g}", pool=g))
            else:
                cmp(f"{key}.{g}", got[g], want, pool=g)
        for g in set(got) - set(expected[key]):
            out.append(Violation(0, "summary", f"summary.{key} lists an unknown agency {g!r}"))
    got_dec = stated.get("spending_by_decile")
    if not isinstance(got_dec, dict) or set(got_dec) - set(expected["spending_by_decile"]):
        out.append(Violation(0, "summary", f"summary.spending_by_decile must map '1'..'10' to amounts; got {got_dec!r}"))
    else:
        for d, want in expected["spending_by_decile"].items():
            cmp(f"spending_by_decile.{d}", got_dec.get(d, 0.0), want)  # a decile left out is read as 0
    got_py = stated.get("spending_by_pool_year")
    if not isinstance(got_py, list):
        out.append(Violation(0, "summary", "summary.spending_by_pool_year is missing or not a list"))
    else:
        stated_py: dict[tuple[str, int], float] = defaultdict(float)
        for row in got_py:
            stated_py[(row["pool"], int(row["year"]))] += float(row["spend"])
        want_py = {(r["pool"], r["year"]): r["spend"] for r in expected["spending_by_pool_year"]}
        for pool_year in set(stated_py) | set(want_py):
            pool, year = pool_year
            cmp("spending_by_pool_year", stated_py.get(pool_year, 0.0), want_py.get(pool_year, 0.0), pool=pool, year=year)
    sharing = stated.get("cost_sharing")
    if sharing is not None:  # version 2 (docs/model.md 2.4): the rule, and the deviation of the plan as reported
        if not isinstance(sharing, dict) or sharing.get("rule") != expected["cost_sharing"]["rule"]:
            out.append(
                Violation(
                    0,
                    "summary",
                    f"summary.cost_sharing must name the scenario's rule {expected['cost_sharing']['rule']!r}; got {sharing!r}",
                )
            )
        else:
            cmp("cost_sharing.deviation", sharing.get("deviation"), expected["cost_sharing"]["deviation"])
    if "value_by_theme" in expected:
        got_theme = stated.get("value_by_theme")
        if not isinstance(got_theme, dict):
            out.append(Violation(0, "summary", "summary.value_by_theme is missing: outcomes have themes"))
        else:
            for theme in set(got_theme) | set(expected["value_by_theme"]):
                cmp(f"value_by_theme.{theme}", got_theme.get(theme, 0.0), expected["value_by_theme"].get(theme, 0.0))
            cmp("value_without_theme", stated.get("value_without_theme"), expected["value_without_theme"])
    ranges = stated.get("pool_spending_range")
    if isinstance(ranges, dict):  # the reported plan is one of the equally good plans: its spending lies in each range
        for p, bounds in ranges.items():
            paid = expected["spending_by_agency"].get(p)
            if paid is None or not isinstance(bounds, dict):
                out.append(Violation(0, "summary", f"summary.pool_spending_range lists {p!r}, which is not a pool, or not as {{min, max}}"))
            elif not (bounds["min"] - _slack(tol, scale) <= paid <= bounds["max"] + _slack(tol, scale)):
                out.append(
                    Violation(
                        0,
                        "summary",
                        f"summary.pool_spending_range of {p} is [{bounds['min']}, {bounds['max']}], "
                        f"which does not hold the plan's own {paid}",
                        pool=p,
                    )
                )
    return out
