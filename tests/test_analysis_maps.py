"""The map (optimizer/analysis/maps.py, ``totalplace map``): spending per resident by hand, the deprived outline, the SVG and the errors.

The hand case: two City of London LSOAs (E01000001, E01000002; shipped 2021 boundaries), 1,000 and 2,000 residents.
The result spends, over two years and two pools,

* E01000001: £100 (council, year 1) + £200 (police, year 2) + a launch's fixed cost £300 (council £250, police £50) = £600,
  so £0.60 per resident;
* E01000002: £500 (council, year 2), so £0.25 per resident.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from optimizer import AnalysisError, in_pence, parse_scenario, solve
from optimizer.analysis import maps
from optimizer.coefficients import deprived_set
from optimizer.scenario import scenario_hash

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
CITY = ["E01000001", "E01000002", "E01000003", "E01000005"]  # City of London 2021 LSOAs (E01000004 is not one)


def _scenario(ids: list[str], populations: list[float], deciles: list[int], ranks: list[int], **cwf: Any) -> dict[str, Any]:
    doc = json.loads(TINY.read_text())
    doc["areas"] = [
        {"id": i, "name": f"area {i}", "imd_decile": d, "imd_rank": r, "population": p, "groups": {"families": 50, "young_people": 50}}
        for i, p, d, r in zip(ids, populations, deciles, ranks, strict=True)
    ]
    doc["policy"]["community_wealth_fund"] |= cwf
    return doc


def _result(allocations: list[dict[str, Any]], launches: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "status": "optimal",
        "message": "by hand",
        "objective": 1.0,
        "allocations": allocations,
        "launches": launches or [],
        "summary": {"total_spending": sum(a["spend"] for a in allocations)},
        "scenario_hash": "by hand",
    }


def _row(area: str, pool: str, year: int, spend: float) -> dict[str, Any]:
    return {"area": area, "intervention": "early_help", "pool": pool, "year": year, "spend": spend, "participants": spend / 1500}


@pytest.fixture(scope="module")
def hand() -> maps.MapData:
    s = parse_scenario(_scenario(CITY[:2], [1000, 2000], [1, 6], [120, 19000]))
    result = _result(
        [_row("E01000001", "council", 1, 100.0), _row("E01000001", "police", 2, 200.0), _row("E01000002", "council", 2, 500.0)],
        [{"area": "E01000001", "intervention": "early_help", "fixed_cost_by_pool": {"council": 250.0, "police": 50.0}}],
    )
    return maps.map_data(s, result)


def _features(spec: dict[str, Any]) -> list[dict[str, Any]]:
    data = spec["data"]
    assert data["format"] == {"type": "json", "property": "features"}  # inline values, no URL
    assert "url" not in data
    return list(data["values"]["features"])


def test_the_attribution_is_the_shipped_boundaries_statement() -> None:
    shipped = (ROOT / "optimizer" / "place" / "data" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    statement = shipped.split("## 2021 LSOA boundaries", 1)[1].split("> ", 1)[1].splitlines()[0].strip()
    assert statement.startswith("Source: Office for National Statistics") and statement in maps.ATTRIBUTION


def test_spending_per_resident_by_hand(hand: maps.MapData) -> None:
    by = {a.id: a for a in hand.areas}
    assert by["E01000001"].spending == pytest.approx(600.0) and by["E01000001"].per_resident == pytest.approx(0.60)
    assert by["E01000002"].spending == pytest.approx(500.0) and by["E01000002"].per_resident == pytest.approx(0.25)
    props = {f["id"]: f["properties"] for f in _features(maps.map_spec(hand))}
    assert props["E01000001"]["per_resident"] == pytest.approx(0.60) and props["E01000002"]["per_resident"] == pytest.approx(0.25)
    assert props["E01000001"]["population"] == 1000 and props["E01000002"]["spending"] == pytest.approx(500.0)
    assert [a.id for a in hand.rows()] == ["E01000001", "E01000002"]  # highest per resident first
    assert hand.missing == [] and hand.vintage == "2025" and hand.years == 2


def test_the_legend_says_undiscounted_over_the_horizon(hand: maps.MapData) -> None:
    spec = maps.map_spec(hand)
    fill = spec["layer"][0]["encoding"]["color"]
    assert fill["field"] == "properties.per_resident" and fill["title"] == "£ per resident, undiscounted total over 2 years"
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "Open Government Licence" in subtitle and "Office for National Statistics" in subtitle


def test_the_areas_add_up_to_the_result_s_total_spending() -> None:
    s = parse_scenario(json.loads(TINY.read_text()))
    result = in_pence(solve(s).to_dict())
    data = maps.map_data(s, result)
    assert sum(a.spending for a in data.areas) == pytest.approx(result["summary"]["total_spending"], abs=0.01)
    people = {a.id: a.population for a in s.areas}
    for a in data.areas:
        spent = sum(r["spend"] for r in result["allocations"] if r["area"] == a.id) + sum(
            sum(launch["fixed_cost_by_pool"].values()) for launch in result["launches"] if launch["area"] == a.id
        )
        assert a.per_resident == pytest.approx(spent / people[a.id])


def _paths(svg: str, layer: int) -> list[str]:
    group = re.search(rf'<g class="mark-shape role-mark layer_{layer}_marks"[^>]*?(/>|>(.*?)</g>)', svg, re.S)
    assert group is not None, f"no layer {layer} in the SVG"
    return re.findall(r'<path[^>]* d="([^"]+)"', group.group(2) or "")


@pytest.mark.parametrize(
    ("cwf", "expected"),
    [
        ({"basis": "national", "max_decile": 2}, {"E01000001", "E01000003"}),  # deciles 1 and 2; not 3 and 7
        ({"basis": "local", "max_decile": 5}, {"E01000001", "E01000005"}),  # the lowest half of the ranks: 100 and 200
    ],
)
def test_the_outline_is_exactly_the_deprived_set(cwf: dict[str, Any], expected: set[str]) -> None:
    s = parse_scenario(_scenario(CITY, [1000, 1000, 1000, 1000], [1, 7, 2, 3], [100, 25000, 2500, 200], **cwf))
    assert {a.id for a, d in zip(s.areas, deprived_set(s), strict=True) if d} == expected
    result = _result([_row(i, "council", 1, 10.0 * (k + 1)) for k, i in enumerate(CITY)])
    data = maps.map_data(s, result)
    spec = maps.map_spec(data)
    features = _features(spec)
    assert {f["id"] for f in features if f["properties"]["deprived"]} == expected
    svg = maps.svg(data)
    fills, outlines = _paths(svg, 0), _paths(svg, 1)
    assert len(fills) == len(CITY)  # one shape per area, in the data's order
    by_shape = {d: f["id"] for d, f in zip(fills, features, strict=True)}
    assert len(by_shape) == len(CITY)
    assert {by_shape[d] for d in outlines} == expected  # the outlines are drawn on exactly those areas' shapes


def test_areas_without_boundaries_are_listed() -> None:
    s = parse_scenario(_scenario(["E01000001", "X0000001", "X0000002"], [1000, 500, 500], [1, 5, 5], [10, 5000, 6000]))
    data = maps.map_data(s, _result([_row("X0000001", "council", 1, 50.0), _row("E01000001", "council", 1, 10.0)]))
    assert data.missing == ["X0000001", "X0000002"]
    assert [a.id for a in data.areas if a.drawn] == ["E01000001"]
    assert {a.id: a.per_resident for a in data.areas}["X0000001"] == pytest.approx(0.1)  # in the table, not on the map
    assert any("X0000001, X0000002" in line for line in data.notes())
    spec = maps.map_spec(data)
    assert [f["id"] for f in _features(spec)] == ["E01000001"] and spec["usermeta"]["missing"] == ["X0000001", "X0000002"]
    assert "X0000002" in " ".join(spec["title"]["subtitle"])


def test_a_scenario_with_no_known_area_is_a_clear_error() -> None:
    s = parse_scenario(_scenario(["X0000001", "X0000002"], [1000, 500], [1, 5], [10, 5000]))
    with pytest.raises(AnalysisError, match=r"none of the scenario's 2 area\(s\) \(X0000001, X0000002\) has a boundary"):
        maps.map_data(s, _result([_row("X0000001", "council", 1, 50.0)]))


def test_no_plan_and_a_foreign_area_are_clear_errors() -> None:
    s = parse_scenario(json.loads(TINY.read_text()))
    with pytest.raises(AnalysisError, match="infeasible: there is no plan to map"):
        maps.map_data(s, {"status": "infeasible", "message": "no", "allocations": [], "launches": []})
    with pytest.raises(AnalysisError, match="'E01999999', which is not in the scenario"):
        maps.map_data(s, _result([_row("E01999999", "council", 1, 1.0)]))


def test_an_iod2019_scenario_without_its_vintage_is_drawn_on_2011_lsoas() -> None:
    """A scenario built on IoD2019 (2011 LSOAs) before scenarios recorded their vintage: the codes tell the map which."""
    from optimizer.place.geography import build_scenario

    data = build_scenario("lad", "Manchester", vintage="2019")
    data.pop("data_vintage", None)
    s = parse_scenario(data)
    assert s.data_vintage is None and len(s.areas) == 282  # Manchester's 2011 LSOAs
    data = maps.map_data(s, _result([_row(s.areas[0].id, "council", 1, 1.0)]))
    assert data.vintage == "2019" and data.missing == [] and sum(a.drawn for a in data.areas) == len(s.areas)


def test_outer_rings_are_wound_clockwise_for_the_projection(hand: maps.MapData) -> None:
    for feature in hand.geojson["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            assert maps._signed_area(polygon[0]) < 0
            assert all(maps._signed_area(hole) > 0 for hole in polygon[1:])


def test_the_html_page_is_self_contained(hand: maps.MapData) -> None:
    page = maps.html_page(hand, "Two areas")
    assert "<h1>Two areas</h1>" in page and "Open Government Licence" in page and "window.vegaEmbed" in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)  # no script, style or font from anywhere else
    text = page.split("<script")[0]  # the page's own markup, before the inlined libraries
    assert text.count("<tr>") == 1 + 2  # the header and one row per area
    assert "<td>yes</td>" in text and "£0.60" in text


# -- the command line ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("map") / "r.json"
    run = CliRunner().invoke(app, ["solve", str(TINY), "-q", "-o", str(out)])
    assert run.exit_code == 0, run.output
    return out


def _invoke(*args: str) -> tuple[int, str]:
    run = CliRunner().invoke(app, ["map", *args])
    assert run.exception is None or isinstance(run.exception, SystemExit), repr(run.exception)
    assert "Traceback" not in run.output
    return run.exit_code, run.output


def test_the_command_writes_an_svg_with_one_shape_per_area(solved: Path, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "map.svg"
    code, text = _invoke(str(solved), "--scenario", str(TINY), "--output", str(out))
    assert code == 0, text
    assert "Map of 2 area(s) written" in text and "undiscounted total over 2 years" in text
    svg = out.read_text()
    assert svg.startswith("<svg") and len(_paths(svg, 0)) == 2 and len(_paths(svg, 1)) == 1  # one deprived area (decile 1)
    assert "Open Government Licence" in svg


def test_the_command_writes_a_page(solved: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.html"
    code, text = _invoke(str(solved), "-s", str(TINY), "-o", str(out), "--title", "Tiny map")
    assert code == 0, text
    page = out.read_text()
    assert "<h1>Tiny map</h1>" in page and "Deprived estate" in page


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["-s", "{tiny}", "-o", "{tmp}/map.png"],
            "--output map.png: the map is written as SVG or as an HTML page; name the file .svg or .html",
        ),
        (["-o", "{tmp}/map.svg"], "--scenario is missing"),
        (["-s", "{tmp}/none.json", "-o", "{tmp}/map.svg"], "--scenario {tmp}/none.json: no such file"),
        (["-s", "{other}", "-o", "{tmp}/map.svg"], "is not a result of"),
    ],
)
def test_the_command_s_errors_name_the_option_and_the_fix(solved: Path, tmp_path: Path, args: list[str], says: str) -> None:
    other = tmp_path / "other.json"
    doc = json.loads(TINY.read_text())
    doc["name"] = "another scenario"
    other.write_text(json.dumps(doc))
    values = {"{tiny}": str(TINY), "{tmp}": str(tmp_path), "{other}": str(other)}

    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    code, text = _invoke(str(solved), *map(fill, args))
    assert code == 2 and fill(says) in text, text
    assert not list(tmp_path.glob("map.*"))


def test_the_command_s_error_for_a_missing_result_and_for_no_known_area(tmp_path: Path) -> None:
    code, text = _invoke(str(tmp_path / "nope.json"), "-s", str(TINY), "-o", str(tmp_path / "m.svg"))
    assert code == 2 and "RESULT" in text and "no such file" in text
    invented = copy.deepcopy(json.loads(TINY.read_text()))
    for k, area in enumerate(invented["areas"]):
        area["id"] = f"X{k}"
    scenario = tmp_path / "invented.json"
    scenario.write_text(json.dumps(invented))
    result = tmp_path / "r.json"
    result.write_text(json.dumps(_result([]) | {"scenario_hash": scenario_hash(parse_scenario(invented))}))
    code, text = _invoke(str(result), "-s", str(scenario), "-o", str(tmp_path / "m.svg"))
    assert code == 2 and "has a boundary to draw" in text, text


# -- the boards' page's view of it ---------------------------------------------------------------


def test_the_page_s_map_and_its_table(monkeypatch: pytest.MonkeyPatch) -> None:
    from api.web import view

    doc = json.loads(TINY.read_text())
    result = in_pence(solve(parse_scenario(doc)).to_dict())
    shown = view.area_map(result, doc)
    assert shown is not None and shown["drawn_here"] and shown["why"] is None
    spec = view.map_spec(result, doc)
    assert spec is not None and spec["title"] is None and len(_features(spec)) == 2  # the page heads and captions it itself
    assert [r["id"] for r in shown["rows"]] == ["E01000001", "E01000002"] and [r["deprived"] for r in shown["rows"]] == [True, False]
    assert shown["rows"][0]["per_resident_attr"] == f"{74_800 / 1500:.2f}"
    assert any("Open Government Licence" in line for line in shown["notes"])
    # a place too large to draw on the page: the table (its first rows) and a note, no shapes built
    monkeypatch.setattr(view, "MAP_AREAS_DRAWN", 1)
    monkeypatch.setattr(view, "MAP_ROWS_LISTED", 1)
    large = view.area_map(result, doc)
    assert large is not None and not large["drawn_here"] and "not drawn on this page" in large["why"]
    assert view.map_spec(result, doc) is None
    assert large["listed"] == 1 and large["total"] == 2 and large["rows"][0]["id"] == "E01000001"
    # no area with a boundary: said, not a traceback
    for k, area in enumerate(doc["areas"]):
        area["id"] = f"X{k}"
    none = view.area_map(_result([]), doc)
    assert none is not None and not none["drawn_here"] and none["why"].startswith("No map: none of the scenario's 2 area(s)")
    assert view.map_spec(_result([]), doc) is None
    assert view.area_map({"status": "infeasible", "summary": None}, doc) is None


def test_the_page_s_chart_data_cannot_close_its_script_block() -> None:
    from api.web import view

    text = view.script_json({"name": "</script><script>alert(1)</script> & more"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script> & more"}


# -- the appraisal pack --------------------------------------------------------------------------


def test_the_appraisal_pack_draws_the_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "pack.html"
    run = CliRunner().invoke(app, ["appraisal", str(TINY), "--html", str(out)])
    assert run.exit_code == 0, run.output
    page = out.read_text()
    assert "<h2>Where the money goes</h2>" in page and len(_paths(page, 0)) == 2 and len(_paths(page, 1)) == 1
    assert "Open Government Licence" in page
    s = parse_scenario(json.loads(TINY.read_text()))
    monkeypatch.setattr(maps, "PACK_AREAS", 1)
    svg, note = maps.pack_svg(s, in_pence(solve(s).to_dict()))
    assert svg is None and note is not None and "no map above 1 areas" in note
