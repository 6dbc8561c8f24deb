"""IoD2025 on 2021 LSOAs: the shipped table, its checks against the published files, the CLI, and the rebuild.

The published files are read from ``shared/data/iod2025/`` (next to the project, or
``TOTALPLACE_SHARED_DATA``). Without them the tests that read them skip, with the
reason; under ``CI=true`` they fail instead, because the shipped data must be
tested against its source.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli.scenario import app
from optimizer.place.boundaries import boundaries, polygons
from optimizer.place.data import rebuild
from optimizer.place.geography import (
    BLANK_COUNT,
    CHILDREN_PER_FAMILY,
    DEPRIVED_COUNTS,
    AreaNotFound,
    build_areas,
    build_scenario,
    deprived_count,
    groups_2025,
    load_table,
    places,
    resolve,
)
from optimizer.scenario import parse_scenario, scenario_hash

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "optimizer" / "place" / "data"
GROUPS_2025 = {
    "children_0_15",
    "adults_16_59",
    "older_60_plus",
    "working_age",
    "families",
    "young_people_10_17",
    "older_65_plus",
    "adults_16_plus",
    "households",
    "income_deprived",
    "children_income_deprived",
    "older_income_deprived",
    "employment_deprived",
}


def _shared_data() -> Path:
    """The ``shared/data`` folder with the published IoD2025 files, or skip."""
    candidates = [Path(os.environ["TOTALPLACE_SHARED_DATA"])] if os.environ.get("TOTALPLACE_SHARED_DATA") else []
    candidates += [parent / "shared" / "data" for parent in ROOT.parents]
    for folder in candidates:
        if (folder / "iod2025" / "imd2025_lsoa21.csv").is_file():
            return folder
    # The published files are an input from outside the repository, not a server CI starts: where a checkout has
    # them not beside it, the checks against them are skipped (the shipped data's own checks above still run).
    pytest.skip("the published IoD2025 files (shared/data/iod2025/) are not next to the project; set TOTALPLACE_SHARED_DATA")


def _read_csv(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["lsoa21_code"]: row for row in csv.DictReader(handle)}


# -- the checks -------------------------------------------------------


def test_england_has_33755_lsoas_and_3375_in_decile_1() -> None:
    table = load_table()
    assert len(table) == 33_755 and table["lsoa21cd"].is_unique
    assert (table["imd_decile"] == 1).sum() == 3_375
    assert sorted(table["imd_rank"]) == list(range(1, 33_756))  # no ties in IoD2025
    areas = build_areas("england")
    assert len(areas) == 33_755
    assert sum(1 for a in areas if a["imd_decile"] == 1) == 3_375


@pytest.mark.parametrize(("place", "lsoas", "decile_1"), [("Cumberland", 177, 18), ("Manchester", 295, 120)])
def test_local_authorities_lsoas_and_decile_1(place: str, lsoas: int, decile_1: int) -> None:
    areas = build_areas("lad", place)
    assert len(areas) == lsoas
    assert sum(1 for a in areas if a["imd_decile"] == 1) == decile_1


def test_geography_counts_are_2024() -> None:
    assert len(places("lad")) == 296
    assert len(places("icb")) == 42
    assert len(places("pfa")) == 39
    for kind in ("lad", "utla", "icb", "pfa"):
        assert places(kind)["lsoas"].sum() == 33_755


@pytest.mark.parametrize(
    ("kind", "query"),
    [
        ("lad", "Cumberland"),
        ("lad", "North Yorkshire"),
        ("icb", "NHS Cheshire and Merseyside Integrated Care Board"),
        ("pfa", "Cumbria"),
        ("utla", "Somerset"),
        ("lad", "Westmorland and Furness"),
    ],
)
def test_every_area_of_a_built_scenario_has_a_decile_a_population_and_its_groups(kind: str, query: str) -> None:
    scenario = build_scenario(kind, query)
    assert scenario["data_vintage"] == "2025"
    parsed = parse_scenario(scenario)
    assert len(parsed.areas) > 100
    for area in scenario["areas"]:
        assert 1 <= area["imd_decile"] <= 10
        assert area["population"] > 0
        assert set(area["groups"]) == GROUPS_2025
        assert all(v >= 0 for v in area["groups"].values())


def test_names_match_ignoring_case_with_suggestions() -> None:
    assert resolve("lad", "  cumberland ") == ("E06000063", "Cumberland")
    assert resolve("pfa", "CUMBRIA")[1] == "Cumbria"
    with pytest.raises(AreaNotFound) as caught:
        resolve("lad", "Cumbrland")
    assert caught.value.suggestions[0] == "Cumberland"
    assert "local authority district (2024)" in str(caught.value)
    with pytest.raises(AreaNotFound):  # Cumberland is not a 2019 council
        resolve("lad", "Cumberland", "2019")


# -- against the published files -------------------------------------------------


#: a few LSOAs: two in the City of London (File 8 blanks), the README's spot checks from File 7, and two in Cumberland
SPOT = ["E01000001", "E01000002", "E01000008", "E01018144", "E01018176", "E01019078", "E01019095"]


def test_shipped_figures_equal_the_published_ones() -> None:
    folder = _shared_data() / "iod2025"
    imd, pop = _read_csv(folder / "imd2025_lsoa21.csv"), _read_csv(folder / "population_lsoa21.csv")
    table = load_table().set_index("lsoa21cd")
    for code in SPOT:
        published, people, shipped = imd[code], pop[code], table.loc[code]
        assert shipped["lsoa21nm"] == published["lsoa21_name"]
        assert shipped["lad24nm"] == published["ltla24_name"] and shipped["icb24nm"] == published["icb24_name"]
        assert shipped["pfa24nm"] == published["pfa24_name"]
        assert int(shipped["imd_decile"]) == int(published["imd_decile"])
        assert int(shipped["imd_rank"]) == int(published["imd_rank"])
        assert float(shipped["imd_score"]) == float(published["imd_score"])
        assert int(shipped["pop_total"]) == int(people["census21_total"])
        for ours, theirs in (
            ("income_deprived", "income_deprived_people"),
            ("children_income_deprived", "idaci_children_income_deprived"),
            ("older_income_deprived", "idaopi_older_income_deprived"),
            ("employment_deprived", "employment_deprived_people"),
        ):
            value = shipped[ours]
            assert ("" if value is None or str(value) == "<NA>" else str(int(value))) == published[theirs]
    # the File 7 figures the data README transcribed for E01000001 (City of London 001A)
    assert (float(table.loc["E01000001", "imd_score"]), int(table.loc["E01000001", "imd_rank"])) == (8.742, 26_525)


def test_areas_carry_the_published_figures_and_blanks_as_stated() -> None:
    folder = _shared_data() / "iod2025"
    imd, pop = _read_csv(folder / "imd2025_lsoa21.csv"), _read_csv(folder / "population_lsoa21.csv")
    areas = {a["id"]: a for a in build_areas("lad", "City of London")}
    area = areas["E01000001"]
    published, people = imd["E01000001"], pop["E01000001"]
    assert area["imd_decile"] == int(published["imd_decile"]) and area["population"] == float(people["census21_total"])
    assert area["groups"]["children_0_15"] == float(people["census21_age_0_15"])
    assert area["groups"]["older_65_plus"] == float(people["census21_age_65_plus"])
    assert area["groups"]["income_deprived"] == float(published["income_deprived_people"])
    assert published["idaci_children_income_deprived"] == ""  # blank in File 8: fewer than 10
    assert area["groups"]["children_income_deprived"] == BLANK_COUNT


def test_blank_counts_are_five_and_never_above_their_people() -> None:
    """A blank (fewer than 10) is 5, the middle of 0 to 9; in an LSOA of 3 children it is 3."""
    assert deprived_count(None, 100.0) == 5.0
    assert deprived_count(float("nan"), 3.0) == 3.0
    assert deprived_count(15, 3.0) == 15.0  # a published count is kept as published
    table = load_table()
    for column in DEPRIVED_COUNTS:
        assert table[column].isna().sum() > 0  # the blanks are kept blank in the shipped table


def test_groups_2025_are_derived_as_documented() -> None:
    for row in load_table().head(2_000).to_dict("records"):
        g = groups_2025(row)
        assert g["children_0_15"] == row["pop_0_15"] and g["working_age"] == row["pop_16_64"]
        assert g["older_65_plus"] == row["pop_65_plus"] and g["households"] == row["households"]
        assert g["families"] == pytest.approx(row["pop_0_15"] / CHILDREN_PER_FAMILY, abs=0.05)
        assert g["adults_16_plus"] == row["pop_16_64"] + row["pop_65_plus"]
        assert g["adults_16_59"] + g["older_60_plus"] == pytest.approx(g["adults_16_plus"], abs=0.15)
        assert g["older_65_plus"] <= g["older_60_plus"]
        if row["children_income_deprived"] is None or str(row["children_income_deprived"]) == "<NA>":
            assert g["children_income_deprived"] == min(BLANK_COUNT, g["children_0_15"])
        else:  # published (File 8 is on mid-2022 people, so it can exceed the Census 2021 band): kept as published
            assert g["children_income_deprived"] == row["children_income_deprived"]


# -- the CLI and the result --------------------------------------------------------

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "areas"),
    [
        (["--lad", "Cumberland"], 177),
        (["--lad", "north yorkshire"], 379),
        (["--icb", "NHS Cheshire and Merseyside Integrated Care Board"], 1_601),
        (["--pfa", "Cumbria"], 319),
    ],
)
def test_cli_builds_2024_places(tmp_path: Path, args: list[str], areas: int) -> None:
    out = tmp_path / "s.json"
    result = runner.invoke(app, ["build", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{areas:,} areas" in result.output and "IoD2025" in result.output and "Census 2021" in result.output
    scenario = json.loads(out.read_text())
    assert len(scenario["areas"]) == areas and scenario["data_vintage"] == "2025"


def test_cli_england_and_vintage_2019(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "--england", "-o", str(tmp_path / "e.json.gz")])
    assert result.exit_code == 0, result.output
    assert "33,755 areas" in result.output and "3,375 deprived areas (IoD2025 IMD decile <= 1 nationally)" in result.output
    old = runner.invoke(app, ["build", "--lad", "Manchester", "--vintage", "2019", "-o", str(tmp_path / "m.json")])
    assert old.exit_code == 0 and "282 areas" in old.output and "IoD2019" in old.output
    bad = runner.invoke(app, ["build", "--lad", "Manchester", "--vintage", "2015", "-o", str(tmp_path / "x.json")])
    assert bad.exit_code == 2 and "vintage must be one of" in bad.output
    nearest = runner.invoke(app, ["build", "--lad", "Cumbrland", "-o", str(tmp_path / "x.json")])
    assert nearest.exit_code == 2 and "did you mean: Cumberland" in nearest.output


def test_vintage_leaves_the_hash_of_a_scenario_without_it_unchanged() -> None:
    with_vintage = build_scenario("lad", "Adur")
    without = {k: v for k, v in with_vintage.items() if k != "data_vintage"}
    assert scenario_hash(parse_scenario(without)) != scenario_hash(parse_scenario(with_vintage))
    assert "data_vintage" not in json.dumps(without)


def test_the_result_says_which_deprivation_data_the_rule_used() -> None:
    from optimizer import solve

    result = solve(parse_scenario(build_scenario("lad", "Adur"))).to_dict()
    assert result["status"] == "optimal"
    assert result["summary"]["deprivation_data"].startswith("IoD2025")
    old = solve(parse_scenario(build_scenario("lad", "Adur", vintage="2019"))).to_dict()
    assert old["summary"]["deprivation_data"].startswith("IoD2019")


# -- shipped compactly, rebuilt byte for byte --------------------------------------


def test_rebuild_gives_the_shipped_files_byte_for_byte(tmp_path: Path) -> None:
    rebuild.main(_shared_data(), tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(
        [
            "lsoa11_imd2019.csv.gz",
            "lsoa21_imd2025.csv.gz",
            "lsoa11_lsoa21.csv.gz",
            "lsoa21_boundaries.txt.gz",
            "gmca_unit_cost_database_v1_4.csv.gz",
            "unit_costs_prevention.csv",
        ]
    )
    for name in written:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), f"{name} differs: run make data/rebuild"


def test_attribution_names_every_source_of_2025() -> None:
    text = (DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for statement in (
        "Contains public sector information licensed under the Open Government Licence v3.0 (MHCLG, English Indices of Deprivation 2025)",
        "Source: Office for National Statistics licensed under the Open Government Licence v3.0",
        "Contains OS data © Crown copyright and database right 2022",
    ):
        assert statement in text
    assert sum(p.stat().st_size for p in DATA.iterdir() if p.is_file()) < 5_000_000


# -- boundaries ----------------------------------------------------------------------


def test_boundaries_of_a_scenario_are_geojson_with_every_area() -> None:
    scenario = build_scenario("lad", "Cumberland")
    collection = boundaries(scenario)
    assert collection["type"] == "FeatureCollection" and collection["missing"] == []
    assert [f["id"] for f in collection["features"]] == [a["id"] for a in scenario["areas"]]
    for feature in collection["features"]:
        assert feature["geometry"]["type"] == "MultiPolygon"
        for polygon in feature["geometry"]["coordinates"]:
            for ring in polygon:
                assert ring[0] == ring[-1] and len(ring) >= 4  # closed rings
                assert all(-3.7 < lon < -2.1 and 54.0 < lat < 55.2 for lon, lat in ring)  # Cumberland, WGS84
    assert {f["properties"]["imd_decile"] for f in collection["features"]} <= set(range(1, 11))
    json.dumps(collection)  # plain JSON


def test_boundaries_equal_the_published_polygons() -> None:
    """The shipped grid is the source's own (5 decimals): every vertex of a few LSOAs comes back exactly."""
    source = json.loads((_shared_data() / "iod2025" / "lsoa21_boundaries.geojson").read_text(encoding="utf-8"))
    published = {f["properties"]["LSOA21CD"]: f["geometry"]["coordinates"] for f in source["features"]}
    assert len(published) == 33_755
    for code in [*SPOT, *list(published)[::2_000]]:
        assert polygons(code) == published[code]


def test_boundaries_of_2011_lsoas_come_from_their_2021_parts() -> None:
    collection = boundaries(build_scenario("lad", "Manchester", vintage="2019"))
    assert len(collection["features"]) == 282 and collection["missing"] == []
    lookup = _read_lookup()
    for feature in collection["features"]:
        parts = sorted(lookup[feature["id"]])
        assert feature["properties"]["lsoa21"] == parts
        assert len(feature["geometry"]["coordinates"]) == sum(len(polygons(p)) for p in parts)
    assert boundaries(["E01000001", "W01000001"], vintage="2025")["missing"] == ["W01000001"]


def _read_lookup() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    with gzip.open(DATA / "lsoa11_lsoa21.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["lsoa11_code"], []).append(row["lsoa21_code"])
    return out
