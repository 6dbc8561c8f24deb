"""What the boards' page shows of a scenario and its result, as plain values for the templates.

Nothing is computed here that the result does not already hold: the figures
are the result's own (docs/result-format.md), arranged for reading and money
written to the penny.
"""

from __future__ import annotations

import math
from typing import Any

from optimizer import charts


def money(value: float | None) -> str:
    """£1,234.56, -£20.00; a dash for no value."""
    if value is None or not math.isfinite(value):
        return "–"
    if abs(value) < 0.005:
        value = 0.0
    return ("-" if value < 0 else "") + f"£{abs(value):,.2f}"


def pounds(value: float) -> str:
    """A plain number of pounds to the penny, as the page's test hooks carry it (``data-pays``)."""
    return f"{round(value, 2):.2f}"


def names_of(scenario: dict[str, Any]) -> dict[str, str]:
    return {p["id"]: p["name"] for p in scenario.get("pools", [])} | {a["id"]: a["name"] for a in scenario.get("agencies", [])}


def headline(result: dict[str, Any]) -> str:
    summary = result.get("summary")
    if not summary or result.get("objective") is None:
        return str(result.get("message", "There is no plan."))
    spent = summary["total_spending_discounted"]
    net = result["objective"]
    per_pound = f", {money(net / spent)} for every pound spent" if spent > 0.005 else ""
    return (f"The plan spends {money(summary['total_spending'])} and yields {money(net)} of net value{per_pound}; "
            f"savings are {summary['benefit_cost_ratio']:.2f} times its discounted cost." if summary.get("benefit_cost_ratio")
            else f"The plan yields {money(net)} of net value{per_pound}.")


def who_pays(result: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per agency: discounted spending of its pool, discounted savings, net, and the room to agree another split."""
    summary = result.get("summary") or {}
    spend, save = summary.get("spending_by_agency", {}), summary.get("savings_by_agency", {})
    ranges = summary.get("pool_spending_range") or {}
    rows = []
    for agency in list(dict.fromkeys([*spend, *save])):
        pays, gains = float(spend.get(agency, 0.0)), float(save.get(agency, 0.0))
        span = ranges.get(agency)
        rows.append({"id": agency, "name": names.get(agency, agency), "pays": pays, "gains": gains, "net": gains - pays,
                     "pays_text": money(pays), "gains_text": money(gains), "net_text": money(gains - pays),
                     "pays_attr": pounds(pays), "gains_attr": pounds(gains),
                     "range_text": f"{money(span['min'])} to {money(span['max'])}" if isinstance(span, dict) else None})
    return rows


def pool_years(result: dict[str, Any], names: dict[str, str]) -> tuple[list[int], list[dict[str, Any]]]:
    """Spending by pool (rows) and year (columns), undiscounted."""
    cells: dict[str, dict[int, float]] = {}
    for row in (result.get("summary") or {}).get("spending_by_pool_year", []):
        cells.setdefault(row["pool"], {})[int(row["year"])] = float(row["spend"])
    years = sorted({y for by in cells.values() for y in by})
    return years, [{"id": pool, "name": names.get(pool, pool), "cells": [money(by.get(y, 0.0)) for y in years],
                    "total": money(sum(by.values()))} for pool, by in cells.items()]


def deciles(result: dict[str, Any], scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """Spending per resident by IMD decile (1 = most deprived), undiscounted."""
    people: dict[int, float] = {}
    for area in scenario.get("areas", []):
        people[int(area["imd_decile"])] = people.get(int(area["imd_decile"]), 0.0) + float(area["population"])
    spend = (result.get("summary") or {}).get("spending_by_decile", {})
    out = []
    for d in range(1, 11):
        residents = people.get(d, 0.0)
        total = float(spend.get(str(d), 0.0))
        out.append({"decile": d, "spending": total, "residents": residents, "per_resident": total / residents if residents else None,
                    "spending_text": money(total), "per_resident_text": money(total / residents) if residents else "no residents"})
    return out


def interventions(result: dict[str, Any], scenario: dict[str, Any]) -> list[dict[str, Any]]:
    by = (result.get("summary") or {}).get("by_intervention", {})
    out = []
    for iv in scenario.get("interventions", []):
        row = by.get(iv["id"], {})
        bcr = row.get("benefit_cost_ratio")
        out.append({"id": iv["id"], "name": iv["name"], "spending": money(row.get("spending", 0.0)),
                    "savings": money(row.get("savings", 0.0)), "bcr": f"{bcr:.2f}" if bcr is not None else "not funded",
                    "source": iv.get("source") or ""})
    return out


def cwf_text(scenario: dict[str, Any]) -> str:
    cwf = (scenario.get("policy") or {}).get("community_wealth_fund") or {}
    share = float(cwf.get("min_share", 0.0))
    if share <= 0:
        return "No share of spending is kept for the most deprived areas."
    return (f"At least {share:.0%} of spending goes to areas in IMD decile {cwf.get('max_decile', 1)} or below "
            f"({cwf.get('basis', 'national')} basis).")


def charts_of(result: dict[str, Any], scenario: dict[str, Any], names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The page's Vega-Lite specifications (the same builders as the appraisal pack's)."""
    summary = result.get("summary")
    if not summary:
        return {}
    share = float(((scenario.get("policy") or {}).get("community_wealth_fund") or {}).get("min_share", 0.0))
    return {
        "who-pays": charts.who_pays_spec(who_pays(result, names)),
        "pool-year": charts.pool_year_spec([{"pool": names.get(r["pool"], r["pool"]), "year": r["year"], "spend": r["spend"]}
                                            for r in summary["spending_by_pool_year"]]),
        "deciles": charts.decile_spec([{"decile": d["decile"], "per_resident": d["per_resident"] or 0.0} for d in deciles(result, scenario)],
                                      cwf_share=share),
    }
