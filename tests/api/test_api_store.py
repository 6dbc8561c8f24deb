"""The store on a real PostgreSQL: tenants kept apart, keys, idempotency, immutable scenarios."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from service_testing import ROOT, TINY, add_key, client_for, env_of
from sqlalchemy import func, select

from api.settings import Settings
from api.store.db import ApiKey, Database, JobRow, ScenarioRow


def test_a_tenant_never_reaches_another_tenant_s_things(prod_settings: Settings) -> None:
    board, finance = add_key(prod_settings, "north-board"), add_key(prod_settings, "county-finance")
    with client_for(prod_settings) as client:
        mine = client.post("/v1/scenarios", json={"scenario": TINY}, headers=board).json()
        solved = client.post(f"/v1/scenarios/{mine['id']}/solve", headers=board)
        assert solved.status_code == 200
        job = client.post(f"/v1/scenarios/{mine['id']}/solve?async=true", headers=board).json()  # no worker: stays queued
        digest = mine["scenario_hash"]

        assert client.get(f"/v1/scenarios/{mine['id']}", headers=finance).status_code == 404
        assert client.get("/v1/scenarios", headers=finance).json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
        assert client.post(f"/v1/scenarios/{mine['id']}/solve", headers=finance).status_code == 404
        assert client.post(f"/v1/scenarios/{mine['id']}/solve?async=true", headers=finance).status_code == 404
        assert client.get(f"/v1/jobs/{job['id']}", headers=finance).status_code == 404
        assert client.get("/v1/jobs", headers=finance).json()["items"] == []
        assert client.delete(f"/v1/jobs/{job['id']}", headers=finance).status_code == 404
        # the result is in the shared cache, but it is not this tenant's result
        assert client.get(f"/v1/results/{digest}", headers=finance).status_code == 404
        assert client.get(f"/v1/results/{digest}/allocations.csv", headers=finance).status_code == 404
        # a lineage cannot reach into another tenant's scenarios either
        orphan = client.post("/v1/scenarios", json={"scenario": TINY, "parent_id": mine["id"]}, headers=finance)
        assert orphan.status_code == 422 and orphan.json()["detail"][0]["loc"] == "/parent_id"

        assert client.get(f"/v1/results/{digest}", headers=board).status_code == 200
        assert client.delete(f"/v1/jobs/{job['id']}", headers=board).json()["status"] == "cancelled"
        # the other tenant solving the same scenario gets its own result (from the cache: no new solve)
        theirs = client.post("/v1/solve", json=TINY, headers=finance)
        assert theirs.headers["x-cache"] == "hit"
        assert client.get(f"/v1/results/{digest}", headers=finance).status_code == 200


def test_keys_are_stored_hashed_created_by_the_cli_and_revocable(prod_settings: Settings) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api", "keys", *args], capture_output=True, text=True, cwd=ROOT, env=env_of(prod_settings), timeout=120
        )

    made = cli("create", "--tenant", "west-board", "--label", "treasurer")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().splitlines()[-1]
    assert key.startswith("tp_") and len(key) > 40
    db = Database(prod_settings.database_url)
    with db.session() as session:
        stored = session.scalars(select(ApiKey)).all()
    assert len(stored) == 1 and stored[0].key_hash != key and key not in stored[0].key_hash and len(stored[0].key_hash) == 64
    with client_for(prod_settings) as client:
        assert client.get("/v1/scenarios", headers={"X-API-Key": key}).status_code == 200
        listed = cli("list")
        assert "west-board" in listed.stdout and key not in listed.stdout
        assert cli("revoke", stored[0].id).returncode == 0
        assert client.get("/v1/scenarios", headers={"X-API-Key": key}).status_code == 401
    assert cli("revoke", "nope").returncode == 1
    db.dispose()


def test_idempotency_key_replays_the_first_response_and_creates_nothing_twice(prod_settings: Settings) -> None:
    headers = add_key(prod_settings, "board")
    with client_for(prod_settings) as client:
        once = {**headers, "Idempotency-Key": "create-1"}
        first = client.post("/v1/scenarios", json={"scenario": TINY}, headers=once)
        again = client.post("/v1/scenarios", json={"scenario": TINY}, headers=once)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert again.headers["location"] == first.headers["location"]
        other = client.post("/v1/scenarios", json={"scenario": {**TINY, "name": "other"}}, headers=once)
        assert other.status_code == 422 and "different request" in other.json()["detail"][0]["msg"]
        assert other.json()["detail"][0]["loc"] == "/Idempotency-Key" and other.json()["detail"][0]["in"] == "header"
        # a refused request releases its key: the client can correct the body and retry with it
        bad = client.post("/v1/scenarios", json={"scenario": {**TINY, "horizon_years": 0}}, headers={**headers, "Idempotency-Key": "k2"})
        assert bad.status_code == 422
        good = client.post("/v1/scenarios", json={"scenario": TINY}, headers={**headers, "Idempotency-Key": "k2"})
        assert good.status_code == 201 and "idempotent-replayed" not in good.headers

        # ten concurrent retries of one request: one scenario
        race = {**headers, "Idempotency-Key": "race"}
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda _: client.post("/v1/scenarios", json={"scenario": TINY}, headers=race), range(10)))
        assert {a.status_code for a in answers} <= {201, 409}
        assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1

        job_key = {**headers, "Idempotency-Key": "solve-1"}
        a = client.post(f"/v1/scenarios/{first.json()['id']}/solve?async=true", headers=job_key)
        b = client.post(f"/v1/scenarios/{first.json()['id']}/solve?async=true", headers=job_key)
        assert a.status_code == b.status_code == 202 and a.json()["id"] == b.json()["id"]
        # the same key by another tenant is another key
        theirs = client.post(
            "/v1/scenarios", json={"scenario": TINY}, headers={**add_key(prod_settings, "other"), "Idempotency-Key": "create-1"}
        )
        assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    db = Database(prod_settings.database_url)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ScenarioRow)) == 4  # create-1, k2, race, other tenant
        assert session.scalar(select(func.count()).select_from(JobRow)) == 1
    db.dispose()


def test_stored_scenarios_are_immutable(prod_settings: Settings) -> None:
    headers = add_key(prod_settings, "board")
    with client_for(prod_settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
        assert client.put(f"/v1/scenarios/{stored['id']}", json={"scenario": TINY}, headers=headers).status_code == 405
        assert client.delete(f"/v1/scenarios/{stored['id']}", headers=headers).status_code == 405
    db = Database(prod_settings.database_url)
    with db.session() as session:
        row = session.get(ScenarioRow, stored["id"])
        assert row is not None
        row.name = "changed"
        with pytest.raises(RuntimeError, match="immutable"):
            session.commit()
    db.dispose()
