"""Analyses as jobs (POST /v1/scenarios/{id}/analyses/{kind}): the same report as the core's, progress, isolation, options."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import redis
from rq.job import Job
from service_testing import TINY, add_key, client_for, rq_worker, wait_for

from api.jobs.analyses import chunks
from api.settings import Settings
from optimizer import parse_scenario
from optimizer.analysis import run_analysis


def _uncertain() -> dict[str, Any]:
    """tiny.json with a low/high range on every effect (what Monte Carlo samples)."""
    data = copy.deepcopy(TINY)
    data["name"] = "tiny, uncertain effects"
    for intervention in data["interventions"]:
        for effect in intervention["effects"]:
            effect["low"], effect["high"] = effect["per_participant"] * 0.5, effect["per_participant"] * 1.5
    return data


def _local(kind: str, data: dict[str, Any], **options: Any) -> Any:
    return json.loads(json.dumps(run_analysis(kind, parse_scenario(data), **options)))


def _run(
    client: Any, headers: dict[str, str], data: dict[str, Any], kind: str, options: dict[str, Any], timeout: float = 60
) -> tuple[dict[str, Any], list[float]]:
    """Store, post the analysis, poll the job to its end; the job and the progress values seen."""
    stored = client.post("/v1/scenarios", json={"scenario": data}, headers=headers)
    assert stored.status_code == 201, stored.text
    answer = client.post(f"/v1/scenarios/{stored.json()['id']}/analyses/{kind}", json=options, headers=headers)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert answer.headers["location"] == f"/v1/jobs/{job['id']}" and job["kind"] == kind and job["result_url"] is None
    seen: list[float] = []

    def ended() -> dict[str, Any] | None:
        j = client.get(f"/v1/jobs/{job['id']}", headers=headers).json()
        if j["tasks"] is not None:  # planned: progress is finished tasks / tasks from here on
            seen.append(j["progress"])
        return j if j["status"] in ("finished", "failed", "cancelled") else None

    return wait_for(ended, timeout, f"analysis job {job['id']}", interval=0.02), seen


def _check_progress(done: dict[str, Any], seen: list[float], tasks: int) -> None:
    assert done["status"] == "finished" and done["progress"] == 1.0 and done["tasks"] == tasks, done
    assert seen == sorted(seen) and all(0 <= p <= 1 for p in seen)  # progress never goes back
    assert tasks in (1, 2) or any(0 < p < 1 for p in seen) or seen[-1] == 1.0


def test_montecarlo_and_split_on_real_workers_match_the_core(prod_settings: Settings, tmp_path: Path) -> None:
    headers = add_key(prod_settings, "board")
    data = _uncertain()
    log = tmp_path / "worker.log"
    with client_for(prod_settings) as client, rq_worker(prod_settings, log), rq_worker(prod_settings, log):
        done, seen = _run(client, headers, data, "montecarlo", {"samples": 40, "seed": 11})
        _check_progress(done, seen, 41)  # the nominal solve and 40 samples (one per task at this size)
        assert done["result_url"] == f"/v1/jobs/{done['id']}/result"
        report = client.get(done["result_url"], headers=headers)
        assert report.status_code == 200 and report.json() == _local("montecarlo", data, samples=40, seed=11)
        # the job shared its chunks out: helper RQ jobs were queued beside it, and end once nothing is left
        connection = redis.Redis.from_url(prod_settings.redis_url or "")
        helper = wait_for(
            lambda: (h := Job.fetch(f"{done['id']}-a1-h0", connection=connection)).get_status().value == "finished" and h,
            30,
            "the first helper to end",
        )
        print("helper 0:", helper.return_value())

        done, seen = _run(client, headers, TINY, "split", {})
        _check_progress(done, seen, 3)  # 2 pools: one solve per non-empty coalition
        assert client.get(done["result_url"], headers=headers).json() == _local("split", TINY)

        other = add_key(prod_settings, "county-finance")
        assert client.get(f"/v1/jobs/{done['id']}", headers=other).status_code == 404
        assert client.get(done["result_url"], headers=other).status_code == 404
    assert "Traceback" not in log.read_text()


def test_analyses_in_embedded_mode(embedded_settings: Settings) -> None:
    headers = add_key(embedded_settings, "board")
    data = _uncertain()
    with client_for(embedded_settings) as client:
        done, seen = _run(client, headers, data, "montecarlo", {"samples": 40, "seed": 5, "robust": True})
        _check_progress(done, seen, 42)
        assert client.get(done["result_url"], headers=headers).json() == _local("montecarlo", data, samples=40, seed=5, robust=True)

        done, _ = _run(client, headers, TINY, "split", {})
        assert client.get(done["result_url"], headers=headers).json() == _local("split", TINY)

        done, _ = _run(client, headers, TINY, "frontier", {"points": 3})
        assert client.get(done["result_url"], headers=headers).json() == _local("frontier", TINY, points=3)

        done, _ = _run(client, headers, TINY, "appraisal", {})
        assert done["status"] == "finished" and done["tasks"] == 1
        assert client.get(done["result_url"], headers=headers).status_code == 200

        place = json.loads((Path(__file__).parents[1] / "data" / "residents_place.json").read_text())  # tests/test_residents_report.py
        done, _ = _run(client, headers, place, "residents", {"vote_commitments": 1})
        assert done["status"] == "finished" and done["tasks"] == 6, done  # three ways and five strengths, 6 distinct scenarios
        got = client.get(done["result_url"], headers=headers).json()
        assert got == _local("residents", place, vote_commitments=1)
        assert [round(w["evidence_value"], 6) for w in got["ways"]] == [200, 100, 130]  # worked by hand there
        done, _ = _run(client, headers, TINY, "residents", {})
        assert done["status"] == "failed" and "no residents' priorities" in done["error"], done  # said, not a stack trace

        # a solve job's result lives elsewhere; an unknown job is 404
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
        solve = client.post(f"/v1/scenarios/{stored['id']}/solve?async=true", headers=headers).json()
        assert client.get(f"/v1/jobs/{solve['id']}/result", headers=headers).status_code == 409
        assert client.get(f"/v1/jobs/job_{'0' * 32}/result", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("kind", "options", "loc"),
    [
        ("frontier", {"points": 1}, "/points"),
        ("frontier", {"points": 102}, "/points"),
        ("montecarlo", {"samples": 0}, "/samples"),
        ("montecarlo", {"samples": 10_001}, "/samples"),
        ("montecarlo", {"seed": -1}, "/seed"),
        ("montecarlo", {"robust": "maybe"}, "/robust"),
        ("montecarlo", {"sample": 10}, "/sample"),
        ("split", {"points": 3}, "/points"),
        ("sensitivity", {"cap_fraction": 0}, "/cap_fraction"),
        ("residents", {"points": 1}, "/points"),
        ("residents", {"vote_commitments": -1}, "/vote_commitments"),
    ],
)
def test_bad_options_are_refused_with_a_location(embedded_settings: Settings, kind: str, options: dict[str, Any], loc: str) -> None:
    headers = add_key(embedded_settings, "board")
    with client_for(embedded_settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
        answer = client.post(f"/v1/scenarios/{stored['id']}/analyses/{kind}", json=options, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["detail"][0]["loc"] == loc, answer.text
        assert client.get("/v1/jobs", headers=headers).json()["items"] == []  # nothing was queued
        unknown = client.post(f"/v1/scenarios/{stored['id']}/analyses/bootstrap", json={}, headers=headers)
        assert unknown.status_code == 422 and unknown.json()["detail"][0]["in"] == "path", unknown.text


def test_another_tenant_cannot_run_an_analysis_of_my_scenario(embedded_settings: Settings) -> None:
    board, finance = add_key(embedded_settings, "board"), add_key(embedded_settings, "finance")
    with client_for(embedded_settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=board).json()
        answer = client.post(f"/v1/scenarios/{stored['id']}/analyses/split", json={}, headers=finance)
        assert answer.status_code == 404
        assert client.get("/v1/jobs", headers=finance).json()["items"] == []
        assert client.get("/v1/jobs", headers=board).json()["items"] == []


def test_idempotency_key_gives_one_job(embedded_settings: Settings) -> None:
    headers = add_key(embedded_settings, "board")
    with client_for(embedded_settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
        url = f"/v1/scenarios/{stored['id']}/analyses/frontier"
        first = client.post(url, json={"points": 3}, headers={**headers, "Idempotency-Key": "k1"})
        again = client.post(url, json={"points": 3}, headers={**headers, "Idempotency-Key": "k1"})
        assert first.status_code == again.status_code == 202 and first.json()["id"] == again.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"
        other = client.post(url, json={"points": 4}, headers={**headers, "Idempotency-Key": "k1"})
        assert other.status_code == 422


def test_tasks_are_cut_into_at_most_twenty_chunks() -> None:
    for n in (1, 2, 19, 20, 21, 41, 1000, 10_001):
        ranges = chunks(n)
        assert len(ranges) <= 20 and ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
