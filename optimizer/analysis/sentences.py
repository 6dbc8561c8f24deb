"""The sensitivity report's sentences: each price and its range in board words (see :mod:`optimizer.analysis.sensitivity`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optimizer.analysis.common import money, money_round, number_round
from optimizer.scenario import Scenario


def sentence(s: Scenario, r: dict[str, Any]) -> str:
    """One item in board words."""
    text = _sentence(s, r)
    return text + " (Launch decisions fixed at the optimum.)" if r["integers_fixed"] else text


def _sentence(s: Scenario, r: dict[str, Any]) -> str:
    t, price, rule = r["target"], r["price"], r["target"]["rule"]
    if r["base_objective"] is None:
        return f"{_subject(s, t)}: the scenario could not be re-solved ({r['status']})."
    if rule == "no_agency_worse_off":
        name = _pool_name(s, t["pool"])
        if price == 0:
            return f"The no-agency-worse-off rule does not hold back the {name} pool."
        return f"Letting the {name} pool spend £1 more than the savings it receives (no agency worse off) would add {money(price)} of net value."
    if price == 0:
        if rule == "budget":
            where = f"One more £1 in the {_pool_name(s, t['pool'])} pool in year {t['year']} adds nothing"
            if r["unspent"] is not None and r["unspent"] > 0.5:
                return f"{where}: {money(r['unspent'])} of that year's budget is left unspent."
            return f"{where}: its budget is spent, but another pool could pay for what it funds instead."
        return f"{_subject(s, t)} does not bind at the margin: changing it a little changes nothing."
    return _priced(s, r, t, price) + _beyond(r, t)


def _priced(s: Scenario, r: dict[str, Any], t: dict[str, Any], price: float) -> str:
    rule, amount = t["rule"], r["amount"]
    verb = "adds" if price > 0 else "costs"
    value = money(abs(price))
    if rule == "budget":
        return f"One more £1 in the {_pool_name(s, t['pool'])} pool in year {t['year']} {verb} {value} of net value, {_upto(r, money_round, 'more')}."
    if rule == "community_wealth_fund.per_capita_floor":
        return (
            f"Raising the per-capita floor (now {money(amount)} per resident) by £1 per resident {verb} {value} of net value, "
            f"{_upto(r, money_round, 'more per resident')}."
        )
    if rule == "area_cap":
        return f"Raising the area cap (now {money(amount)}) by £1 {verb} {value} of net value, {_upto(r, money_round, 'more')}."
    if rule == "capacity":
        return (
            f"One more place a year on {_iv_name(s, t['intervention'])} (capacity now {amount:,.0f}) {verb} {value} of net value, "
            f"{_upto(r, number_round, 'more places')}."
        )
    return (
        f"Raising the Community Wealth Fund share (now {amount:.0%}) by one percentage point {verb} {value} of net value, "
        f"{_upto(r, lambda v: f'{v * 100:.3g}', 'more percentage points')} (within 1 %)."
    )


def _upto(r: dict[str, Any], fmt: Callable[[float], str], unit: str) -> str:
    if r["range_capped"]:
        return f"for at least {fmt(r['range'])} {unit} (as far as was tested)"
    if r["range"] is not None and r["range"] <= 0:
        return "but only at the margin"
    return f"up to {fmt(r['range'])} {unit}"


def _beyond(r: dict[str, Any], t: dict[str, Any]) -> str:
    if r["range_capped"] or r["beyond_status"] is None:
        return ""
    if r["beyond_price"] is None:
        return f" Beyond that the scenario cannot be met ({r['beyond_status']})."
    per = {
        "community_wealth_fund.per_capita_floor": "£1 per resident",
        "capacity": "place",
        "community_wealth_fund.min_share": "percentage point",
    }
    if abs(r["beyond_price"]) < 0.005:
        return (
            " Beyond that, more adds nothing." if t["rule"] != "community_wealth_fund.min_share" else " Beyond that it costs nothing more."
        )
    verb = "adds" if r["beyond_price"] >= 0 else "costs"
    return f" Beyond that, each further {per.get(t['rule'], '£1')} {verb} {money(abs(r['beyond_price']))}."


def _pool_name(s: Scenario, pool: str) -> str:
    return next((p.name for p in s.pools if p.id == pool), pool) or pool


def _iv_name(s: Scenario, iv: str) -> str:
    return next((i.name for i in s.interventions if i.id == iv), iv) or iv


def _subject(s: Scenario, t: dict[str, Any]) -> str:
    rule = t["rule"]
    if rule == "budget":
        return f"The {_pool_name(s, t['pool'])} pool's year {t['year']} budget"
    if rule == "capacity":
        return f"The capacity of {_iv_name(s, t['intervention'])}"
    if rule == "no_agency_worse_off":
        return f"No agency worse off for the {_pool_name(s, t['pool'])} pool"
    return {
        "community_wealth_fund.per_capita_floor": "The per-capita floor",
        "area_cap": "The area cap",
        "community_wealth_fund.min_share": "The Community Wealth Fund share",
    }[rule]


def short_money(v: float) -> str:
    """An amount as a board says it: £15.7m, £870k, £950 (and £0)."""
    if abs(v) >= 999_950:
        return f"£{v / 1e6:,.1f}m"
    if abs(v) >= 9_999.5:
        return f"£{v / 1e3:,.0f}k"
    return "£0" if abs(v) < 0.5 else money(v)


def who_pays(s: Scenario, summary: dict[str, Any]) -> list[str]:
    """The cost-sharing rule and each pool's room to agree another split (docs/model.md 2.4), in board words.

    ``summary`` is a result's summary; without ``cost_sharing`` (a result of an earlier version) nothing is said.
    """
    sharing = summary.get("cost_sharing")
    if not isinstance(sharing, dict):
        return []
    names = {p.id: p.name or p.id for p in s.pools}
    if sharing["rule"] == "shares":
        shares = s.policy.cost_sharing.shares or {}
        whole = sum(shares.values()) or 1.0
        rule = "the shares the board set (" + ", ".join(f"{names[p]} {shares.get(p, 0) / whole:.0%}" for p in names) + ")"
    else:
        rule = "each pool's share of that year's pooled budget"
    out = [
        f"Among the equally good plans, each year's spending is split as close as the rules allow to {rule}"
        + (f"; the rules keep it {short_money(sharing['deviation'])} away in all." if sharing["deviation"] >= 0.5 else ", exactly.")
    ]
    ranges = summary.get("pool_spending_range") or {}
    paid = summary.get("spending_by_agency") or {}
    for p, name in names.items():
        span = ranges.get(p)
        if not isinstance(span, dict):
            continue
        if span["max"] - span["min"] < 0.5:
            out.append(f"{name} pays {short_money(paid.get(p, 0.0))} (discounted); no other figure gives the same value.")
        else:
            out.append(
                f"{name} pays {short_money(paid.get(p, 0.0))} (discounted); any figure from {short_money(span['min'])} "
                f"to {short_money(span['max'])} gives the same value, with the other pools paying the difference."
            )
    if sharing.get("note"):
        out.append(f"Note: {sharing['note']}.")
    return out
