"""Comparing stored scenarios (GET /v1/scenarios/{id}/compare/{other_id}): at once when small, as a job when large, per tenant."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from service_testing import TINY, add_key, client_for, rq_worker, wait_for

from api.settings import Settings
from optimizer import parse_scenario
from optimizer.analysis.compare import compare


def _revised() -> dict[str, Any]:
    """tiny.json with the council's year 1 budget raised and the CWF share lowered: two changes."""
    data = copy.deepcopy(TINY)
    data["name"] = "tiny, revised"
    data["pools"][0]["budget"] = [70_000, 50_000]
    data["policy"]["community_wealth_fund"]["min_share"] = 0.3
    return data


def _local(a: dict[str, Any], b: dict[str, Any]) -> Any:
    return json.loads(json.dumps(compare(parse_scenario(a), parse_scenario(b))))


def _store(client: Any, headers: dict[str, str], data: dict[str, Any], parent: str | None = None) -> str:
    answer = client.post("/v1/scenarios", json={"scenario": data, "parent_id": parent}, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_compare_on_postgres_redis_and_a_real_worker(prod_settings: Settings, tmp_path: Path) -> None:
    """Small pair at once (200) and as a job (async=true, on an RQ worker): both the core's report; other tenants get 404."""
    board, other = add_key(prod_settings, "board"), add_key(prod_settings, "county-finance")
    log = tmp_path / "worker.log"
    revised = _revised()
    expected = _local(TINY, revised)
    with client_for(prod_settings) as client, rq_worker(prod_settings, log):
        a = _store(client, board, TINY)
        b = _store(client, board, revised, parent=a)
        answer = client.get(f"/v1/scenarios/{a}/compare/{b}", headers=board)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report == expected
        assert report["money"] == "pence" and len(report["attribution"]) == 3  # two changes and the name (a label)
        assert sum(e["value"] for e in report["attribution"]) == report["objective_change"]

        job = client.get(f"/v1/scenarios/{a}/compare/{b}?async=true", headers=board)
        assert job.status_code == 202 and job.json()["kind"] == "compare", job.text
        location = job.headers["location"]

        def ended() -> dict[str, Any] | None:
            j = client.get(location, headers=board).json()
            return j if j["status"] in ("finished", "failed", "cancelled") else None

        done = wait_for(ended, 60, "the comparison job")
        assert done["status"] == "finished", done
        assert client.get(done["result_url"], headers=board).json() == expected

        # another tenant's ids, and unknown ids, are 404 alike; so is the job
        mine = _store(client, other, TINY)
        assert client.get(f"/v1/scenarios/{a}/compare/{b}", headers=other).status_code == 404
        assert client.get(f"/v1/scenarios/{mine}/compare/{b}", headers=other).status_code == 404
        assert client.get(f"/v1/scenarios/{a}/compare/sc_{'0' * 32}", headers=board).status_code == 404
        assert client.get(done["result_url"], headers=other).status_code == 404
        bad = client.get(f"/v1/scenarios/{a}/compare/{b}?orders=0", headers=board)
        assert bad.status_code == 422 and bad.json()["detail"][0] == {
            "loc": "/orders",
            "in": "query",
            "msg": "Input should be greater than or equal to 1",
        }, bad.text
    assert "Traceback" not in log.read_text()


def test_a_large_pair_becomes_a_job_in_embedded_mode(embedded_settings: Settings) -> None:
    """With sync_max_cells 0 every pair is large: 202, then the same report from the job."""
    settings = embedded_settings.model_copy(update={"sync_max_cells": 0})
    board = add_key(settings, "board")
    with client_for(settings) as client:
        a = _store(client, board, TINY)
        b = _store(client, board, _revised(), parent=a)
        job = client.get(f"/v1/scenarios/{a}/compare/{b}", headers=board)
        assert job.status_code == 202, job.text
        done = wait_for(
            lambda: (j := client.get(job.headers["location"], headers=board).json())["status"] in ("finished", "failed") and j,
            60,
            "the comparison job",
        )
        assert done["status"] == "finished", done
        assert client.get(done["result_url"], headers=board).json() == _local(TINY, _revised())
