"""The shipped LSOA table, the area builder and ``totalplace scenario build``."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli.scenario import app
from optimizer.errors import ScenarioError
from optimizer.place.geography import (
    CHILDREN_PER_FAMILY,
    AreaNotFound,
    build_areas,
    build_scenario,
    groups,
    load_table,
    places,
    resolve,
    summarise,
)
from optimizer.scenario import parse_scenario

MANCHESTER = "E08000003"


# -- the shipped table ---------------------------------------------------------


def test_table_has_every_english_lsoa_once() -> None:
    table = load_table("2019")
    assert len(table) == 32_844
    assert table["lsoa11cd"].is_unique
    assert table["lsoa11cd"].str.startswith("E01").all()
    assert not table.isna().any().any()


def test_table_counts_match_iod2019() -> None:
    table = load_table("2019")
    assert table["lad19cd"].nunique() == 317
    assert table["utla19cd"].nunique() == 151
    assert table["pfa19cd"].nunique() == 39
    assert table["icb22cd"].nunique() == 42
    # decile 1 is ranks 1 to 3,284: the 10 % most deprived
    assert (table["imd_decile"] == 1).sum() == 3_284
    assert table.loc[table["imd_decile"] == 1, "imd_rank"].max() <= 3_284
    assert table["imd_rank"].between(1, 32_844).all()
    assert table["pop_total"].sum() == 54_728_204


def test_shipped_data_is_small() -> None:
    data = Path(__file__).resolve().parents[1] / "optimizer" / "place" / "data"
    total = sum(p.stat().st_size for p in data.iterdir() if p.is_file())
    assert total < 5_000_000
    attribution = (data / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for text in (
        "Contains public sector information licensed under the Open Government Licence v3.0 (MHCLG, English Indices of Deprivation 2019)",
        "Source: Office for National Statistics licensed under the Open Government Licence v.3.0",
        "GMCA / New Economy Unit Cost Database",
    ):
        assert text in attribution


# -- areas -------------------------------------------------------------------


def test_manchester_has_282_lsoas_by_code_and_by_name() -> None:
    by_code = build_areas("lad", MANCHESTER, "2019")
    by_name = build_areas("lad", "  manchester ", "2019")
    assert len(by_code) == 282
    assert [a["id"] for a in by_code] == [a["id"] for a in by_name]
    assert summarise(by_code)["deprived_areas"] == 122
    assert summarise(by_code, max_decile=2)["deprived_areas"] == 167


@pytest.mark.parametrize(
    ("kind", "query", "code", "count"),
    [
        ("lad", "Manchester", MANCHESTER, 282),
        ("utla", "Kent", "E10000016", 902),
        ("icb", "NHS Greater Manchester Integrated Care Board", "E54000057", 1_673),
        ("icb", "greater manchester", "E54000057", 1_673),  # a unique part of a name
        ("pfa", "E23000005", "E23000005", 1_673),
        ("pfa", "Metropolitan Police", "E23000001", 4_829),
    ],
)
def test_each_kind_resolves_and_builds(kind: str, query: str, code: str, count: int) -> None:
    assert resolve(kind, query, "2019")[0] == code
    assert len(build_areas(kind, query, "2019")) == count


def test_england_has_every_lsoa() -> None:
    areas = build_areas("england", vintage="2019")
    assert len(areas) == 32_844
    assert sum(1 for a in areas if a["imd_decile"] == 1) == 3_284


@pytest.mark.parametrize("kind", ["lad", "utla", "icb", "pfa"])
def test_places_of_a_kind_partition_england(kind: str) -> None:
    assert places(kind, "2019")["lsoas"].sum() == 32_844


def test_groups_are_non_negative_and_derived_as_documented() -> None:
    for row in load_table("2019").head(2_000).to_dict("records"):
        g = groups(row)
        assert all(v >= 0 for v in g.values())
        assert g["families"] == pytest.approx(row["pop_0_15"] / CHILDREN_PER_FAMILY, abs=0.05)
        assert g["adults_16_plus"] == pytest.approx(row["pop_16_59"] + row["pop_60_plus"], abs=0.05)
        assert g["older_65_plus"] <= g["older_60_plus"]
        assert g["young_people_10_17"] <= g["children_0_15"] + g["adults_16_59"]


def test_all_england_groups_non_negative() -> None:
    assert all(v >= 0 for a in build_areas("england", vintage="2019") for v in a["groups"].values())


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(AreaNotFound) as caught:
        resolve("lad", "Manchster")
    assert "Manchester" in caught.value.suggestions
    assert "did you mean" in str(caught.value) and "Manchester" in str(caught.value)


def test_ambiguous_part_of_a_name_is_refused_with_the_candidates() -> None:
    with pytest.raises(AreaNotFound) as caught:
        resolve("lad", "Newcastle")
    assert {"Newcastle upon Tyne", "Newcastle-under-Lyme"} <= set(caught.value.suggestions)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        build_areas("ward", "Manchester")


# -- scenarios ---------------------------------------------------------------


def test_default_scenario_is_valid_and_scaled_to_the_place() -> None:
    scenario = build_scenario("lad", "Camden", vintage="2019")
    parsed = parse_scenario(scenario)
    assert scenario["name"] == "Prevention pool: Camden"
    assert len(parsed.areas) == 133
    assert {p.id for p in parsed.pools} == {"council", "police", "nhs"}
    council = next(p for p in scenario["pools"] if p["id"] == "council")
    assert council["budget"] == round(243_837 * 12, -3)


def test_template_footprints_are_cut_and_restricted() -> None:
    template = build_scenario("lad", MANCHESTER, vintage="2019")
    template["pools"][1]["areas"] = ["E01005061", "E01000001"]  # one in Manchester, one not
    out = build_scenario("lad", MANCHESTER, template, pool_max_decile={"nhs": 1}, vintage="2019")
    assert out["pools"][1]["areas"] == ["E01005061"]
    deprived = [a["id"] for a in out["areas"] if a["imd_decile"] == 1]
    assert out["pools"][2]["areas"] == deprived and len(deprived) == 122


def test_an_invalid_template_is_refused_with_its_problems() -> None:
    with pytest.raises(ScenarioError) as caught:
        build_scenario("lad", MANCHESTER, {"schema_version": 1, "name": "x"})
    assert any(p.loc == "/pools" for p in caught.value.problems)


# -- the CLI -----------------------------------------------------------------

runner = CliRunner()


def test_cli_build_writes_a_valid_scenario_and_says_what(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    result = runner.invoke(app, ["build", "--lad", "manchester", "--vintage", "2019", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "282 areas" in result.output and "122 deprived" in result.output and "529,282" in result.output
    assert len(parse_scenario(json.loads(out.read_text())).areas) == 282


def test_cli_build_with_template_to_gzip(tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text(json.dumps(build_scenario("lad", "Camden", vintage="2019")))
    out = tmp_path / "gm.json.gz"
    result = runner.invoke(app, ["build", "--pfa", "Greater Manchester", "--vintage", "2019", "--template", str(template), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with gzip.open(out, "rt") as handle:
        assert len(json.load(handle)["areas"]) == 1_673


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lad", "Manchster"], "did you mean"),
        (["--lad", "Manchester", "--icb", "Kent"], "exactly one place"),
        ([], "exactly one place"),
        (["--lad", "Manchester", "--template", "/nonexistent/t.json"], "cannot read the template"),
    ],
)
def test_cli_errors_are_clear_and_non_zero(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["build", *args, "--output", str(tmp_path / "x.json")])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.json").exists()


def test_cli_invalid_template_lists_problems(tmp_path: Path) -> None:
    template = tmp_path / "t.json"
    template.write_text('{"schema_version": 1}')
    result = runner.invoke(app, ["build", "--lad", "Camden", "--template", str(template), "-o", str(tmp_path / "x.json")])
    assert result.exit_code != 0
    assert "/pools" in result.output and "Traceback" not in result.output


def test_cli_places_lists_every_icb() -> None:
    result = runner.invoke(app, ["places", "icb"])
    assert result.exit_code == 0
    assert len(result.output.strip().splitlines()) == 42
