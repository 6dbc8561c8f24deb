"""Scenario forms, version 2 (docs/forms.md): every version 2 field round-trips through every form with the same hash,
a version 1 scenario's tables are unchanged, and a bad version 2 table is refused at its sheet, row and column."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.errors import ScenarioError
from optimizer.forms import FORMS, load_scenario, save_scenario
from optimizer.scenario import Scenario, canonical_dict, parse_scenario, scenario_hash
from optimizer.testing import V2_RULES, random_scenario, rules_on
from tests.test_forms import ID, LABEL, MONEY, scenario_docs

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
WORKED_V2 = sorted(p for p in ROOT.glob("scenarios/**/*.json") if json.loads(p.read_text()).get("schema_version") == 2)
SUFFIX = {"json": "s.json", "json.gz": "s.json.gz", "yaml": "s.yaml", "xlsx": "s.xlsx", "csv": "s"}
V1_TABLES = ["scenario", "pools", "agencies", "outcomes", "unit_costs", "areas", "interventions", "effects"]


def same_in_every_form(s: Scenario, folder: Path) -> None:
    want = canonical_dict(s, with_solver=True)
    for form in FORMS:
        sub = folder / form.replace(".", "_")
        back = load_scenario(save_scenario(s, sub / SUFFIX[form]))
        assert scenario_hash(back) == scenario_hash(s), form
        assert canonical_dict(back, with_solver=True) == want, form


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def tiny_v2() -> dict[str, Any]:
    """The tiny example with every version 2 field in use."""
    doc: dict[str, Any] = json.loads(TINY.read_text())
    doc["schema_version"] = 2
    early, youth = doc["interventions"]
    early["response"] = [{"up_to": 0.2, "effect": 1.2}, {"up_to": 0.5, "effect": 0.8}]
    early["source"] = "Evaluation of early help, 2023"
    youth["response"] = [{"up_to": 0.3, "effect": 1.0}]
    del youth["max_coverage"]  # the last band's up_to
    doc["outcomes"][0].update(themes=["health", "safety"], source="Unit cost database v1.4; uprated")
    doc["outcomes"][1]["themes"] = ["safety"]
    doc["areas"][1]["priorities"] = {"health": 30, "safety": 5}
    doc["policy"].update(
        resident_priorities={"strength": 0.4, "weights": {"health": 10, "safety": 20}},
        commitments=[
            {"intervention": "early_help", "min_spend": 5000},
            {"intervention": "youth_diversion", "area": "E01000002", "year": 2, "min_spend": 1000.5},
        ],
        cost_sharing={"rule": "shares", "shares": {"council": 3, "police": 1}},
    )
    return doc


# -- round trips -------------------------------------------------------------------------------


def test_worked_scenarios_are_found() -> None:
    assert ROOT / "scenarios" / "tight" / "manchester_tight.json" in WORKED_V2 and len(WORKED_V2) >= 8


# England's 33,755 areas take about a minute and a half through every form: with the slow tests
@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.stem, marks=[pytest.mark.slow] if p.stat().st_size > 5 * 2**20 else []) for p in WORKED_V2]
)
def test_worked_version_2_scenarios_round_trip(path: Path, tmp_path: Path) -> None:
    s = load_scenario(path)
    assert s.schema_version == 2
    same_in_every_form(s, tmp_path)


def test_every_version_2_field_round_trips(tmp_path: Path) -> None:
    s = parse_scenario(tiny_v2())
    assert rules_on(tiny_v2()) >= V2_RULES
    same_in_every_form(s, tmp_path)
    back = load_scenario(tmp_path / "csv" / "s")
    assert back.interventions[1].max_coverage == 0.3 and back.policy.commitments[1].year == 2
    assert back.policy.cost_sharing.shares == {"council": 3.0, "police": 1.0}


def test_seeded_version_2_scenarios_round_trip(tmp_path: Path) -> None:
    """Seeds 0..29 of the generator's version 2 draws (LP and MIP), which between them switch on every version 2 feature."""
    seen: set[str] = set()
    for seed in range(30):
        doc = random_scenario(seed, mip=seed % 3 == 2, version=2)
        seen |= rules_on(doc)
        same_in_every_form(parse_scenario(doc), tmp_path / str(seed))
    assert V2_RULES <= seen, V2_RULES - seen


THEME = ID
SOURCE = LABEL.filter(bool)


@st.composite
def version_2_docs(draw: Any) -> dict[str, Any]:
    """The property-based scenarios of test_forms (ids spreadsheets mangle) with version 2's fields drawn on top."""
    doc = draw(scenario_docs())
    doc["schema_version"] = 2
    themes = draw(st.lists(THEME, min_size=0, max_size=3, unique=True))
    for outcome in doc["outcomes"]:
        if themes and draw(st.booleans()):
            outcome["themes"] = draw(st.lists(st.sampled_from(themes), unique=True, max_size=len(themes)))
        if draw(st.booleans()):
            outcome["source"] = draw(SOURCE)
    for iv in doc["interventions"]:
        if draw(st.booleans()):
            ups = sorted(draw(st.lists(st.floats(1e-6, 1), min_size=1, max_size=3, unique=True)))
            effects = sorted(draw(st.lists(st.floats(0, 100), min_size=len(ups), max_size=len(ups))), reverse=True)
            iv["response"] = [{"up_to": u, "effect": e} for u, e in zip(ups, effects, strict=True)]
            iv["max_coverage"] = ups[-1]
            if draw(st.booleans()):
                del iv["max_coverage"]
        if draw(st.booleans()):
            iv["source"] = draw(SOURCE)
    named = sorted({t for o in doc["outcomes"] for t in o.get("themes", [])})
    points = st.dictionaries(st.sampled_from(named), MONEY, min_size=1).filter(lambda d: any(v > 0 for v in d.values())) if named else None
    policy = doc.setdefault("policy", {})
    if points is not None and draw(st.booleans()):
        policy["resident_priorities"] = {"weights": draw(points)}
        if draw(st.booleans()):
            policy["resident_priorities"]["strength"] = draw(st.floats(0, 1))
    for area in doc["areas"]:
        if points is not None and draw(st.booleans()):
            area["priorities"] = draw(points)
    if draw(st.booleans()):
        commitments = []
        for _ in range(draw(st.integers(0, 3))):
            c: dict[str, Any] = {"intervention": draw(st.sampled_from([i["id"] for i in doc["interventions"]])), "min_spend": draw(MONEY)}
            if draw(st.booleans()):
                c["area"] = draw(st.sampled_from([a["id"] for a in doc["areas"]]))
            if draw(st.booleans()):
                c["year"] = draw(st.integers(1, doc["horizon_years"]))
            commitments.append(c)
        policy["commitments"] = commitments
    choice = draw(st.sampled_from(["none", "budget_share", "shares"]))
    if choice == "budget_share":
        policy["cost_sharing"] = {"rule": "budget_share"}
    elif choice == "shares":
        shares = {p["id"]: draw(st.floats(0, 10)) for p in doc["pools"]}
        shares[doc["pools"][0]["id"]] += 1.0
        policy["cost_sharing"] = {"rule": "shares", "shares": shares}
    return doc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(version_2_docs())
def test_generated_version_2_round_trip(doc: dict[str, Any]) -> None:
    s = parse_scenario(doc)
    with tempfile.TemporaryDirectory() as tmp:
        same_in_every_form(s, Path(tmp))


# -- a version 1 scenario's tables are unchanged -------------------------------------------------


def test_version_1_tables_have_no_version_2_sheet_or_column(tmp_path: Path) -> None:
    for doc in [json.loads(TINY.read_text())] + [random_scenario(seed) for seed in range(10)]:
        s = parse_scenario(doc)
        book = openpyxl.load_workbook(save_scenario(s, tmp_path / "s.xlsx"), read_only=True)
        assert book.sheetnames == V1_TABLES
        folder = save_scenario(s, tmp_path / "s")
        assert sorted(f.stem for f in folder.iterdir()) == sorted(V1_TABLES)
        headers = {f.stem: next(csv.reader(f.open(encoding="utf-8"))) for f in folder.iterdir()}
        assert headers["outcomes"] == ["id", "name", "social_value"]
        assert headers["pools"][-3:] == ["areas", "interventions", "reinvest_rate"]
        assert "source" not in headers["interventions"]
        keys = [row[0] for row in csv.reader((folder / "scenario.csv").open(encoding="utf-8"))]
        assert not any(k.startswith(("policy.cost_sharing", "policy.resident_priorities")) for k in keys)


def test_a_version_1_scenario_written_over_a_version_2_folder_reads_back_as_itself(tmp_path: Path) -> None:
    save_scenario(parse_scenario(tiny_v2()), tmp_path / "s")
    v1 = load_scenario(TINY)
    folder = save_scenario(v1, tmp_path / "s")
    assert not (folder / "responses.csv").exists()
    assert scenario_hash(load_scenario(folder)) == scenario_hash(v1)


# -- filled-in forms: problems located ------------------------------------------------------------


def v2_workbook(tmp_path: Path) -> Path:
    return save_scenario(parse_scenario(tiny_v2()), tmp_path / "s.xlsx")


def v2_folder(tmp_path: Path) -> Path:
    return save_scenario(parse_scenario(tiny_v2()), tmp_path / "s")


def edit_csv(path: Path, row: int, column: str, value: str) -> None:
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    if column not in rows[0]:
        rows[0].append(column)
        for r in rows[1:]:
            r.append("")
    while len(rows) < row:
        rows.append([""] * len(rows[0]))
    rows[row - 1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def test_the_layout_a_finance_officer_fills_in(tmp_path: Path) -> None:
    folder = v2_folder(tmp_path)
    read = {f.stem: list(csv.reader(f.open(encoding="utf-8"))) for f in folder.iterdir()}
    assert read["responses"] == [
        ["intervention", "band", "up_to", "effect"],
        ["early_help", "1", "0.2", "1.2"],
        ["early_help", "2", "0.5", "0.8"],
        ["youth_diversion", "1", "0.3", "1"],
    ]
    assert read["commitments"] == [
        ["intervention", "area", "year", "min_spend"],
        ["early_help", "", "", "5000"],
        ["youth_diversion", "E01000002", "2", "1000.5"],
    ]
    assert read["priorities"] == [
        ["area", "theme", "points"],
        ["", "health", "10"],
        ["", "safety", "20"],
        ["E01000002", "health", "30"],
        ["E01000002", "safety", "5"],
    ]
    assert read["outcomes"][0] == ["id", "name", "social_value", "themes", "source"] and read["outcomes"][1][3] == "health;safety"
    assert read["pools"][0][-1] == "cost_share" and [r[-1] for r in read["pools"][1:]] == ["3", "1"]
    assert read["interventions"][0][-1] == "source"
    keys = dict(r for r in read["scenario"][1:])
    assert keys["policy.cost_sharing.rule"] == "shares" and keys["policy.resident_priorities.strength"] == "0.4"


def test_a_rising_band_is_located_in_the_workbook(tmp_path: Path) -> None:
    path = v2_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["responses"]["D3"] = 1.5  # early_help's second band: 1.2 then 1.5
    book.save(path)
    found = problems(path)
    assert len(found) == 1, found
    assert found[0].startswith(
        "sheet responses row 3 column effect (cell D3) -> /interventions/0/response/1/effect: rises from 1.2 to 1.5"
    ), found
    assert "give this band at most the effect of the band before it" in found[0]


def test_an_unknown_commitment_intervention_is_located_in_the_workbook(tmp_path: Path) -> None:
    path = v2_workbook(tmp_path)
    book = openpyxl.load_workbook(path)
    book["commitments"]["A3"] = "youth_divertion"
    book["commitments"]["C2"] = "two"
    book.save(path)
    found = problems(path)
    assert any(
        p.startswith(
            "sheet commitments row 3 column intervention (cell A3) -> /policy/commitments/1/intervention: "
            "unknown intervention id 'youth_divertion': use an id"
        )
        for p in found
    ), found
    assert any(
        p.startswith("sheet commitments row 2 column year (cell C2) -> /policy/commitments/0/year: must be a number") for p in found
    ), found
    assert len(found) == 2, found


def test_version_2_cell_problems_are_located_in_csv(tmp_path: Path) -> None:
    folder = v2_folder(tmp_path)
    edit_csv(folder / "responses.csv", 3, "up_to", "0.1")  # below the band before it
    edit_csv(folder / "commitments.csv", 3, "area", "E0100000X")
    edit_csv(folder / "commitments.csv", 3, "year", "3")  # beyond the horizon of 2
    edit_csv(folder / "commitments.csv", 2, "min_spend", "£5000")
    edit_csv(folder / "priorities.csv", 5, "theme", "saftey")
    edit_csv(folder / "priorities.csv", 6, "area", "nowhere")
    edit_csv(folder / "priorities.csv", 6, "theme", "health")
    edit_csv(folder / "priorities.csv", 6, "points", "1")
    edit_csv(folder / "outcomes.csv", 3, "themes", ";")
    found = problems(folder)
    expect = [
        "responses.csv row 3 column up_to -> /interventions/0/response/1/up_to: must be greater than the band before it (0.2)",
        "commitments.csv row 3 column area -> /policy/commitments/1/area: unknown area id 'E0100000X'",
        "commitments.csv row 3 column year -> /policy/commitments/1/year: year 3 is beyond horizon_years (2)",
        "commitments.csv row 2 column min_spend -> /policy/commitments/0/min_spend: must be a number; got '£5000': write it without the currency sign",
        "priorities.csv row 5 column theme -> /areas/1/priorities/saftey: theme 'saftey' is named by no outcome",
        "priorities.csv row 6 column area: unknown area id 'nowhere': use an id of the areas table",
        "outcomes.csv row 3 column themes -> /outcomes/1/themes: lists no themes: leave the cell empty for none",
    ]
    for want in expect:
        assert any(p.startswith(want) for p in found), (want, found)
    assert len(found) == len(expect) + 1, found  # and the last band no longer ends at max_coverage (0.5)
    assert any(
        p.startswith("responses.csv row 3 column up_to -> /interventions/0/response/1/up_to: the last band ends at 0.1") for p in found
    )


def test_tables_that_disagree_are_located(tmp_path: Path) -> None:
    folder = v2_folder(tmp_path)
    edit_csv(folder / "priorities.csv", 3, "theme", "health")  # the place's health points twice
    edit_csv(folder / "pools.csv", 3, "cost_share", "")  # police left out of the shares
    edit_csv(folder / "responses.csv", 4, "band", "3")  # youth_diversion's only band numbered 3
    edit_csv(folder / "responses.csv", 5, "intervention", "nope")
    edit_csv(folder / "responses.csv", 5, "up_to", "1")
    edit_csv(folder / "responses.csv", 5, "effect", "1")
    found = problems(folder)
    expect = [
        "priorities.csv row 3 column theme: the place has points for theme 'health' in row 2 already: keep one row",
        "pools.csv column cost_share -> /policy/cost_sharing/shares: leaves out pool(s) 'police'",
        "responses.csv row 4 column band: the bands of intervention 'youth_diversion' are numbered [3]: number them 1 to 1",
        "responses.csv row 5 column intervention: names an unknown intervention 'nope': use an id of the interventions table",
    ]
    for want in expect:
        assert any(p.startswith(want) for p in found), (want, found)


def test_keys_without_their_table_are_located(tmp_path: Path) -> None:
    folder = v2_folder(tmp_path)
    (folder / "priorities.csv").write_text("area,theme,points\r\nE01000002,health,3\r\n", encoding="utf-8")  # no points for the place
    edit_csv(folder / "pools.csv", 2, "cost_share", "")
    edit_csv(folder / "pools.csv", 3, "cost_share", "")
    found = problems(folder)
    assert any(
        p.startswith("scenario.csv row ") and "-> /policy/resident_priorities/weights: gives the residents' priorities a strength" in p
        for p in found
    ), found
    assert any(
        p.startswith("scenario.csv row ")
        and "column value -> /policy/cost_sharing/shares: is shares, but the pools table gives no pool" in p
        for p in found
    ), found
    assert len(found) == 2, found


def test_version_2_tables_need_schema_version_2(tmp_path: Path) -> None:
    folder = save_scenario(load_scenario(TINY), tmp_path / "s")
    (folder / "commitments.csv").write_text("intervention,min_spend\r\nearly_help,100\r\n", encoding="utf-8")
    found = problems(folder)
    assert found == [
        'commitments.csv -> /policy/commitments: is a version 2 field (docs/model.md section 2.3): set "schema_version": 2 to use it'
    ], found


def test_the_coverage_cell_may_be_left_to_the_last_band(tmp_path: Path) -> None:
    folder = v2_folder(tmp_path)
    edit_csv(folder / "interventions.csv", 2, "max_coverage", "")
    assert load_scenario(folder).interventions[0].max_coverage == 0.5
    edit_csv(folder / "interventions.csv", 2, "max_coverage", "0.4")
    found = problems(folder)
    assert any(
        p.startswith(
            "responses.csv row 3 column up_to -> /interventions/0/response/1/up_to: the last band ends at 0.5 but max_coverage is 0.4"
        )
        for p in found
    ), found


def test_bands_in_any_row_order_by_their_numbers(tmp_path: Path) -> None:
    folder = v2_folder(tmp_path)
    rows = list(csv.reader((folder / "responses.csv").open(encoding="utf-8")))
    rows[1], rows[2] = rows[2], rows[1]
    with (folder / "responses.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    want = scenario_hash(parse_scenario(tiny_v2()))
    assert scenario_hash(load_scenario(folder)) == want
    for r in rows[1:]:
        r[1] = ""
    rows[1], rows[2] = rows[2], rows[1]  # back in coverage order, without band numbers: the row order is the order
    with (folder / "responses.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    assert scenario_hash(load_scenario(folder)) == want


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["responses", "priorities", "commitments", "pools", "outcomes"]))
def test_garbage_version_2_tables_never_raise_a_traceback(text: str, table: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_scenario(parse_scenario(tiny_v2()), Path(tmp) / "s")
        (folder / f"{table}.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            load_scenario(folder)
        except ScenarioError as exc:
            assert exc.problems and all(p.msg for p in exc.problems)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["responses", "priorities", "commitments"]),
    st.integers(0, 4),
    st.integers(0, 3),
    st.sampled_from(["", "x", "-1", "0", "2.5", "1e400", "[]", ";", "E01000001", "health", "early_help", "=1", "#N/A"]),
)
def test_any_edited_version_2_cell_is_read_or_located(table: str, row: int, col: int, value: str) -> None:
    """One cell of a version 2 table set to anything: the scenario reads, or every problem names a place in the tables."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = save_scenario(parse_scenario(tiny_v2()), Path(tmp) / "s")
        path = folder / f"{table}.csv"
        rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
        r, c = min(row + 1, len(rows) - 1), min(col, len(rows[0]) - 1)
        rows[r][c] = value
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
        try:
            load_scenario(folder)
        except ScenarioError as exc:
            assert exc.problems and all(p.msg and ".csv" in p.loc for p in exc.problems), [str(p) for p in exc.problems]
