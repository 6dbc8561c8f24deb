"""What the boards' page shows of a scenario and its result, as plain values for the templates.

Nothing is computed here that the result does not already hold: the figures
are the result's own (docs/result-format.md), arranged for reading and money
written to the penny.
"""

from __future__ import annotations

import json
import math
from typing import Any

from optimizer import AnalysisError, ScenarioError, charts, maps, parse_scenario, worth

#: the map is drawn on the page up to this many neighbourhoods (an ICB's ~2,000 inline ~1 MB of boundaries); above, `totalplace map`
MAP_AREAS_DRAWN = 3_000
#: the map's table alternative lists this many areas, highest spending per resident first
MAP_ROWS_LISTED = 100


def script_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` escaped, so no name in it can close the block."""
    return json.dumps(value, allow_nan=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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
    return (
        f"The plan spends {money(summary['total_spending'])} and yields {money(net)} of net value{per_pound}; "
        f"savings are {summary['benefit_cost_ratio']:.2f} times its discounted cost."
        if summary.get("benefit_cost_ratio")
        else f"The plan yields {money(net)} of net value{per_pound}."
    )


def who_pays(result: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """One row per agency: discounted spending of its pool, discounted savings, net, and the room to agree another split."""
    summary = result.get("summary") or {}
    spend, save = summary.get("spending_by_agency", {}), summary.get("savings_by_agency", {})
    ranges = summary.get("pool_spending_range") or {}
    rows = []
    for agency in list(dict.fromkeys([*spend, *save])):
        pays, gains = float(spend.get(agency, 0.0)), float(save.get(agency, 0.0))
        span = ranges.get(agency)
        rows.append(
            {
                "id": agency,
                "name": names.get(agency, agency),
                "pays": pays,
                "gains": gains,
                "net": gains - pays,
                "pays_text": money(pays),
                "gains_text": money(gains),
                "net_text": money(gains - pays),
                "pays_attr": pounds(pays),
                "gains_attr": pounds(gains),
                "range_text": f"{money(span['min'])} to {money(span['max'])}" if isinstance(span, dict) else None,
            }
        )
    return rows


def pool_years(result: dict[str, Any], names: dict[str, str]) -> tuple[list[int], list[dict[str, Any]]]:
    """Spending by pool (rows) and year (columns), undiscounted."""
    cells: dict[str, dict[int, float]] = {}
    for row in (result.get("summary") or {}).get("spending_by_pool_year", []):
        cells.setdefault(row["pool"], {})[int(row["year"])] = float(row["spend"])
    years = sorted({y for by in cells.values() for y in by})
    return years, [
        {"id": pool, "name": names.get(pool, pool), "cells": [money(by.get(y, 0.0)) for y in years], "total": money(sum(by.values()))}
        for pool, by in cells.items()
    ]


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
        out.append(
            {
                "decile": d,
                "spending": total,
                "residents": residents,
                "per_resident": total / residents if residents else None,
                "spending_text": money(total),
                "per_resident_text": money(total / residents) if residents else "no residents",
            }
        )
    return out


def interventions(result: dict[str, Any], scenario: dict[str, Any]) -> list[dict[str, Any]]:
    by = (result.get("summary") or {}).get("by_intervention", {})
    out = []
    for iv in scenario.get("interventions", []):
        row = by.get(iv["id"], {})
        bcr = row.get("benefit_cost_ratio")
        out.append(
            {
                "id": iv["id"],
                "name": iv["name"],
                "spending": money(row.get("spending", 0.0)),
                "savings": money(row.get("savings", 0.0)),
                "bcr": f"{bcr:.2f}" if bcr is not None else "not funded",
                "source": iv.get("source") or "",
            }
        )
    return out


def responses(result: dict[str, Any], scenario: dict[str, Any]) -> list[dict[str, Any]]:
    """docs/model.md 2.1: each intervention with bands of diminishing returns, band by band, with what the plan buys of it.

    Rows for the page's table (the chart's alternative): ``name``, ``sentence`` (how much of it the plan buys, as the
    command line says it) and ``bands`` (``range`` of the target group, ``effect``, ``bought`` in words and as a share)."""
    if not result.get("summary") or not any(iv.get("response") for iv in scenario.get("interventions", [])):
        return []
    s = parse_scenario(scenario)
    reach = worth.reach(s, result)
    said = dict(zip([r["intervention"] for r in reach], worth.sentences(s, result, reach), strict=True))
    out = []
    for r in reach:
        if len(r["bands"]) < 2:
            continue
        below, bands = 0.0, []
        for band in r["bands"]:
            bands.append(
                {
                    "range": f"{below:.1%} to {band['up_to']:.1%}",
                    "effect": f"{band['effect']:.2f}",
                    "bought": charts.bought_label(band["share"]),
                    "share": "-" if band["share"] is None else f"{band['share']:.0%}",
                }
            )
            below = band["up_to"]
        out.append({"id": r["intervention"], "name": r["name"], "sentence": said.get(r["intervention"], ""), "bands": bands, "raw": r})
    return out


def cwf_text(scenario: dict[str, Any]) -> str:
    cwf = (scenario.get("policy") or {}).get("community_wealth_fund") or {}
    share = float(cwf.get("min_share", 0.0))
    if share <= 0:
        return "No share of spending is kept for the most deprived areas."
    return (
        f"At least {share:.0%} of spending goes to areas in IMD decile {cwf.get('max_decile', 1)} or below "
        f"({cwf.get('basis', 'national')} basis)."
    )


def charts_of(
    result: dict[str, Any], scenario: dict[str, Any], names: dict[str, str], banded: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """The page's Vega-Lite specifications (the same builders as the appraisal pack's); ``banded``: :func:`responses`."""
    summary = result.get("summary")
    if not summary:
        return {}
    share = float(((scenario.get("policy") or {}).get("community_wealth_fund") or {}).get("min_share", 0.0))
    return ({"responses": charts.response_spec([r["raw"] for r in banded])} if banded else {}) | {
        "who-pays": charts.who_pays_spec(who_pays(result, names)),
        "pool-year": charts.pool_year_spec(
            [{"pool": names.get(r["pool"], r["pool"]), "year": r["year"], "spend": r["spend"]} for r in summary["spending_by_pool_year"]]
        ),
        "deciles": charts.decile_spec(
            [{"decile": d["decile"], "per_resident": d["per_resident"] or 0.0} for d in deciles(result, scenario)], cwf_share=share
        ),
    }


def area_map(result: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any] | None:
    """The map's table alternative and caption (``optimizer.maps``, without the shapes); None without a plan.

    ``drawn_here`` says whether the page draws the map (its specification comes from :func:`map_spec`, fetched
    by the page after it has loaded, so the answer's figures are not held up by the boundaries); ``why`` says
    why not, where it does not (no area has a boundary, or the place is too large to draw in a page)."""
    if not result.get("summary"):
        return None
    try:
        data = maps.map_data(parse_scenario(scenario), result, geometry=False)
    except (AnalysisError, ScenarioError) as exc:
        return {"drawn_here": False, "why": f"No map: {exc}.", "rows": [], "notes": [maps.ATTRIBUTION + "."], "total": 0, "listed": 0}
    drawn = sum(a.drawn for a in data.areas)
    small = len(data.areas) <= MAP_AREAS_DRAWN
    why = (
        None
        if small
        else (
            f"The map is not drawn on this page for more than {MAP_AREAS_DRAWN:,} neighbourhoods ({drawn:,} here): "
            "draw it with `totalplace map RESULT --scenario SCENARIO --output map.html`."
        )
    )
    rows = [
        {
            "id": a.id,
            "name": a.name,
            "decile": a.imd_decile,
            "deprived": a.deprived,
            "residents": f"{a.population:,.0f}",
            "spending": money(a.spending),
            "per_resident": money(a.per_resident) if a.per_resident is not None else "no residents",
            "per_resident_attr": pounds(a.per_resident) if a.per_resident is not None else "",
        }
        for a in data.rows(MAP_ROWS_LISTED)
    ]
    return {
        "drawn_here": small,
        "why": why,
        "rows": rows,
        "notes": data.notes(),
        "legend": data.legend,
        "total": len(data.areas),
        "listed": len(rows),
        "deprived": data.deprived_count,
        "drawn": drawn,
    }


def map_spec(result: dict[str, Any], scenario: dict[str, Any]) -> dict[str, Any] | None:
    """The map's Vega-Lite specification for the page (its title and caption are the page's own text); None where not drawn."""
    if not result.get("summary") or len(scenario.get("areas", [])) > MAP_AREAS_DRAWN:
        return None
    try:
        return maps.map_spec(maps.map_data(parse_scenario(scenario), result)) | {"title": None}
    except (AnalysisError, ScenarioError):
        return None


# -- comparing two versions ------------------------------------------------------------------


#: changes listed one by one on the page (two different places differ in every area)
CHANGES_LISTED = 200


def pence_money(value: int | None) -> str:
    """Whole pence (the comparison report's money) as £1,234.56."""
    return money(None if value is None else value / 100)


def _signed(value: int | None) -> str:
    return "–" if value is None else ("+" if value > 0 else "") + pence_money(value)


def comparison(report: dict[str, Any], doc_a: dict[str, Any], doc_b: dict[str, Any]) -> dict[str, Any]:
    """The comparison report (``GET /v1/scenarios/{id}/compare/{other_id}``, money in whole pence) arranged for the page.

    The waterfall rows are the report's attribution in its order, with the running total from A's optimum to B's:
    every figure is the report's own, only written in pounds and pence."""
    from optimizer import waterfall

    names = names_of(doc_a) | names_of(doc_b)
    changes = [
        {
            "id": c["id"],
            "kind": c["kind"],
            "family": c["family"],
            "message": c["message"],
            "pointer": c["pointer_b"] if c["pointer_b"] is not None else c["pointer_a"],
        }
        for c in report.get("changes", [])
    ]
    changes_total = len(changes)
    changes = changes[:CHANGES_LISTED]
    rows: list[dict[str, Any]] = []
    running = report.get("objective_a")
    for e in report.get("attribution", []):
        value = e.get("value")
        if running is not None and value is not None:
            running += value
        rows.append(
            {
                "change": e["change"],
                "family": e["family"],
                "message": e["message"],
                "value": value,
                "value_text": _signed(value) if value is not None else "not valued",
                "running_text": pence_money(running),
                "stderr_text": pence_money(e["stderr"]) if e.get("stderr") is not None else None,
            }
        )
    valued = [r["value"] for r in rows if r["value"] is not None]
    figures = report.get("figures") or {}
    agencies = [
        {
            "id": g["agency"],
            "name": names.get(g["agency"], g["agency"]),
            **{
                f"{k}_{side}": pence_money(g[k][side]) if side != "change" else _signed(g[k][side])
                for k in ("pays", "gains")
                for side in ("a", "b", "change")
            },
        }
        for g in figures.get("agencies", [])
    ]
    pool_years = [
        {
            "pool": names.get(r["pool"], r["pool"]),
            "year": r["year"],
            "a": pence_money(r["a"]),
            "b": pence_money(r["b"]),
            "change": _signed(r["change"]),
        }
        for r in figures.get("spending_by_pool_year", [])
    ]
    spec = waterfall.spec(report, "Why net value changed, from A to B") if waterfall.steps(report) else None
    if spec is not None:  # as the page's other charts: as wide as its box (320 px screens), the labels cut to fit
        spec |= {
            "width": "container",
            "autosize": {"type": "fit", "contains": "padding"},
            "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}},
        }
        spec["encoding"]["y"]["axis"]["labelLimit"] = 150
    structure = (
        next((m for m in report.get("messages", []) if m.startswith("Compared on the figures only")), None)
        if report.get("method") is None
        else None
    )
    return {
        "report": report,
        "changes": changes,
        "changes_total": changes_total,
        "waterfall": rows,
        "agencies": agencies,
        "pool_years": pool_years,
        "objective_a": pence_money(report.get("objective_a")),
        "objective_b": pence_money(report.get("objective_b")),
        "objective_change": _signed(report.get("objective_change")),
        "objective_change_pence": report.get("objective_change"),
        "sum_of_values": _signed(sum(valued)) if valued else None,
        "sum_of_values_pence": sum(valued) if valued else None,
        "spending_a": pence_money((figures.get("total_spending") or {}).get("a")),
        "spending_b": pence_money((figures.get("total_spending") or {}).get("b")),
        "messages": [m for m in report.get("messages", []) if m != structure],
        "warnings": report.get("warnings", []),
        "binding": [r["message"] for r in report.get("binding", [])],
        "structure": structure,
        "compare_chart": script_json({"waterfall": spec}) if spec else None,
    }
