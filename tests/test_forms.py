"""Scenario forms (optimizer/forms/): round trips keep the scenario_hash; bad input is refused with its location."""

from __future__ import annotations

import copy
import gzip
import json
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from optimizer.errors import ScenarioError
from optimizer.forms import FORMS, load_data, load_scenario, save_scenario
from optimizer.scenario import DECILES, SOLVER_NAMES, Scenario, canonical_dict, parse_scenario, scenario_hash

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
SUFFIX = {"json": "s.json", "json.gz": "s.json.gz", "yaml": "s.yaml", "xlsx": "s.xlsx", "csv": "s"}


def tiny_doc() -> dict[str, Any]:
    return json.loads(TINY.read_text())


def roundtrip(s: Scenario, form: str, folder: Path) -> Scenario:
    path = save_scenario(s, folder / SUFFIX[form])
    return load_scenario(path)


def problems(path: Path) -> list[str]:
    """Every problem found in the scenario at ``path``, as ``loc: msg`` lines."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def write_json(folder: Path, doc: Any, name: str = "s.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


# -- hypothesis: valid scenarios ---------------------------------------------------------------

# Ids that spreadsheets and YAML like to mangle: leading zeros, NA words, numbers, formulas, separators.
TRICKY = [
    "001",
    "NA",
    "nan",
    "null",
    "TRUE",
    "no",
    "1e3",
    "1.50",
    "=1+1",
    "#N/A",
    " a",
    "b ",
    "a;b",
    "[x]",
    "_x0041_",
    "~/x",
    "é",
    "group:x",
]
ID = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters=[chr(c) for c in range(32)] + ["\x7f"]), min_size=1, max_size=8),
)
# Labels may hold tabs and newlines; not "\r", which no .xlsx reader gives back (docs/forms.md).
LABEL = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters=[chr(c) for c in range(32) if c not in (9, 10)] + ["\x7f"]), max_size=12
)
MONEY = st.one_of(st.floats(0, 1e12, allow_nan=False, allow_infinity=False), st.integers(0, 10**6))
SHARE = st.floats(0, 1, allow_nan=False)


def optional(draw: Any, item: dict[str, Any], key: str, strategy: Any) -> None:
    if draw(st.booleans()):
        item[key] = draw(strategy)


@st.composite
def scenario_docs(draw: Any) -> dict[str, Any]:
    horizon = draw(st.integers(1, 4))

    def ids(lo: int, hi: int, avoid: tuple[str, ...] = ()) -> list[str]:
        return draw(st.lists(ID.filter(lambda x: x not in avoid), min_size=lo, max_size=hi, unique=True))

    pool_ids = ids(1, 3)
    agency_ids = ids(0, 2, tuple(pool_ids))
    outcome_ids, area_ids, iv_ids, groups = ids(1, 3), ids(1, 4), ids(1, 3), ids(1, 3)

    def subset(ids_: list[str]) -> Any:
        return st.none() | st.permutations(ids_).flatmap(lambda p: st.integers(0, len(p)).map(lambda n: list(p[:n])))

    doc: dict[str, Any] = {"schema_version": 1, "name": draw(LABEL), "horizon_years": horizon}
    optional(draw, doc, "appraisal_years", st.integers(horizon, horizon + 3))
    optional(draw, doc, "discount_rate", SHARE)
    doc["pools"] = []
    for pid in pool_ids:
        pool = {"id": pid, "name": draw(LABEL), "budget": draw(MONEY | st.lists(MONEY, min_size=horizon, max_size=horizon))}
        for key, strategy in (("areas", subset(area_ids)), ("interventions", subset(iv_ids)), ("reinvest_rate", SHARE)):
            if (value := draw(strategy)) is not None:
                pool[key] = value
        doc["pools"].append(pool)
    if agency_ids or draw(st.booleans()):
        doc["agencies"] = [{"id": g, "name": draw(LABEL)} for g in agency_ids]
    doc["outcomes"] = []
    for oid in outcome_ids:
        outcome = {"id": oid, "name": draw(LABEL), "unit_costs": draw(st.dictionaries(st.sampled_from(pool_ids + agency_ids), MONEY))}
        optional(draw, outcome, "social_value", MONEY)
        doc["outcomes"].append(outcome)
    local = draw(st.booleans())
    doc["areas"] = []
    for aid in area_ids:
        # an area's name is absent or non-empty: an empty cell cannot tell "" from absent (docs/forms.md)
        area = {"id": aid, "imd_decile": draw(st.integers(1, 10)), "population": draw(MONEY)}
        optional(draw, area, "name", LABEL.filter(bool))
        if local or draw(st.booleans()):
            area["imd_rank"] = draw(st.integers(1, 40_000))
        optional(draw, area, "groups", st.dictionaries(st.sampled_from(groups), MONEY))
        doc["areas"].append(area)
    doc["interventions"] = []
    for iid in iv_ids:
        effects = []
        for _ in range(draw(st.integers(1, 3))):
            effect = {"outcome": draw(st.sampled_from(outcome_ids)), "per_participant": draw(MONEY)}
            optional(draw, effect, "lag_years", st.integers(0, 5))
            optional(draw, effect, "duration_years", st.integers(1, 5))
            effects.append(effect)
        iv = {
            "id": iid,
            "name": draw(LABEL),
            "target_group": draw(st.sampled_from(groups) | ID),
            "effects": effects,
            "unit_cost": draw(st.floats(0.01, 1e6)),
            "max_coverage": draw(st.floats(1e-9, 1)),
        }
        for key in ("fixed_cost", "min_participants"):
            optional(draw, iv, key, MONEY)
        optional(draw, iv, "capacity", st.none() | MONEY)
        doc["interventions"].append(iv)
    if draw(st.booleans()):
        cwf: dict[str, Any] = {}
        optional(draw, cwf, "min_share", SHARE)
        optional(draw, cwf, "max_decile", st.integers(1, 10))
        optional(draw, cwf, "per_capita_floor", MONEY)
        if local:
            cwf["basis"] = draw(st.sampled_from(["local", "national"]))
        policy = {"community_wealth_fund": cwf}
        optional(draw, policy, "no_agency_worse_off", st.booleans())
        optional(draw, policy, "equity_weights", st.dictionaries(st.sampled_from(DECILES), MONEY))
        optional(draw, policy, "social_value_weight", MONEY)
        optional(draw, policy, "area_cap", st.none() | MONEY)
        doc["policy"] = policy
    if draw(st.booleans()):
        solver: dict[str, Any] = {}
        optional(draw, solver, "name", st.sampled_from(SOLVER_NAMES))
        optional(draw, solver, "time_limit", st.floats(1e-3, 86_400))
        optional(draw, solver, "mip_gap", SHARE)
        doc["solver"] = solver
    return doc


# -- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("form", FORMS)
def test_tiny_round_trip(form: str, tmp_path: Path) -> None:
    s = load_scenario(TINY)
    back = roundtrip(s, form, tmp_path)
    assert scenario_hash(back) == scenario_hash(s)
    assert canonical_dict(back, with_solver=True) == canonical_dict(s, with_solver=True)
    # and again, from the converted form: conversion is stable
    again = roundtrip(back, form, tmp_path / "again")
    assert canonical_dict(again, with_solver=True) == canonical_dict(s, with_solver=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario_docs())
def test_generated_round_trip(doc: dict[str, Any]) -> None:
    s = parse_scenario(doc)
    want = canonical_dict(s, with_solver=True)
    with tempfile.TemporaryDirectory() as tmp:
        for form in FORMS:
            folder = Path(tmp) / form.replace(".", "_")
            folder.mkdir()
            back = roundtrip(s, form, folder)
            assert scenario_hash(back) == scenario_hash(s), form
            assert canonical_dict(back, with_solver=True) == want, form


@pytest.mark.parametrize("form", [f for f in FORMS if f != "xlsx"])
def test_newlines_survive(form: str, tmp_path: Path) -> None:
    doc = tiny_doc()
    doc["name"], doc["areas"][0]["name"] = "a\nb", "c\nd\x85e"
    s = parse_scenario(doc)
    back = roundtrip(s, form, tmp_path)
    assert (back.name, back.areas[0].name) == ("a\nb", "c\nd\x85e")


def test_carriage_returns_are_refused_where_no_spreadsheet_keeps_them() -> None:
    """.xlsx readers turn "\r" into "\n", so a label with one could not round-trip: it is refused, located."""
    doc = tiny_doc()
    doc["areas"][0]["name"] = "c\r\nd"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(doc)
    assert [p.loc for p in info.value.problems] == ["/areas/0/name"]


def test_load_data_is_the_plain_document(tmp_path: Path) -> None:
    s = load_scenario(TINY)
    save_scenario(s, tmp_path / "csv")
    data = load_data(tmp_path / "csv")
    assert isinstance(data, dict) and data["areas"][0]["id"] == "E01000001"
    assert data["pools"][1]["interventions"] == ["youth_diversion"] and "areas" not in data["pools"][1]
    assert data["areas"][0]["imd_decile"] == 1 and isinstance(data["areas"][0]["imd_decile"], int)
    assert load_data(TINY) == tiny_doc()


def test_json_written_is_canonical(tmp_path: Path) -> None:
    s = load_scenario(TINY)
    text = save_scenario(s, tmp_path / "s.json").read_text()
    data = json.loads(text)
    assert data == canonical_dict(s, with_solver=True)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert isinstance(data["policy"]["community_wealth_fund"]["max_decile"], int)  # the strict schema reads it back
    assert canonical_dict(parse_scenario(data), with_solver=True) == canonical_dict(s, with_solver=True)
    gz = save_scenario(s, tmp_path / "s.json.gz")
    assert gzip.decompress(gz.read_bytes()).decode() == text


# -- equivalence -------------------------------------------------------------------------------


def _reorder(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _reorder(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reorder(v) for v in value]
    return value


def test_equivalent_documents_have_one_hash(tmp_path: Path) -> None:
    base = scenario_hash(load_scenario(TINY))
    doc = tiny_doc()
    variants = {"reordered": _reorder(doc)}
    v = copy.deepcopy(doc)
    v["pools"][1]["budget"] = 20000.0  # 100 vs 100.0
    v["areas"][0]["population"] = 1500.0
    variants["float"] = v
    v = copy.deepcopy(doc)
    v["pools"][1]["budget"] = [20000, 20000]  # a scalar budget is the same every year
    v["pools"][0]["budget"] = 50000
    variants["budget"] = v
    v = copy.deepcopy(doc)
    v.update(
        agencies=doc["agencies"],
        policy={
            "community_wealth_fund": {"min_share": 0.5, "max_decile": 1, "basis": "national", "per_capita_floor": 0},
            "no_agency_worse_off": False,
            "equity_weights": {d: 1 for d in DECILES},
            "social_value_weight": 0,
            "area_cap": None,
        },
    )
    v["pools"][0].update(areas=None, interventions=None, reinvest_rate=0)
    variants["defaults"] = v
    v = copy.deepcopy(doc)
    v["solver"] = {"name": "cbc", "time_limit": 5}  # how to solve is not what to solve
    variants["solver"] = v
    for name, variant in variants.items():
        assert scenario_hash(load_scenario(write_json(tmp_path, variant, f"{name}.json"))) == base, name
    assert scenario_hash(load_scenario(save_scenario(load_scenario(TINY), tmp_path / "c.json"))) == base


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for k, v in enumerate(value) for p in _leaves(v, (*path, k))]
    return [path]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, float):
        return value / 2 if value > 0.5 else value + 0.25
    if value is None:
        return 1000.0
    return value + "!"


def test_any_changed_value_changes_the_hash(tmp_path: Path) -> None:
    doc = load_data(save_scenario(load_scenario(TINY), tmp_path / "s.json"))
    base = scenario_hash(parse_scenario(doc))
    checked = 0
    for path in _leaves({k: v for k, v in doc.items() if k != "solver"}):  # how to solve is not hashed
        v = copy.deepcopy(doc)
        target = v
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = _changed(target[path[-1]])
        try:
            s = parse_scenario(v)
        except ScenarioError:
            continue  # the change made it invalid (an unknown id, a share above 1): refused, fine
        assert scenario_hash(s) != base, path
        checked += 1
    assert checked > 40


# -- spreadsheet details -----------------------------------------------------------------------


def tiny_csv(tmp_path: Path) -> Path:
    return save_scenario(load_scenario(TINY), tmp_path / "tiny")


def edit_csv(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell of a CSV (row as a spreadsheet shows it: the header is row 1)."""
    import csv

    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    if column not in rows[0]:
        rows[0].append(column)
        for r in rows[1:]:
            r.append("")
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_ids_stay_text_and_empty_cells_mean_default(tmp_path: Path) -> None:
    folder = tiny_csv(tmp_path)
    text = (folder / "areas.csv").read_text().replace("E01000001", "001")
    (folder / "areas.csv").write_text(text)
    edit_csv(folder / "pools.csv", 2, "reinvest_rate", "")
    edit_csv(folder / "pools.csv", 2, "areas", " 001 ; E01000002 ")
    edit_csv(folder / "pools.csv", 3, "areas", "[]")
    edit_csv(folder / "areas.csv", 2, "imd_decile", "1.0")  # a whole number written as a float is fine
    s = load_scenario(folder)
    assert s.areas[0].id == "001" and s.pools[0].reinvest_rate == 0.0
    assert s.pools[0].areas == ["001", "E01000002"] and s.pools[1].areas == []
    assert isinstance(s.areas[0].imd_decile, int)


def test_footprints_as_pool_columns(tmp_path: Path) -> None:
    folder = tiny_csv(tmp_path)
    edit_csv(folder / "areas.csv", 2, "pool:police", "yes")
    edit_csv(folder / "interventions.csv", 2, "pool:council", "1")
    edit_csv(folder / "interventions.csv", 3, "pool:council", "0")
    s = load_scenario(folder)
    assert s.pools[1].areas == ["E01000001"] and s.pools[0].interventions == ["early_help"]
    edit_csv(folder / "interventions.csv", 2, "pool:police", "1")  # police lists its interventions in the pools table already
    edit_csv(folder / "areas.csv", 3, "pool:nobody", "maybe")
    found = problems(folder)
    assert any(p.startswith("interventions.csv column pool:police:") and "in one place" in p for p in found), found
    assert any(p.startswith("areas.csv column pool:nobody:") and "no pool" in p for p in found), found


def test_wrong_type_cell_is_located(tmp_path: Path) -> None:
    folder = tiny_csv(tmp_path)
    edit_csv(folder / "areas.csv", 3, "imd_decile", "six")
    edit_csv(folder / "pools.csv", 2, "budget_y2", "1,000")
    edit_csv(folder / "interventions.csv", 3, "max_coverage", "2")  # a number, but out of range: found by the schema
    found = problems(folder)
    assert any(p.startswith("areas.csv row 3 column imd_decile -> /areas/1/imd_decile:") and "'six'" in p for p in found), found
    assert any(p.startswith("pools.csv row 2 column budget_y2 -> /pools/0/budget/1:") and "thousands" in p for p in found), found
    assert any(p.startswith("interventions.csv row 3 column max_coverage -> /interventions/1/max_coverage:") for p in found), found
    assert len(found) == 3, found


def test_workbook_problems_name_the_cell(tmp_path: Path) -> None:
    path = save_scenario(load_scenario(TINY), tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(path)
    book["areas"]["C3"] = "six"
    book["scenario"].append(["policy.area_capp", 5])
    book["effects"]["B2"] = "no_such_outcome"
    book.save(path)
    found = problems(path)
    assert any(p.startswith("sheet areas row 3 column imd_decile (cell C3) -> /areas/1/imd_decile:") for p in found), found
    assert any(
        "sheet scenario row 27 column key (cell A27) -> /policy/area_capp" in p and "did you mean policy.area_cap" in p for p in found
    ), found
    assert any(p.startswith("sheet effects row 2 column outcome (cell B2) -> /interventions/0/effects/0/outcome:") for p in found), found


def test_unknown_column_and_field_are_refused(tmp_path: Path) -> None:
    folder = tiny_csv(tmp_path)
    edit_csv(folder / "areas.csv", 2, "colour", "red")
    assert any(p.startswith("areas.csv column colour:") and "unknown column" in p for p in problems(folder))
    doc = tiny_doc()
    doc["areas"][1]["colour"] = "red"
    doc["policy"]["community_wealth_fund"]["max_decil"] = 2
    found = problems(write_json(tmp_path, doc))
    assert any(p.startswith("/areas/1/colour:") and "unknown field" in p for p in found), found
    assert any(p.startswith("/policy/community_wealth_fund/max_decil:") for p in found), found


def test_missing_and_unknown_tables_are_refused(tmp_path: Path) -> None:
    folder = tiny_csv(tmp_path)
    (folder / "effects.csv").unlink()
    (folder / "area_groups.csv").write_text("area,group\n")
    (folder / "_notes.csv").write_text("anything\n")  # a name starting with _ is the analyst's own
    found = problems(folder)
    assert any(p.startswith("effects.csv:") and "missing" in p for p in found), found
    assert any(p.startswith("area_groups.csv:") and "unknown" in p for p in found), found
    assert len(found) == 2, found
    path = save_scenario(load_scenario(TINY), tmp_path / "s.xlsx")
    book = openpyxl.load_workbook(path)
    del book["effects"]
    book.create_sheet("_notes")
    book.save(path)
    assert [p for p in problems(path) if p.startswith("sheet effects:") and "missing" in p]


def test_bad_documents_are_refused_with_a_location(tmp_path: Path) -> None:
    assert problems(tmp_path / "nowhere.json")[0].endswith("not found: check the path")
    (tmp_path / "bad.json").write_text('{"name": 1,}')
    assert "line 1 column" in problems(tmp_path / "bad.json")[0]
    (tmp_path / "dup.json").write_text('{"name": "a", "name": "b"}')
    assert "appears twice" in problems(tmp_path / "dup.json")[0]
    (tmp_path / "bad.yaml").write_text("name: [unclosed\nhorizon_years: 2\n")
    assert "not valid YAML" in problems(tmp_path / "bad.yaml")[0]
    (tmp_path / "alias.yaml").write_text("a: &x 1\nb: *x\n")
    assert "aliases" in problems(tmp_path / "alias.yaml")[0]
    (tmp_path / "s.csv").write_text("key,value\n")
    assert "folder" in problems(tmp_path / "s.csv")[0]
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    assert ".xlsx workbook" in problems(tmp_path / "junk.xlsx")[0]


def test_yaml_nan_is_refused(tmp_path: Path) -> None:
    path = save_scenario(load_scenario(TINY), tmp_path / "s.yaml")
    path.write_text(path.read_text().replace("discount_rate: 0.035", "discount_rate: .nan"))
    found = problems(path)
    assert found and found[0].startswith("/discount_rate:") and "finite" in found[0]


def test_yaml_integer_keys_are_text(tmp_path: Path) -> None:
    path = save_scenario(load_scenario(TINY), tmp_path / "s.yaml")
    path.write_text(path.read_text().replace("'1': 1.0", "1: 2.0"))
    assert load_scenario(path).equity_weight(1) == 2.0


def test_cross_reference_problems_point_at_rows(tmp_path: Path) -> None:
    folder = tiny_csv(tmp_path)
    edit_csv(folder / "pools.csv", 3, "interventions", "youth_diversion;nope")
    edit_csv(folder / "unit_costs.csv", 4, "agency", "dwp")
    found = problems(folder)
    assert any(p.startswith("pools.csv row 3 column interventions -> /pools/1/interventions/1:") for p in found), found
    assert any(p.startswith("unit_costs.csv row 4 column unit_cost -> /outcomes/2/unit_costs/dwp:") and "agency" in p for p in found), found


def test_long_footprint_uses_pool_columns_in_a_workbook(tmp_path: Path) -> None:
    doc = tiny_doc()
    doc["areas"] = [{"id": f"E0100{k:05d}", "imd_decile": 1 + k % 10, "population": 1000, "groups": {"families": 10}} for k in range(3500)]
    doc["pools"][0]["areas"] = [a["id"] for k, a in enumerate(doc["areas"]) if k != 7]  # 38,000 characters
    doc["policy"] = {}
    s = parse_scenario(doc)
    back = roundtrip(s, "xlsx", tmp_path)
    assert canonical_dict(back, with_solver=True) == canonical_dict(s, with_solver=True)
    header = next(openpyxl.load_workbook(tmp_path / "s.xlsx", read_only=True)["areas"].iter_rows(max_row=1, values_only=True))
    assert "pool:council" in header
    # a footprint is a set (its canonical form is sorted): a long one in any order round-trips by hash
    doc["pools"][0]["areas"] = list(reversed(doc["pools"][0]["areas"]))
    reordered = parse_scenario(doc)
    assert scenario_hash(reordered) == scenario_hash(s)
    assert scenario_hash(roundtrip(reordered, "xlsx", tmp_path)) == scenario_hash(s)
    assert sorted(roundtrip(reordered, "csv", tmp_path).pools[0].areas) == sorted(doc["pools"][0]["areas"])


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["areas", "pools", "scenario", "effects"]))
def test_garbage_tables_never_raise_a_traceback(text: str, table: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_scenario(load_scenario(TINY), Path(tmp) / "s")
        (folder / f"{table}.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_scenario(folder)
        except ScenarioError as exc:
            assert exc.problems and all(p.msg for p in exc.problems)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200), st.sampled_from(["s.json", "s.json.gz", "s.yaml", "s.xlsx"]))
def test_garbage_files_never_raise_a_traceback(tmp_path: Path, data: bytes, name: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ScenarioError):
        load_scenario(tmp_path / name)


# -- the command -------------------------------------------------------------------------------


def test_convert_command(tmp_path: Path) -> None:
    import typer

    from optimizer.cli.forms import register

    app = typer.Typer()
    app.callback()(lambda: None)
    register(app)
    runner = CliRunner()
    result = runner.invoke(app, ["convert", str(TINY), str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout and scenario_hash(load_scenario(TINY)) in result.stdout
    doc = tiny_doc()
    doc["areas"][0]["imd_decile"] = 11
    doc["bogus"] = 1
    result = runner.invoke(app, ["convert", str(write_json(tmp_path, doc)), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "/areas/0/imd_decile: " in result.stderr and "/bogus: unknown field" in result.stderr
    assert not (tmp_path / "out").exists()
    result = runner.invoke(app, ["convert", str(TINY), str(tmp_path / "t.txt")])
    assert result.exit_code == 2 and "extension" in result.stderr
