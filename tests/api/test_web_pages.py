"""The boards' pages without a browser: the guard every scenario page shares, the place form, the appraisal downloads.

The service in-process (``TestClient``) on embedded defaults; the browser
journey itself is in ``tests/browser``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from service_testing import add_key, client_for

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "scenarios" / "examples" / "tiny.json"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
SCENARIO = re.compile(r"^/scenarios/(sc_[0-9a-f]{32})$")


def csrf_of(client: TestClient, path: str = "/") -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def signed_in(client: TestClient, key: str) -> str:
    """Sign ``client`` in with ``key``; its CSRF token."""
    token = csrf_of(client)
    response = client.post("/sign-in", data={"key": key, "csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    return csrf_of(client)


@pytest.fixture
def boards(embedded_settings: Settings) -> Iterator[tuple[TestClient, TestClient, TestClient]]:
    """Three browsers of one service: north's board, south's board, and one signed out."""
    north, south = add_key(embedded_settings, "north")["X-API-Key"], add_key(embedded_settings, "south")["X-API-Key"]
    with client_for(embedded_settings) as a, client_for(embedded_settings) as b, client_for(embedded_settings) as c:
        signed_in(a, north)
        signed_in(b, south)
        yield a, b, c


def upload(client: TestClient, path: Path) -> str:
    token = csrf_of(client, "/scenarios/new")
    response = client.post(
        "/scenarios/new", data={"csrf": token}, files={"scenario_file": (path.name, path.read_bytes())}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    found = SCENARIO.match(response.headers["location"])
    assert found is not None
    return found.group(1)


GETS = ("", "/map.json", "/result.json", "/result.xlsx", "/allocations.csv", "/appraisal.html", "/appraisal.csv")
POSTS = ("/solve", "/versions", "/analyses/split")


def test_every_scenario_page_is_the_boards_own(boards: tuple[TestClient, TestClient, TestClient]) -> None:
    """Signed out: to the sign-in form; another tenant: 404; a changing form without the session's token: 403."""
    north, south, stranger = boards
    scenario_id = upload(north, TINY)
    token = csrf_of(north, f"/scenarios/{scenario_id}")
    assert north.post(f"/scenarios/{scenario_id}/solve", data={"csrf": token}, follow_redirects=False).status_code == 303
    for tail in GETS:
        url = f"/scenarios/{scenario_id}{tail}"
        assert north.get(url).status_code == 200, url
        assert south.get(url).status_code == 404, url
        away = stranger.get(url, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/", url
    south_token = csrf_of(south)
    for tail in POSTS:
        url = f"/scenarios/{scenario_id}{tail}"
        assert south.post(url, data={"csrf": south_token}).status_code == 404, url
        assert north.post(url, data={"csrf": "forged"}).status_code == 403, url
        away = stranger.post(url, data={"csrf": "forged"}, follow_redirects=False)
        assert away.status_code == 303 and away.headers["location"] == "/", url
    assert north.post(f"/scenarios/{scenario_id}/analyses/nonsense", data={"csrf": token}).status_code == 404


def test_the_appraisal_pack_is_the_command_lines(boards: tuple[TestClient, TestClient, TestClient]) -> None:
    """The pack of the stored result: the table as ``totalplace appraisal --csv`` writes it, the report as ``--html``."""
    from optimizer import appraisal, in_pence, load_scenario, solve

    north, _, _ = boards
    scenario_id = upload(north, TINY)
    assert north.get(f"/scenarios/{scenario_id}/appraisal.csv").status_code == 404  # not solved yet
    token = csrf_of(north, f"/scenarios/{scenario_id}")
    north.post(f"/scenarios/{scenario_id}/solve", data={"csrf": token})
    page = north.get(f"/scenarios/{scenario_id}").text
    assert f'href="/scenarios/{scenario_id}/appraisal.html"' in page and f'href="/scenarios/{scenario_id}/appraisal.csv"' in page
    got = north.get(f"/scenarios/{scenario_id}/appraisal.csv")
    assert got.headers["content-type"].startswith("text/csv") and "attachment" in got.headers["content-disposition"]
    s = load_scenario(TINY)
    expected = appraisal.table(appraisal.appraise(s, in_pence(solve(s).to_dict()))).to_csv(index=False)
    rows, want = list(csv.DictReader(io.StringIO(got.text))), list(csv.DictReader(io.StringIO(expected)))
    assert [r["id"] for r in rows] == [r["id"] for r in want]
    for r, w in zip(rows, want, strict=True):
        for column in ("spending", "spending_discounted", "savings_discounted", "npv"):
            assert float(r[column]) == pytest.approx(float(w[column]), abs=0.01)
    report = north.get(f"/scenarios/{scenario_id}/appraisal.html")
    assert report.headers["content-type"].startswith("text/html") and "attachment" in report.headers["content-disposition"]
    assert report.text.startswith("<!DOCTYPE html>") and "Appraisal:" in report.text and "<script" not in report.text


def place_form(client: TestClient, **fields: str | list[str]) -> dict[str, str | list[str]]:
    token = csrf_of(client, "/scenarios/new/place")
    return {
        "csrf": token,
        "place": "lad:E08000003",
        "vintage": "2025",
        "min_share": "30",
        "max_decile": "1",
        "basis": "national",
        "per_capita_floor": "0",
        "cost_sharing": "budget_share",
        "interventions": ["early_help", "youth_diversion", "social_prescribing", "domestic_abuse_support", "falls_prevention"],
        **fields,
    }


def stored(settings: Settings, location: str) -> dict[str, Any]:
    """The scenario the page stored, as the store keeps it (its canonical JSON)."""
    from api.store.db import Database, ScenarioRow

    db = Database(settings.database_url)
    try:
        with db.session() as session:
            row = session.get(ScenarioRow, location.rsplit("/", 1)[1])
            assert row is not None
            return json.loads(row.canonical_json)  # type: ignore[no-any-return]
    finally:
        db.dispose()


def test_a_scenario_from_a_place_is_the_command_lines(
    boards: tuple[TestClient, TestClient, TestClient], embedded_settings: Settings
) -> None:
    """The form's defaults build what ``totalplace scenario build --lad Manchester`` writes, stored as a new scenario."""
    from optimizer import canonical_dict, geography, parse_scenario

    north, south, _ = boards
    form = north.get("/scenarios/new/place")
    assert form.status_code == 200 and 'value="lad:E08000003"' in form.text and 'value="icb:' in form.text and 'value="pfa:' in form.text
    response = north.post("/scenarios/new/place", data=place_form(north), follow_redirects=False)
    assert response.status_code == 303, response.text
    found = SCENARIO.match(response.headers["location"])
    assert found is not None
    page = north.get(response.headers["location"])
    assert "Prevention pool: Manchester" in page.text and "295 neighbourhoods" in page.text
    assert south.get(response.headers["location"]).status_code == 404
    doc = stored(embedded_settings, response.headers["location"])
    cli = geography.build_scenario("lad", "Manchester")
    assert doc == canonical_dict(parse_scenario(cli), with_solver=True)  # the same scenario, to the last figure
    assert "cost_sharing" not in doc["policy"]  # the default rule, budget shares, is not written out
    from optimizer import prevention

    assert doc["schema_version"] == 2  # version 2: the library's bands of diminishing returns, each with its basis
    assert {iv["id"]: bool(iv.get("response")) for iv in doc["interventions"]} == {k: bool(v) for k, v in prevention.RESPONSES.items()}


def test_each_problem_is_next_to_its_field(boards: tuple[TestClient, TestClient, TestClient]) -> None:
    """The validator's words, at the field its JSON pointer names, with the error summary linking there."""
    north, _, _ = boards
    no_place = north.post("/scenarios/new/place", data=place_form(north, place=""))
    assert no_place.status_code == 422 and 'id="place-error"' in no_place.text and 'href="#place"' in no_place.text
    bad = north.post(
        "/scenarios/new/place",
        data=place_form(
            north,
            **{
                "budget-police-2": "-5",
                "budget-nhs-1": "lots",
                "min_share": "150",
                "max_decile": "11",
                "per_capita_floor": "-1",
                "interventions": [],
                "cost_sharing": "shares",
                "share-council": "2",
                "share-police": "1",
            },
        ),
    )
    assert bad.status_code == 422
    text = bad.text
    for field, words in (
        ("budget-police-2", "greater than or equal to 0"),
        ("budget-nhs-1", "valid number"),
        ("min_share", "less than or equal to 1"),
        ("max_decile", "less than or equal to 10"),
        ("per_capita_floor", "greater than or equal to 0"),
        ("interventions", "must not be empty"),
        ("share-nhs", "leaves out pool(s) 'nhs'"),
    ):
        message = re.search(rf'<p id="{field}-error" class="govuk-error-message"[^>]*>(.*?)</p>', text, re.S)
        assert message is not None and words in html.unescape(message.group(1)), field
        assert f'href="#{field}"' in text, field
    assert 'value="lots"' in text and 'value="150"' in text  # what the board typed, shown again
    assert "schema_version" not in text  # the shares rule is version 2: the form says so itself


def test_the_agreed_shares_make_a_version_2_scenario(
    boards: tuple[TestClient, TestClient, TestClient], embedded_settings: Settings
) -> None:
    north, _, _ = boards
    response = north.post(
        "/scenarios/new/place",
        data=place_form(
            north,
            **{
                "place": "pfa:E23000013",
                "vintage": "2019",
                "budget-council-1": "£1,000,000",
                "min_share": "40",
                "basis": "local",
                "no_agency_worse_off": "yes",
                "cost_sharing": "shares",
                "share-council": "2",
                "share-police": "1",
                "share-nhs": "1",
                "interventions": ["early_help", "youth_diversion"],
                "name": "What if: {place}",
            },
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    doc: dict[str, Any] = stored(embedded_settings, response.headers["location"])
    assert doc["schema_version"] == 2 and doc["data_vintage"] == "2019" and doc["name"].startswith("What if: ")
    assert doc["policy"]["cost_sharing"]["rule"] == "shares" and doc["policy"]["no_agency_worse_off"] is True
    assert doc["policy"]["community_wealth_fund"]["min_share"] == pytest.approx(0.4)
    assert doc["policy"]["community_wealth_fund"]["basis"] == "local"
    assert [iv["id"] for iv in doc["interventions"]] == ["early_help", "youth_diversion"]
    council = next(p for p in doc["pools"] if p["id"] == "council")
    assert council["budget"][0] == 1_000_000


def test_the_place_form_refuses_a_forged_token(boards: tuple[TestClient, TestClient, TestClient]) -> None:
    north, _, stranger = boards
    assert north.post("/scenarios/new/place", data={**place_form(north), "csrf": "forged"}).status_code == 403
    away = stranger.get("/scenarios/new/place", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/"


TIGHT = ROOT / "scenarios" / "tight" / "manchester_tight.json"


def _new_version(client: TestClient, scenario_id: str, **fields: str) -> Any:
    token = csrf_of(client, f"/scenarios/{scenario_id}")
    return client.post(f"/scenarios/{scenario_id}/versions", data={"csrf": token, **fields}, follow_redirects=False)


def test_the_page_shows_each_service_band_by_band(boards: tuple[TestClient, TestClient, TestClient]) -> None:
    """docs/model.md 2.1 on the page: a row per band of every intervention with more than one, its effect from the scenario,
    what the plan buys of it as the core's reach says, the command line's sentence, and the chart's specification."""
    from optimizer import load_scenario, worth

    north, _, _ = boards
    scenario_id = upload(north, TIGHT)
    token = csrf_of(north, f"/scenarios/{scenario_id}")
    assert north.post(f"/scenarios/{scenario_id}/solve", data={"csrf": token}, follow_redirects=False).status_code == 303
    page = north.get(f"/scenarios/{scenario_id}").text
    result = north.get(f"/scenarios/{scenario_id}/result.json").json()
    s = load_scenario(TIGHT)
    banded = {iv.id: iv.response for iv in s.interventions if iv.response and len(iv.response) > 1}
    assert banded  # the tight scenario's library bands
    rows = re.findall(r'data-intervention="([a-z_]+)" data-band="(\d+)">(.*?)</tr>', page, flags=re.S)
    assert {(iv, int(b)) for iv, b, _ in rows} == {(iv, j + 1) for iv, bands in banded.items() for j in range(len(bands))}
    reach = {r["intervention"]: r for r in worth.reach(s, result)}
    for iv, b, cells in rows:
        band = banded[iv][int(b) - 1]
        numbers = re.findall(r'numeric">([^<]+)</td>', cells)
        assert numbers[0] == f"{band.effect:.2f}"
        share = reach[iv]["bands"][int(b) - 1]["share"]
        assert numbers[1].startswith(f"{share:.0%}")
    for line in worth.sentences(s, result):
        if line.split(":")[0] in {iv.name for iv in s.interventions if iv.id in banded}:
            assert html.escape(line, quote=True) in page or line in html.unescape(page)
    charts = json.loads(html.unescape(re.search(r'<script type="application/json" id="charts">(.*?)</script>', page, flags=re.S).group(1)))  # type: ignore[union-attr]
    assert len(charts["responses"]["data"]["values"]) == len(rows)


def test_a_board_adds_and_removes_a_commitment(boards: tuple[TestClient, TestClient, TestClient], embedded_settings: Settings) -> None:
    """The "What if?" form: a new commitment (area and year given) is a new version 2 scenario that the plan honours, checked
    from the result's own allocation rows; ticking an existing one removes it; an amount left out is named at its field."""
    north, _, _ = boards
    scenario_id = upload(north, TIGHT)
    before = stored(embedded_settings, f"/scenarios/{scenario_id}")
    held = before["policy"]["commitments"]
    area = before["areas"][0]["id"]
    yd = next(iv for iv in before["interventions"] if iv["id"] == "youth_diversion")
    most = yd["max_coverage"] * before["areas"][0]["groups"][yd["target_group"]] * yd["unit_cost"]  # all it can spend there in a year
    too_much = _new_version(
        north,
        scenario_id,
        **{
            "commitment-intervention": "youth_diversion",
            "commitment-area": area,
            "commitment-year": "2",
            "commitment-min_spend": f"{most + 1000:.2f}",
        },
    )
    assert too_much.status_code == 303
    page = html.unescape(north.get(too_much.headers["location"].split("#")[0]).text)
    assert "cannot be met" in page and f"at most £{most:,.2f} can be spent on it there" in page  # infeasible is an answer, diagnosed
    response = _new_version(
        north,
        scenario_id,
        **{"commitment-intervention": "youth_diversion", "commitment-area": area, "commitment-year": "2", "commitment-min_spend": "£3,000"},
    )
    assert response.status_code == 303, response.text
    new_id = response.headers["location"].split("#")[0].split("?")[0].rsplit("/", 1)[1]
    doc = stored(embedded_settings, f"/scenarios/{new_id}")
    assert doc["schema_version"] == 2
    assert doc["policy"]["commitments"] == [*held, {"intervention": "youth_diversion", "area": area, "year": 2, "min_spend": 3_000.0}]
    result = north.get(f"/scenarios/{new_id}/result.json").json()
    assert result["status"] == "optimal", result.get("message")
    spent = sum(r["spend"] for r in result["allocations"] if (r["intervention"], r["area"], r["year"]) == ("youth_diversion", area, 2))
    assert spent >= 3_000 - 0.01  # the plan honours it (the result's own rows)
    page = north.get(f"/scenarios/{new_id}").text
    assert "Remove: at least £3,000 on Youth diversion (pre-court, YOT-led) in" in html.unescape(page)
    removed = _new_version(north, new_id, **{f"remove-commitment-{len(held)}": "yes"})
    assert removed.status_code == 303
    gone = stored(embedded_settings, "/scenarios/" + removed.headers["location"].split("#")[0].split("?")[0].rsplit("/", 1)[1])
    assert gone["policy"]["commitments"] == held
    wrong = _new_version(north, scenario_id, **{"commitment-intervention": "youth_diversion"})
    assert wrong.status_code == 422
    assert f"/policy/commitments/{len(held)}/min_spend" in wrong.text and "least the board has committed to spend" in wrong.text


def test_what_if_problems_are_next_to_their_fields(boards: tuple[TestClient, TestClient, TestClient]) -> None:
    """A refused "What if?" form comes back as the scenario's page (422): each problem in the summary, linked to its
    field, and next to that field, what was typed kept in the fields; an unknown area of a commitment is the core's
    own message, at the area's select; nothing is stored."""
    north, _, _ = boards
    scenario_id = upload(north, TIGHT)
    response = _new_version(
        north,
        scenario_id,
        **{
            "budget-police-2": "lots",
            "min_share": "eighty",
            "commitment-intervention": "youth_diversion",
            "commitment-area": "E99999999",
            "commitment-min_spend": "1000",
        },
    )
    assert response.status_code == 422
    page = response.text
    for field, loc in (("budget-police-2", "/pools/1/budget/1"), ("min_share", "/policy/community_wealth_fund/min_share")):
        assert f'<a href="#{field}" data-loc="{loc}">' in page
        error = re.search(rf'<p id="{field}-error" class="govuk-error-message"[^>]*>(.*?)</p>', page, flags=re.S)
        assert error is not None and "is not" in error.group(1)
        assert re.search(rf'id="{field}"[^>]*aria-describedby="{field}-error"', page)
    assert 'value="lots"' in page and 'value="eighty"' in page  # what the board typed, to correct
    upload_doc = json.loads(TIGHT.read_text())
    assert upload_doc["pools"][1]["id"] == "police"
    versions = north.get(f"/scenarios/{scenario_id}").text
    assert 'data-testid="no-history"' in versions  # nothing stored
    area = _new_version(
        north, scenario_id, **{"commitment-intervention": "youth_diversion", "commitment-area": "E99999999", "commitment-min_spend": "1000"}
    )
    assert area.status_code == 422
    held = len(upload_doc["policy"]["commitments"])
    assert f'<a href="#commitment-area" data-loc="/policy/commitments/{held}/area">' in area.text
    assert re.search(r'<p id="commitment-area-error" class="govuk-error-message"[^>]*>.*E99999999', area.text, flags=re.S)


def test_the_residents_panel(boards: tuple[TestClient, TestClient, TestClient]) -> None:
    """A scenario with residents' priorities offers "What honouring residents costs", run as the API's job; the panel
    shows the three ways with the figures worked by hand in tests/test_residents_report.py: from the page no commitment
    is counted as the vote's, so the commitment is the board's in every way (evidence £200, priorities £130, the third
    way the second). A scenario without
    priorities does not offer it."""
    import time

    north, _, _ = boards
    scenario_id = upload(north, ROOT / "tests" / "data" / "residents_place.json")
    token = csrf_of(north, f"/scenarios/{scenario_id}")
    north.post(f"/scenarios/{scenario_id}/solve", data={"csrf": token})
    page = north.get(f"/scenarios/{scenario_id}").text
    assert 'data-testid="residents"' in page
    moved = north.post(f"/scenarios/{scenario_id}/analyses/residents", data={"csrf": token}, follow_redirects=False)
    assert moved.status_code == 303
    deadline = time.monotonic() + 60
    while "What honouring residents costs</h2>" not in (page := north.get(moved.headers["location"]).text):
        assert time.monotonic() < deadline and "failed" not in page, page[-2000:]
        time.sleep(0.2)
    ways = dict(re.findall(r'data-way="([a-z_]+)">.*?numeric">([^<]+)</td>', page, flags=re.S))
    assert ways == {"evidence": "£200.00", "priorities": "£130.00", "priorities_and_vote": "£130.00"}
    voted = north.post(
        f"/scenarios/{scenario_id}/analyses/residents", data={"csrf": token, "vote_commitments": "1"}, follow_redirects=False
    )
    while "What honouring residents costs</h2>" not in (page := north.get(voted.headers["location"]).text):
        assert time.monotonic() < deadline + 60 and "failed" not in page, page[-2000:]
        time.sleep(0.2)
    ways = dict(re.findall(r'data-way="([a-z_]+)">.*?numeric">([^<]+)</td>', page, flags=re.S))
    assert ways == {"evidence": "£200.00", "priorities": "£100.00", "priorities_and_vote": "£130.00"}  # the commitment the vote's
    other = upload(north, TINY)
    north.post(f"/scenarios/{other}/solve", data={"csrf": token})
    assert 'data-testid="residents"' not in north.get(f"/scenarios/{other}").text
