"""Charts as Vega-Lite specifications (one declarative grammar), rendered to SVG by vl-convert for the reports.

The boards' page draws the same specifications in the browser with
vega-embed; the appraisal pack and the frontier's chart file render them here
with ``vl-convert-python`` (the Vega renderer itself, with no browser and no
network), so every chart of the project comes from one place. The
specifications are plain dicts: the core imports nothing of the web.
"""

from __future__ import annotations

from typing import Any

PALETTE = ("#1f5f8b", "#e07b39", "#4c9a5f", "#b8405e", "#7a5ea8", "#8c6d31", "#3a9ab0", "#c4a000", "#666666", "#d45087")


VEGA_LITE = "https://vega.github.io/schema/vega-lite/v6.json"
MONEY_AXIS = {"format": ",.0f", "title": "£"}


def _base(title: str, description: str) -> dict[str, Any]:
    return {
        "$schema": VEGA_LITE,
        "title": title,
        "description": description,
        "width": "container",
        "height": 260,
        "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}},
        "autosize": {"type": "fit", "contains": "padding"},
    }


def who_pays_spec(rows: list[dict[str, Any]], title: str = "Who pays and who gains (discounted)") -> dict[str, Any]:
    """Grouped bars per agency: what its pool pays and what it gains (rows carry ``name``, ``pays``, ``gains``)."""
    values = [
        {"agency": r["name"][:40], "what": what, "pounds": float(r[key])}
        for r in rows
        for what, key in (("pays", "pays"), ("gains", "gains"))
    ]
    return _base(title, "Discounted spending of each agency's pool beside its discounted savings") | {
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "agency", "type": "nominal", "title": None},
            "yOffset": {"field": "what"},
            "x": {"field": "pounds", "type": "quantitative", "axis": MONEY_AXIS},
            "color": {"field": "what", "type": "nominal", "scale": {"range": [PALETTE[0], PALETTE[2]]}, "title": None},
            "tooltip": [{"field": "agency"}, {"field": "what"}, {"field": "pounds", "format": ",.2f"}],
        },
    }


def pool_year_spec(rows: list[dict[str, Any]], title: str = "Spending by pool and year") -> dict[str, Any]:
    """Stacked bars per year, one colour per pool (rows carry ``pool``, ``year``, ``spend``)."""
    values = [{"pool": r["pool"][:40], "year": f"year {r['year']}", "pounds": float(r["spend"])} for r in rows]
    return _base(title, "Undiscounted spending of each pool in each year, stacked") | {
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "x": {"field": "year", "type": "ordinal", "title": None},
            "y": {"field": "pounds", "type": "quantitative", "axis": MONEY_AXIS},
            "color": {"field": "pool", "type": "nominal", "scale": {"range": list(PALETTE)}, "title": None},
            "tooltip": [{"field": "pool"}, {"field": "year"}, {"field": "pounds", "format": ",.2f"}],
        },
    }


def decile_spec(
    rows: list[dict[str, Any]],
    *,
    cwf_share: float = 0.0,
    y_title: str = "£ per resident",
    title: str = "Spending per resident by IMD decile (1 = most deprived)",
) -> dict[str, Any]:
    """Bars by decile of ``per_resident`` (or any amount, named by ``y_title``), with the average as a rule when the
    Community Wealth Fund applies."""
    values = [{"decile": int(r["decile"]), "pounds": float(r["per_resident"])} for r in rows]
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "color": PALETTE[0]},
            "encoding": {
                "x": {"field": "decile", "type": "ordinal", "title": "IMD decile"},
                "y": {"field": "pounds", "type": "quantitative", "title": y_title, "axis": {"format": ",.0f"}},
                "tooltip": [{"field": "decile"}, {"field": "pounds", "title": y_title, "format": ",.2f"}],
            },
        }
    ]
    if cwf_share > 0:
        layers.append(
            {
                "mark": {"type": "rule", "color": PALETTE[3], "strokeDash": [6, 4], "size": 2},
                "encoding": {"y": {"aggregate": "mean", "field": "pounds"}},
            }
        )
    return _base(
        title,
        f"Spending per resident in each IMD decile; the Community Wealth Fund keeps {cwf_share:.0%} for the most deprived"
        if cwf_share > 0
        else "Spending per resident in each IMD decile",
    ) | {"data": {"values": values}, "layer": layers}


def frontier_spec(points: list[dict[str, Any]], *, min_share: float, title: str = "What targeting deprived areas costs") -> dict[str, Any]:
    """Net value against the least share kept for deprived areas, the scenario's share marked and labelled
    (points carry ``min_share``, ``objective`` and ``status``; unsolved points are left out)."""
    values = [
        {"share": 100 * float(p["min_share"]), "objective": float(p["objective"])}
        for p in points
        if p.get("objective") is not None and p.get("status", "optimal") in ("optimal", "feasible")
    ]
    return _base(title, "Net value of the best plan at each least share of spending in deprived areas") | {
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "line", "point": True, "color": PALETTE[0]},
                "encoding": {
                    "x": {"field": "share", "type": "quantitative", "title": "least share in deprived areas (%)"},
                    "y": {"field": "objective", "type": "quantitative", "axis": MONEY_AXIS, "scale": {"zero": False}},
                    "tooltip": [{"field": "share", "format": ".1f"}, {"field": "objective", "format": ",.2f"}],
                },
            },
            {
                "data": {"values": [{"share": 100 * min_share, "label": f"this scenario: {100 * min_share:.0f} %"}]},
                "layer": [
                    {
                        "mark": {"type": "rule", "color": PALETTE[3], "strokeDash": [3, 3]},
                        "encoding": {"x": {"field": "share", "type": "quantitative"}},
                    },
                    {
                        "mark": {"type": "text", "color": PALETTE[3], "align": "left", "dx": 4, "y": 8},
                        "encoding": {"x": {"field": "share", "type": "quantitative"}, "text": {"field": "label"}},
                    },
                ],
            },
        ],
    }


#: How much of a band of diminishing returns the plan buys, in words (the responses chart's colours, in this order)
BOUGHT = ("bought in full", "partly bought", "not bought")


def bought_label(share: float | None) -> str:
    """:data:`BOUGHT`'s word for a band filled to ``share`` (None: no one it could reach)."""
    if share is None or share < 0.005:
        return BOUGHT[2]
    return BOUGHT[0] if share >= 0.995 else BOUGHT[1]


def response_spec(rows: list[dict[str, Any]], title: str = "How much of each service is worth buying") -> dict[str, Any]:
    """docs/model.md 2.1: one bar per band of each intervention with bands, its length the band's effect (times the
    intervention's average effect), coloured by how much of it the plan buys (``optimizer.analysis.worth.reach``'s
    rows: ``name``, ``bands: [{up_to, effect, share}]``)."""
    values: list[dict[str, Any]] = []
    for r in rows:
        below = 0.0
        for b, band in enumerate(r["bands"]):
            values.append(
                {
                    "band": f"{r['name'][:32]}: {below:.1%} to {band['up_to']:.1%}",
                    "order": len(values),
                    "effect": float(band["effect"]),
                    "bought": bought_label(band["share"]),
                    "share": band["share"] if band["share"] is not None else 0.0,
                    "intervention": r["name"][:40],
                    "number": b + 1,
                }
            )
            below = band["up_to"]
    height = max(120, 22 * len(values))
    return _base(
        title,
        "Each band of diminishing returns, by the share of the target group it covers: its effect beside the "
        "average, and whether the plan buys it",
    ) | {
        "height": height,
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "band", "type": "nominal", "sort": {"field": "order"}, "title": None, "axis": {"labelLimit": 320}},
            "x": {"field": "effect", "type": "quantitative", "title": "effect (times the average)"},
            "color": {
                "field": "bought",
                "type": "nominal",
                "scale": {"domain": list(BOUGHT), "range": [PALETTE[0], "#8fb3cf", "#d0d0d0"]},
                "title": None,
            },
            "tooltip": [
                {"field": "intervention"},
                {"field": "number", "title": "band"},
                {"field": "effect", "format": ".2f"},
                {"field": "share", "title": "share bought", "format": ".0%"},
            ],
        },
    }


def render_svg(spec: dict[str, Any]) -> str:
    """A Vega-Lite specification as SVG text (vl-convert: the Vega renderer itself, no browser, no network)."""
    import vl_convert as vlc  # imported here: only the reports render to SVG

    fixed = spec | {"width": 640} if spec.get("width") == "container" else spec
    return str(vlc.vegalite_to_svg(fixed))
