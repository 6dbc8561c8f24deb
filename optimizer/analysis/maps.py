"""The map: a scenario's neighbourhoods coloured by spending per resident, the deprived areas outlined.

:func:`map_data` sums a result's spending per area: every allocation row of the
area (all years, all pools) plus the fixed costs of the interventions launched
there (paid in year 1), undiscounted, so the areas add up to the result's
``summary.total_spending`` as ``spending_by_decile`` does. Spending per resident
is that total over the area's ``population``; the deprived areas are the
Community Wealth Fund set the solve used (``optimizer.coefficients.deprived_set``:
decile at most ``max_decile`` on the national basis, the lowest-ranked share on
the local one).

:func:`map_spec` is a Vega-Lite specification (the grammar of the other charts,
``optimizer/analysis/charts.py``) with the boundaries inlined as data values
(``optimizer.place.boundaries``: ONS 2021 LSOAs, or 2011 LSOAs drawn from their
2021 parts), so it draws offline, in vl-convert and in a page whose
Content-Security-Policy allows only its own origin. No tiles: the shapes are the
map. Areas with no boundary (not English LSOA codes, as in hand-made examples)
are listed in ``missing`` and named under the map, never dropped unsaid; a
scenario with none at all is an :class:`AnalysisError`.

:func:`svg` renders the map with vl-convert; :func:`html_page` writes a page of
its own (the map, its caption and a table of every area) with the Vega,
Vega-Lite and vega-embed scripts inlined from vl-convert's bundle, so it opens
with no network and no other file.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Any

from optimizer.analysis.charts import VEGA_LITE, render_svg
from optimizer.analysis.common import AnalysisError, money, solved
from optimizer.coefficients import deprived_set
from optimizer.place.boundaries import boundaries, drawable, vintage_of
from optimizer.scenario import Scenario

#: the boundaries' attribution (``optimizer/place/data/ATTRIBUTION.md``), shown wherever the map is (page, SVG, HTML, pack)
ATTRIBUTION = (
    "Boundaries: LSOAs (December 2021, super generalised). Source: Office for National Statistics licensed under the "
    "Open Government Licence v3.0. Contains OS data © Crown copyright and database right 2022"
)
#: the outline of the deprived areas
OUTLINE = "#d4351c"
#: areas named one by one under the map when they have no boundary
MISSING_LISTED = 20
#: the appraisal pack draws the map up to this many areas (England's 33,755 make a 19 MB SVG: `totalplace map` draws it)
PACK_AREAS = 5_000


@dataclass(frozen=True)
class AreaSpending:
    """One area on the map: its spending over the horizon (undiscounted, fixed costs included) and per resident."""

    id: str
    name: str
    population: float
    imd_decile: int
    deprived: bool
    spending: float
    per_resident: float | None  # None where the area has no residents
    drawn: bool  # has a boundary
    approximate: bool = False  # drawn from larger 2021 LSOAs (a merged or irregular 2011 LSOA)


@dataclass(frozen=True)
class MapData:
    """What the map shows, in the scenario's order of areas."""

    scenario: str
    areas: list[AreaSpending]
    missing: list[str]  # ids of the areas with no boundary
    vintage: str  # "2025" (2021 LSOAs) or "2019" (2011 LSOAs)
    years: int  # the spending horizon the totals cover
    deprived_rule: str  # the Community Wealth Fund set in words
    geojson: dict[str, Any] = field(repr=False)

    @property
    def legend(self) -> str:
        return f"£ per resident, undiscounted total over {self.years} year{'s' if self.years != 1 else ''}"

    @property
    def deprived_count(self) -> int:
        return sum(a.deprived for a in self.areas)

    def rows(self, limit: int | None = None) -> list[AreaSpending]:
        """The areas by spending per resident, highest first (areas without residents last), the first ``limit``."""
        ordered = sorted(self.areas, key=lambda a: (a.per_resident is None, -(a.per_resident or 0.0), a.id))
        return ordered if limit is None else ordered[:limit]

    def notes(self) -> list[str]:
        """The caption's lines: what the colour and the outline are, what is not drawn, and the attribution."""
        lines = [
            f"Colour: spending per resident, undiscounted, all {self.years} year(s) of spending and every pool, fixed costs included.",
            f"Outlined in red: the {self.deprived_count} deprived area(s) of the Community Wealth Fund rule ({self.deprived_rule}).",
        ]
        approximate = sum(a.approximate for a in self.areas if a.drawn)
        if approximate:
            lines.append(
                f"{approximate} 2011 neighbourhood(s) merged or redrawn in 2021 are drawn as the larger 2021 area(s) they fell into."
            )
        if self.missing:
            named = ", ".join(self.missing[:MISSING_LISTED]) + (
                f" and {len(self.missing) - MISSING_LISTED} more" if len(self.missing) > MISSING_LISTED else ""
            )
            lines.append(f"Not drawn, having no boundary (not an English LSOA code): {len(self.missing)} area(s): {named}.")
        lines.append(ATTRIBUTION + ".")
        return lines


def spending_by_area(s: Scenario, result: dict[str, Any]) -> dict[str, float]:
    """Undiscounted spending per area id over every year and pool: allocations plus the fixed costs of launches."""
    out = {a.id: 0.0 for a in s.areas}
    rows = [(r["area"], float(r["spend"])) for r in result.get("allocations") or []]
    rows += [(launch["area"], float(sum(launch["fixed_cost_by_pool"].values()))) for launch in result.get("launches") or []]
    for area, spend in rows:
        if area not in out:
            raise AnalysisError(
                f"the result spends in area {area!r}, which is not in the scenario: give the scenario this result was solved from"
            )
        out[area] += spend
    return out


def _rule_text(s: Scenario) -> str:
    cwf = s.policy.community_wealth_fund
    if cwf.basis == "national":
        return f"IMD decile {cwf.max_decile} or below, national basis"
    return f"the {cwf.max_decile * 10} % of the place's areas with the lowest IMD rank, local basis"


@lru_cache(maxsize=16)
def _shapes(ids: tuple[str, ...], vintage: str) -> dict[str, Any]:
    """The boundaries of ``ids``, wound for the projection; kept for the next versions of a scenario (the same areas).

    Shared between calls: read, never changed."""
    shapes = boundaries(ids, vintage)
    for f in shapes["features"]:
        f["geometry"] = _clockwise(f["geometry"])
    return shapes


def map_data(s: Scenario, result: dict[str, Any], *, geometry: bool = True) -> MapData:
    """Spending per resident of each area of ``s`` in ``result`` (a result dict, as written out), with the boundaries.

    ``geometry=False`` leaves the shapes out (``geojson`` has no features), for the table of a place too large to draw."""
    if not solved(result):
        raise AnalysisError(f"the scenario is {result.get('status')}: there is no plan to map ({result.get('message', '')})")
    ids = [a.id for a in s.areas]
    vintage = s.data_vintage or vintage_of(ids)
    if geometry:
        shapes = _shapes(tuple(ids), vintage)
    else:
        known = drawable(ids, vintage)
        shapes = {
            "features": [{"id": i, "properties": {"approximate": known[i]}, "geometry": None} for i in ids if i in known],
            "missing": [i for i in ids if i not in known],
        }
    if not shapes["features"]:
        shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
        raise AnalysisError(
            f"none of the scenario's {len(ids)} area(s) ({shown}) has a boundary to draw: the map draws English LSOAs, "
            "2021 codes for IoD2025 scenarios and 2011 codes for IoD2019 ones (E01...), as `totalplace scenario build` makes"
        )
    drawn = {f["id"]: f for f in shapes["features"]}
    spend = spending_by_area(s, result)
    deprived = deprived_set(s)
    areas = []
    for k, area in enumerate(s.areas):
        people = float(area.population)
        feature = drawn.get(area.id)
        areas.append(
            AreaSpending(
                id=area.id,
                name=area.name or area.id,
                population=people,
                imd_decile=int(area.imd_decile),
                deprived=bool(deprived[k]),
                spending=spend[area.id],
                per_resident=spend[area.id] / people if people > 0 else None,
                drawn=feature is not None,
                approximate=bool(feature and feature["properties"].get("approximate")),
            )
        )
    by_id = {a.id: a for a in areas}
    features = []
    for f in shapes["features"] if geometry else []:
        a = by_id[f["id"]]
        features.append(
            {
                "type": "Feature",
                "id": a.id,
                "geometry": f["geometry"],
                "properties": {
                    "id": a.id,
                    "name": a.name,
                    "decile": a.imd_decile,
                    "deprived": a.deprived,
                    "population": round(a.population),
                    "spending": round(a.spending, 2),
                    "per_resident": None if a.per_resident is None else round(a.per_resident, 2),
                    "cwf": "deprived (Community Wealth Fund)" if a.deprived else "other",
                },
            }
        )
    return MapData(
        scenario=s.name,
        areas=areas,
        missing=list(shapes["missing"]),
        vintage=vintage,
        years=s.H,
        deprived_rule=_rule_text(s),
        geojson={"type": "FeatureCollection", "features": features},
    )


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True)) / 2


def _clockwise(geometry: dict[str, Any]) -> dict[str, Any]:
    """The MultiPolygon wound as Vega's projections (d3-geo, spherical) read it: outer rings clockwise, holes anticlockwise.

    GeoJSON (RFC 7946) winds them the other way; d3-geo would read such a ring as the whole globe but the area."""
    polygons = []
    for polygon in geometry["coordinates"]:
        rings = []
        for k, ring in enumerate(polygon):
            outer = k == 0
            rings.append(ring[::-1] if (_signed_area(ring) > 0) == outer else ring)
        polygons.append(rings)
    return {"type": "MultiPolygon", "coordinates": polygons}


def _wrapped(lines: list[str], width: int = 110) -> list[str]:
    return [part for line in lines for part in textwrap.wrap(line, width)]


def map_spec(data: MapData, title: str | None = None) -> dict[str, Any]:
    """A Vega-Lite map of ``data``: areas filled by spending per resident, the deprived ones outlined, boundaries inlined."""
    per_resident = "properties.per_resident"
    tooltip = [
        {"field": "properties.name", "title": "area"},
        {"field": "properties.id", "title": "code"},
        {"field": per_resident, "title": "£ per resident", "format": ",.2f"},
        {"field": "properties.spending", "title": "spending (£)", "format": ",.2f"},
        {"field": "properties.population", "title": "residents", "format": ",.0f"},
        {"field": "properties.decile", "title": "IMD decile"},
        {"field": "properties.cwf", "title": "Community Wealth Fund"},
    ]
    values = {"values": data.geojson, "format": {"type": "json", "property": "features"}}
    return {
        "$schema": VEGA_LITE,
        "title": {
            "text": title or f"Spending per resident: {data.scenario}"[:120],
            "anchor": "start",
            "subtitle": _wrapped(data.notes()),
            "subtitleFontSize": 10,
            "subtitleColor": "#505a5f",
        },
        "description": f"Map of {len(data.geojson['features'])} neighbourhoods coloured by {data.legend}; the {data.deprived_count} deprived "
        "areas of the Community Wealth Fund rule outlined in red",
        "width": "container",
        "height": 460,
        "autosize": {"type": "fit", "contains": "padding"},
        "config": {"font": "system-ui, sans-serif", "view": {"stroke": None}, "legend": {"labelLimit": 260, "titleLimit": 320}},
        "projection": {"type": "mercator"},
        "data": values,
        "layer": [
            {
                "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.4},
                "encoding": {
                    "color": {
                        "field": per_resident,
                        "type": "quantitative",
                        "title": data.legend,
                        "scale": {"scheme": "blues", "zero": True},
                        "legend": {"format": ",.0f", "orient": "bottom", "gradientLength": 240},
                    },
                    "tooltip": tooltip,
                },
            },
            {
                "transform": [{"filter": "datum.properties.deprived === true"}],
                "mark": {"type": "geoshape", "filled": False, "strokeWidth": 1.4},
                "encoding": {
                    "stroke": {
                        "field": "properties.cwf",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": ["deprived (Community Wealth Fund)"], "range": [OUTLINE]},
                        "legend": {"orient": "bottom", "symbolType": "square", "symbolFillColor": "transparent"},
                    },
                    "tooltip": tooltip,
                },
            },
            *(
                [
                    {
                        "transform": [{"filter": "datum.properties.per_resident === null"}],  # the fill layer leaves them out
                        "mark": {"type": "geoshape", "fill": "#b1b4b6", "stroke": "#ffffff", "strokeWidth": 0.4},
                        "encoding": {"tooltip": tooltip},
                    }
                ]
                if any(a.per_resident is None for a in data.areas if a.drawn)
                else []
            ),
        ],
        "usermeta": {"missing": data.missing, "vintage": data.vintage},
    }


def svg(data: MapData, title: str | None = None) -> str:
    """The map as SVG text (vl-convert), its caption (with the attribution) drawn in."""
    return render_svg(map_spec(data, title))


def pack_svg(s: Scenario, result: dict[str, Any]) -> tuple[str | None, str | None]:
    """The map for the appraisal pack: (SVG, None), or (None, why there is none) for a place with no boundaries or too large."""
    if len(s.areas) > PACK_AREAS:
        return None, (
            f"The pack has no map above {PACK_AREAS:,} areas ({len(s.areas):,} here): "
            "draw it with `totalplace map RESULT --scenario SCENARIO --output map.svg`."
        )
    try:
        return svg(map_data(s, result)), None
    except AnalysisError as exc:
        return None, f"No map: {exc}."


def _table(data: MapData) -> str:
    head = ("Area", "Code", "IMD decile", "Deprived (CWF)", "Residents", "Spending", "Per resident")
    rows = []
    for a in data.rows():
        cells = [
            escape(a.name),
            escape(a.id),
            str(a.imd_decile),
            "yes" if a.deprived else "",
            f"{a.population:,.0f}",
            escape(money(a.spending)),
            escape(money(a.per_resident)) if a.per_resident is not None else "no residents",
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (
        "<table><caption>Spending per resident in every area, highest first (undiscounted, over "
        f"{data.years} year(s))</caption><thead><tr>"
        + "".join(f"<th scope='col'>{h}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


_CSS = """body{font-family:system-ui,Helvetica,Arial,sans-serif;max-width:1000px;margin:24px auto;padding:0 16px;color:#0b0c0c}
#map{width:100%;min-height:480px} table{border-collapse:collapse;width:100%;font-size:13px;margin-top:16px}
th,td{padding:4px 8px;border-bottom:1px solid #e4e4e4;text-align:right} th:first-child,td:first-child,td:nth-child(2){text-align:left}
caption{text-align:left;font-weight:bold;padding:8px 0} .notes{font-size:13px;color:#505a5f}"""


def html_page(data: MapData, title: str | None = None) -> str:
    """A self-contained page: the map drawn by vega-embed (the scripts inlined from vl-convert's bundle), its caption and the table."""
    import vl_convert as vlc  # the same Vega the SVG is rendered with

    heading = title or f"Spending per resident: {data.scenario}"
    spec = map_spec(data, title) | {"title": None}  # the page's heading and caption say it
    spec_text = json.dumps(spec, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    bundle = vlc.javascript_bundle().replace("</script", "<\\/script")  # type: ignore[call-arg]  # its stub says snippet is required; None bundles the libraries
    return "\n".join(
        [
            "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>",
            "<meta name='viewport' content='width=device-width, initial-scale=1'>",
            f"<title>{escape(heading)}</title><style>{_CSS}</style></head><body>",
            f"<h1>{escape(heading)}</h1>",
            "<div id='map' role='img' aria-label='Map of spending per resident; the table below gives the same figures'></div>",
            "<ul class='notes'>" + "".join(f"<li>{escape(line)}</li>" for line in data.notes()) + "</ul>",
            _table(data),
            f"<script type='module'>{bundle}\n</script>",
            f"<script type='module'>const spec = {spec_text};\n"
            "window.vegaEmbed('#map', spec, {renderer: 'svg', actions: false}).catch((e) => { document.getElementById('map').textContent = "
            "'The map could not be drawn: ' + e; });\n</script>",
            "</body></html>",
        ]
    )
