"""POST /v1/scenarios/{id}/residents/survey: aggregated on arrival into a new version; nothing of a response kept or shown.

The survey is the hand-worked one of tests/test_residents_survey.py (threshold 2): the place's weights
family 58.333333, safety 25, health 16.666667; E01000001 (2 respondents) family 37.5, safety 37.5, health 25;
E01000002 (1 respondent) below the threshold, so shown as "below threshold" and left without priorities.

The privacy test posts a survey whose respondent id and points are distinctive, then looks for them in every
response body, every row of every table of the store, the log the service writes (captured from its own
handler, and by caplog) and, for a real ``totalplace serve`` process, its stderr.
"""

from __future__ import annotations

import copy
import io
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest
from service_testing import TINY, add_key, api_server, client_for
from sqlalchemy import create_engine, inspect, text

from api.settings import Settings
from optimizer import logs

SURVEY_ROWS = [
    {"respondent": "a1", "area": "E01000001", "theme": "family", "points": 3},
    {"respondent": "a1", "area": "E01000001", "theme": "safety", "points": 1},
    {"respondent": "a2", "area": "E01000001", "theme": "safety", "points": 2},
    {"respondent": "a2", "area": "E01000001", "theme": "health", "points": 2},
    {"respondent": "b1", "area": "E01000002", "theme": "family", "points": 10},
]
#: a respondent id and points no scenario, id or weight would contain by chance
SECRET_ID = "resp-Zq7vKx93-Ledbury"
SECRET_POINTS = (4817, 2903)


def themed() -> dict[str, Any]:
    doc = copy.deepcopy(TINY)
    doc["schema_version"] = 2
    for outcome, theme in zip(doc["outcomes"], ("family", "safety", "health"), strict=True):
        outcome["themes"] = [theme]
    return doc


def _store(client: Any, headers: dict[str, str]) -> str:
    created = client.post("/v1/scenarios", json={"scenario": themed()}, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_a_survey_becomes_a_new_version_with_the_weights(embedded_settings: Settings) -> None:
    headers = add_key(embedded_settings, "residents-board")
    with client_for(embedded_settings) as client:
        parent = _store(client, headers)
        answer = client.post(
            f"/v1/scenarios/{parent}/residents/survey", json={"rows": SURVEY_ROWS, "min_respondents": 2, "strength": 0.5}, headers=headers
        )
        assert answer.status_code == 201, answer.text
        body = answer.json()
        new = body["scenario"]
        assert answer.headers["location"] == f"/v1/scenarios/{new['id']}" and new["parent_id"] == parent and new["id"] != parent
        assert body["weights"] == pytest.approx({"family": 58.333333, "safety": 25.0, "health": 16.666667}, abs=1e-6)
        assert body["areas"] == [
            {"area": "E01000001", "respondents": 2, "distance_from_place": pytest.approx(0.208333, abs=1e-6)},
            {"area": "E01000002", "respondents": "below threshold", "distance_from_place": None},
        ]
        assert body["areas_below_threshold"] == 1 and body["respondents_in_areas_shown"] == 2 and body["strength"] == 0.5
        stored = client.get(f"/v1/scenarios/{new['id']}", headers=headers).json()["scenario"]
        assert stored["schema_version"] == 2
        assert stored["policy"]["resident_priorities"] == {"strength": 0.5, "weights": body["weights"]}
        assert stored["areas"][0]["priorities"] == pytest.approx({"family": 37.5, "safety": 37.5, "health": 25.0})
        assert stored["areas"][1].get("priorities") is None
        solved = client.post(f"/v1/scenarios/{new['id']}/solve", headers=headers)
        assert solved.status_code == 200 and "value_by_theme" in solved.json()["summary"]
        # the same survey as CSV text: the same weights
        csv = "respondent,area,theme,points\n" + "".join(f"{r['respondent']},{r['area']},{r['theme']},{r['points']}\n" for r in SURVEY_ROWS)
        again = client.post(f"/v1/scenarios/{parent}/residents/survey", json={"csv": csv, "min_respondents": 2}, headers=headers)
        assert again.status_code == 201 and again.json()["weights"] == body["weights"] and again.json()["strength"] == 0.0
        other = add_key(embedded_settings, "another-board")
        assert client.post(f"/v1/scenarios/{parent}/residents/survey", json={"rows": SURVEY_ROWS}, headers=other).status_code == 404


@pytest.mark.parametrize(
    ("payload", "loc", "words"),
    [
        ({"csv": "respondent,area,theme\na1,E01000001,family\n"}, "/csv column points", "column 'points' is missing"),
        (
            {"csv": "respondent,area,theme,points\na1,E01000001,family,3\na1,E01000001,safety,-1\n"},
            "/csv row 3 column points",
            "is negative",
        ),
        (
            {"rows": [*SURVEY_ROWS, {"respondent": "c1", "area": "E09999999", "theme": "family", "points": 1}]},
            "/rows/5/area",
            "does not list",
        ),
        (
            {"rows": [*SURVEY_ROWS, {"respondent": "c1", "area": "E01000002", "theme": "famly", "points": 1}]},
            "/rows/5/theme",
            "named by no outcome",
        ),
        ({"rows": [*SURVEY_ROWS, {"respondent": "c1", "area": "E01000002", "theme": "family", "points": 0}]}, "/rows/5/points", "all 0"),
        ({"rows": SURVEY_ROWS, "csv": "x"}, "", "either as rows or as csv"),
    ],
)
def test_bad_surveys_get_422_at_their_location(embedded_settings: Settings, payload: dict[str, Any], loc: str, words: str) -> None:
    headers = add_key(embedded_settings, "residents-board")
    with client_for(embedded_settings) as client:
        parent = _store(client, headers)
        answer = client.post(f"/v1/scenarios/{parent}/residents/survey", json={"min_respondents": 1, **payload}, headers=headers)
        assert answer.status_code == 422, answer.text
        detail = answer.json()["detail"]
        assert any(d["loc"] == loc and words in d["msg"] for d in detail), detail
        assert client.get("/v1/scenarios", headers=headers).json()["total"] == 1  # nothing stored


def _secret_survey() -> list[dict[str, Any]]:
    rows = [dict(r) for r in SURVEY_ROWS]
    rows += [
        {"respondent": SECRET_ID, "area": "E01000002", "theme": "health", "points": SECRET_POINTS[0]},
        {"respondent": SECRET_ID, "area": "E01000002", "theme": "safety", "points": SECRET_POINTS[1]},
    ]
    return rows


def _leaks(text_: str) -> list[str]:
    """What of the secret respondent ``text_`` shows: the id, or either of the raw points."""
    return [s for s in (SECRET_ID, *map(str, SECRET_POINTS)) if s in text_]


def _every_row(database_url: str) -> str:
    """Every value of every row of every table of the store, as one text."""
    engine = create_engine(database_url)
    out = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            out += [repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    engine.dispose()
    return "\n".join(out)


def test_no_response_is_stored_returned_or_logged(embedded_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    headers = add_key(embedded_settings, "privacy-board")
    buffer = io.StringIO()
    bodies = []
    caplog.set_level(logging.DEBUG)
    with client_for(embedded_settings) as client:
        logs.configure("debug", buffer)  # the service's own handler, at its most talkative
        parent = _store(client, headers)
        url = f"/v1/scenarios/{parent}/residents/survey"
        ok = client.post(url, json={"rows": _secret_survey(), "min_respondents": 2}, headers={**headers, "Idempotency-Key": "survey-1"})
        replay = client.post(url, json={"rows": _secret_survey(), "min_respondents": 2}, headers={**headers, "Idempotency-Key": "survey-1"})
        assert ok.status_code == 201 and replay.headers.get("idempotent-replayed") == "true", ok.text
        bad_row = {"respondent": SECRET_ID, "area": "E09999999", "theme": "health", "points": SECRET_POINTS[0]}
        bad = client.post(url, json={"rows": [*_secret_survey(), bad_row]}, headers=headers)
        csv = "respondent,area,theme,points\n" + "".join(
            f"{r['respondent']},{r['area']},{r['theme']},{r['points']}\n" for r in _secret_survey()
        )
        bad_csv = client.post(url, json={"csv": csv + f"{SECRET_ID},E01000001,health,-{SECRET_POINTS[1]}\n"}, headers=headers)
        assert bad.status_code == 422 and bad_csv.status_code == 422
        new_id = ok.json()["scenario"]["id"]
        bodies = [
            ok,
            replay,
            bad,
            bad_csv,
            client.get(f"/v1/scenarios/{new_id}", headers=headers),
            client.get("/v1/scenarios", headers=headers),
            client.post(f"/v1/scenarios/{new_id}/solve", headers=headers),
        ]
    for answer in bodies:
        assert _leaks(answer.text) == [], f"{answer.request.method} {answer.request.url.path} shows {_leaks(answer.text)}"
    assert _leaks(_every_row(embedded_settings.database_url)) == [], "the store keeps a response"
    assert _leaks(buffer.getvalue()) == [] and _leaks(caplog.text) == [], "a response was logged"
    assert "/residents/survey" in buffer.getvalue()  # the log was captured: the requests are in it


def test_a_real_service_logs_no_response(embedded_settings: Settings, tmp_path: Path) -> None:
    """The same, against ``totalplace serve`` in a process of its own: its stderr (and stdout) hold no response."""
    settings = embedded_settings.model_copy(update={"log_level": "debug"})
    headers = add_key(settings, "privacy-board")
    log = tmp_path / "serve.log"
    with api_server(settings, log) as (base, _):
        created = httpx.post(f"{base}/v1/scenarios", json={"scenario": themed()}, headers=headers, timeout=30)
        url = f"{base}/v1/scenarios/{created.json()['id']}/residents/survey"
        ok = httpx.post(url, json={"rows": _secret_survey(), "min_respondents": 2}, headers=headers, timeout=30)
        bad = httpx.post(
            url,
            json={"rows": [*_secret_survey(), {"respondent": SECRET_ID, "area": "nowhere", "theme": "x", "points": -1}]},
            headers=headers,
            timeout=30,
        )
        assert ok.status_code == 201 and bad.status_code == 422, (ok.text, bad.text)
        assert _leaks(ok.text) == [] and _leaks(bad.text) == []
    written = log.read_text()
    assert "/residents/survey" in written, written[-2000:]
    assert _leaks(written) == [], "the service's log holds a response"
    assert _leaks(_every_row(settings.database_url)) == []
    assert json.loads(created.text)["id"] in _every_row(settings.database_url)
