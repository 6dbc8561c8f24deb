"""The appraisal pack as one self-contained HTML page: headline, three charts and the map (Vega-Lite rendered to inline SVG) and two tables."""

from __future__ import annotations

from html import escape
from typing import Any

from optimizer.analysis.charts import decile_spec, pool_year_spec, render_svg, who_pays_spec
from optimizer.analysis.common import money

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;color:#222}
h1{font-size:22px;margin-bottom:4px} h2{font-size:16px;margin:22px 0 6px}
.sub{color:#666;margin-top:0} .lead li{margin:4px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:12px}
.charts svg,.map svg{width:100%;height:auto;border:1px solid #eee} .map{max-width:760px}
table{border-collapse:collapse;width:100%;font-size:13px} th,td{padding:4px 8px;border-bottom:1px solid #e4e4e4;text-align:right}
th:first-child,td:first-child{text-align:left} th{background:#f4f6f8} .neg{color:#b8405e}
.notes{font-size:12px;color:#555} @media print{.charts{grid-template-columns:1fr 1fr}}
"""


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"


def _cell(v: float | None) -> str:
    cls = ' class="neg"' if v is not None and v < 0 else ""
    return f"<td{cls}>{escape(money(v))}</td>"


def _table(rows: list[dict[str, Any]], first: str, social: bool) -> str:
    head = (
        [first, "Spending", "Spending (disc.)", "Savings (disc.)"]
        + (["Social value"] if social else [])
        + ["Net present value", "Return on £1", "Payback year", "Cashable savings"]
    )
    out = ["<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in rows:
        cells = [f"<td>{escape(r['name'])}</td>", _cell(r["spending"]), _cell(r["spending_discounted"]), _cell(r["savings_discounted"])]
        if social:
            cells.append(_cell(r["social_value"]))
        cells += [_cell(r["npv"]), f"<td>{_pct(r['roi'])}</td>", f"<td>{r['payback_year'] or '-'}</td>", _cell(r["cashable_savings"])]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _who_pays(pack: dict[str, Any]) -> list[str]:
    """Who pays among the equally good plans (docs/model.md 2.4): the rule's sentences, each pool's room to agree another split."""
    lines = pack.get("who_pays") or []
    return ["<h2>Who pays</h2><ul>" + "".join(f"<li>{escape(m)}</li>" for m in lines) + "</ul>"] if lines else []


def _themes(pack: dict[str, Any]) -> list[str]:
    """The net value by residents' theme (docs/model.md 2.2): each outcome's value shared equally among its themes."""
    by_theme = pack.get("value_by_theme")
    if not by_theme:
        return []
    rows = [(theme.replace("_", " ").capitalize(), v) for theme, v in sorted(by_theme.items(), key=lambda kv: -kv[1])]
    if pack.get("value_without_theme"):
        rows.append(("Outcomes without a theme", pack["value_without_theme"]))
    body = "".join(f"<tr><td>{escape(name)}</td>{_cell(v)}</tr>" for name, v in rows)
    return [
        "<h2>Value by residents' theme</h2><table><thead><tr><th>Theme</th><th>Value of the outcomes avoided (disc., weighted as the objective weighs it)</th></tr>"
        f"</thead><tbody>{body}</tbody></table>"
    ]


def _residents(pack: dict[str, Any]) -> list[str]:
    """What honouring residents' priorities costs, in the report's sentences (optimizer/analysis/residents.py)."""
    lines = (pack.get("residents") or {}).get("messages") or []
    return ["<h2>What honouring residents costs</h2><ul>" + "".join(f"<li>{escape(m)}</li>" for m in lines) + "</ul>"] if lines else []


def _sources(pack: dict[str, Any]) -> list[str]:
    """Where each figure comes from (docs/model.md 2.5): each intervention's citation, then each outcome's."""
    cited = [(r["name"], r["source"]) for r in pack["interventions"] if r.get("source")]
    outcomes = list((pack.get("outcome_sources") or {}).items())
    if not cited and not outcomes:
        return []
    items = "".join(f"<li><b>{escape(name)}</b>: {escape(src)}</li>" for name, src in cited)
    items += "".join(f"<li><b>Outcome {escape(o)}</b>: {escape(src)}</li>" for o, src in outcomes)
    return [f"<div class='notes'><h2>Sources</h2><ul>{items}</ul></div>"]


def chart_specs(pack: dict[str, Any]) -> list[dict[str, Any]]:
    """The three charts as Vega-Lite: spending by decile, who pays and who gains, spending by year and pool."""
    by_decile = decile_spec(
        [{"decile": d, "per_resident": pack["spending_by_decile"][str(d)]} for d in range(1, 11)],
        y_title="£ spent (undiscounted)",
        title="Spending by deprivation decile (1 = most deprived)",
    )
    who = who_pays_spec(
        [{"name": a["name"], "pays": a["spending_discounted"], "gains": a["savings_discounted"]} for a in pack["agencies"]],
        title="Who pays and who gains (discounted)",
    )
    by_year = pool_year_spec(pack["spending_by_pool_year"], title="Spending by year and pool (undiscounted)")
    return [by_decile, who, by_year]


def charts(pack: dict[str, Any]) -> list[str]:
    """The three charts as SVG text (vl-convert)."""
    return [render_svg(spec) for spec in chart_specs(pack)]


def html_page(pack: dict[str, Any], map_svg: str | None = None, map_note: str | None = None) -> str:
    """The whole page as text: no external files, scripts or fonts.

    ``map_svg`` is the map of spending per resident (``optimizer.analysis.maps.pack_svg``), drawn under the charts
    with its caption and the boundaries' attribution in it; ``map_note`` says why there is none."""
    t = pack["total"]
    social = any((r["social_value"] or 0) > 0 for r in pack["interventions"])
    funded = [r for r in pack["interventions"] if r["spending"] > 0]
    share = pack["deprived_share"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Appraisal: {escape(pack['scenario'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>Appraisal: {escape(pack['scenario'])}</h1>",
        f"<p class='sub'>Spending over {pack['horizon_years']} year(s), benefits counted over {pack['appraisal_years']} year(s), "
        f"discounted at {pack['discount_rate']:.1%} a year (HM Treasury Green Book). Net value of the plan (the optimiser's objective): "
        f"{escape(money(pack['objective']))}.</p>",
        "<ul class='lead'>"
        + "".join(f"<li>{escape(m)}</li>" for m in pack["messages"])
        + (f"<li>{share:.0%} of spending goes to the deprived areas of the Community Wealth Fund rule.</li>" if share is not None else "")
        + "</ul>",
        "<div class='charts'>" + "".join(charts(pack)) + "</div>",
        *([f"<h2>Where the money goes</h2><div class='map'>{map_svg}</div>"] if map_svg else []),
        *([f"<p class='notes'>{escape(map_note)}</p>"] if map_note and not map_svg else []),
        f"<h2>By intervention ({len(funded)} funded)</h2>",
        _table(pack["interventions"] + [t], "Intervention", social),
        "<h2>By agency</h2>",
        _table(pack["agencies"], "Agency", False),
        *_who_pays(pack),
        *_themes(pack),
        *_residents(pack),
        *_sources(pack),
        "<div class='notes'><h2>How to read this</h2><ul>"
        "<li><b>Discounted</b>: a pound next year counts as a little less than a pound today, by the discount rate.</li>"
        "<li><b>Net present value</b>: discounted savings minus discounted spending (fiscal only; social value, where shown, is beside it).</li>"
        "<li><b>Return on £1</b>: net present value per pound of discounted spending: 50 % means each pound comes back as £1.50.</li>"
        "<li><b>Payback year</b>: the first year in which discounted savings so far reach discounted spending so far; "
        "'-' when that does not happen within the appraisal years.</li>"
        "<li><b>Cashable savings</b>: the cash the avoided events would have cost, in the years it falls, not discounted.</li>"
        "<li>An agency's spending is its pool's; agencies without a pool gain without paying.</li></ul></div>",
        "</body></html>",
    ]
    return "\n".join(parts)
