"""The boards' pages without a browser: the guard every scenario page shares.

The service in-process (``TestClient``) on embedded defaults; the browser
journey itself is in ``tests/browser``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

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
    response = client.post("/scenarios/new", data={"csrf": token}, files={"scenario_file": (path.name, path.read_bytes())},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    found = SCENARIO.match(response.headers["location"])
    assert found is not None
    return found.group(1)


GETS = ("", "/map.json", "/result.json", "/allocations.csv")
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
