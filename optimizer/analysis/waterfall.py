"""The comparison's waterfall as a Vega-Lite spec, and as SVG rendered by vl-convert (no browser, no Node).

One bar per step: A's optimum, each change's value (from the running total
before it to the one after it), B's optimum. The spec is plain data, so the
boards' page can draw the same chart from the API's report.
"""

from __future__ import annotations

from typing import Any

from optimizer.analysis.common import money

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
#: characters of a change's words kept as its bar's label
LABEL_CHARS = 70


def steps(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The waterfall's rows, in pounds: A, each valued change, B (none when there is no objective change to attribute)."""
    if report.get("objective_change") is None or report["objective_a"] is None:
        return []
    a, b = report["objective_a"] / 100, report["objective_b"] / 100
    rows = [{"order": 0, "step": f"A: {report['a']['name']}"[:LABEL_CHARS], "start": 0.0, "end": a, "kind": "scenario", "amount": money(a)}]
    running = a
    for e in report["attribution"]:
        if e.get("value") in (None, 0):
            continue
        v = e["value"] / 100
        words = e["action"][0].upper() + e["action"][1:]
        rows.append(
            {
                "order": len(rows),
                "step": words if len(words) <= LABEL_CHARS else words[: LABEL_CHARS - 1] + "…",
                "start": running,
                "end": running + v,
                "kind": "bought" if v > 0 else "cost",
                "amount": money(v),
            }
        )
        running += v
    rows.append(
        {
            "order": len(rows),
            "step": f"B: {report['b']['name']}"[:LABEL_CHARS],
            "start": 0.0,
            "end": b,
            "kind": "scenario",
            "amount": money(b),
        }
    )
    # the totals start at the left edge of the changes' range, not at 0: the changes are what the chart is for
    ends = [r["end"] for r in rows] + [r["start"] for r in rows[1:-1]]
    low, high = min(ends), max(ends)
    floor = low - max(0.25 * (high - low), 0.01 * max(abs(low), abs(high), 1.0))
    for r in (rows[0], rows[-1]):
        r["start"] = floor
    return rows


def spec(report: dict[str, Any], title: str | None = None) -> dict[str, Any]:
    """A Vega-Lite spec of the waterfall (horizontal bars, one row per step, top to bottom; the totals cut at the left)."""
    rows = steps(report)
    colours = {"domain": ["scenario", "bought", "cost"], "range": ["#505a5f", "#00703c", "#d4351c"]}  # GOV.UK grey, green, red
    return {
        "$schema": SCHEMA,
        "title": title or f"Why net value changed: {report['a']['name']} to {report['b']['name']}",
        "width": 480,
        "height": {"step": 26},
        "data": {"values": rows},
        "encoding": {"y": {"field": "step", "type": "nominal", "sort": {"field": "order"}, "title": None, "axis": {"labelLimit": 420}}},
        "layer": [
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "x": {
                        "field": "start",
                        "type": "quantitative",
                        "title": "net value (£)",
                        "axis": {"format": ",.0f"},
                        "scale": {"zero": False},
                    },
                    "x2": {"field": "end"},
                    "color": {"field": "kind", "type": "nominal", "scale": colours, "legend": {"title": None, "orient": "bottom"}},
                    "tooltip": [{"field": "step"}, {"field": "amount"}],
                },
            },
            {
                "mark": {"type": "text", "align": "left", "dx": 4},
                "encoding": {"x": {"field": "end", "type": "quantitative"}, "text": {"field": "amount"}},
            },
        ],
    }


def svg(report: dict[str, Any], title: str | None = None) -> str:
    """The waterfall as SVG, rendered from :func:`spec` by vl-convert."""
    import vl_convert

    return str(vl_convert.vegalite_to_svg(spec(report, title)))
