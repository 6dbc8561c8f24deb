"""Analyses as jobs: options per kind, and running an analysis's tasks as a group.

``POST /v1/scenarios/{id}/analyses/{kind}`` stores a job of that kind with its
validated options; the job's runner (:func:`run`) plans the analysis
(``optimizer.analysis``), runs its tasks and combines them into the report,
which is kept on the job (``GET /v1/jobs/{id}/result``).

Embedded mode runs the tasks on the job's own thread. On a queue whose workers
share a Redis (``JobQueue.shared``), the tasks are cut into about
:data:`CHUNKS` chunks put on a Redis list; the job asks the queue to fan out
up to :data:`MAX_HELPERS` helpers (``JobQueue.fan_out``; :func:`run_helper`) that take chunks
from the list, and works through the list itself too, so that it finishes
even with a single worker. A chunk taken by a helper that then stops
answering (its claim is refreshed while it runs) is run again by the job.
Progress is finished tasks / total.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.jobs import states as jobs
from api.jobs.queues import JobQueue
from api.settings import Settings
from api.store.db import Database
from optimizer import Scenario

log = logging.getLogger(__name__)

Kind = Literal["split", "frontier", "sensitivity", "montecarlo", "appraisal", "residents"]
#: chunks a many-task analysis is cut into on RQ (fewer RQ round trips than one job per task)
CHUNKS = 20
#: helper RQ jobs at most per analysis
MAX_HELPERS = 8
_KEY_TTL = 86400


class SplitOptions(BaseModel):
    """Fair split (Shapley): one solve per coalition of pools."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class FrontierOptions(BaseModel):
    """CWF frontier: one solve per share of spending kept for deprived areas."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"points": 11}]})

    points: int = Field(11, ge=2, le=101, description="shares swept, from the first to the largest feasible")


class SensitivityOptions(BaseModel):
    """Sensitivity: a bisection per budget and rule."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"cap_fraction": 1.0}]})

    cap_fraction: float = Field(1.0, gt=0, le=10, description="largest increase tested, as a fraction of each amount")


class MonteCarloOptions(BaseModel):
    """Monte Carlo over the effects' low/high ranges, and the robust plan if asked."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"samples": 200, "seed": 7, "robust": True}]})

    samples: int = Field(100, ge=1, le=10_000, description="sampled effect sets")
    seed: int = Field(0, ge=0, le=2**63 - 1, description="same seed, same samples, same report")
    distribution: Literal["triangular", "uniform"] = Field("triangular", description="how an effect is drawn within its range")
    robust: bool = Field(False, description="also solve for the pessimistic (all effects low) plan")


class AppraisalOptions(BaseModel):
    """Appraisal pack: one solve."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class ResidentsOptions(BaseModel):
    """What honouring residents costs: three ways and a frontier of strengths, one solve each (docs/residents.md)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"points": 5, "vote_commitments": 1}]})

    points: int = Field(5, ge=2, le=21, description="strengths of the frontier, from 0 to 1")
    vote_commitments: int = Field(
        0,
        ge=0,
        le=10_000,
        description="how many of the scenario's commitments, counted from the last, came "
        "from the participatory vote (the others are the board's own)",
    )


OPTIONS: dict[str, type[BaseModel]] = {
    "split": SplitOptions,
    "frontier": FrontierOptions,
    "sensitivity": SensitivityOptions,
    "montecarlo": MonteCarloOptions,
    "appraisal": AppraisalOptions,
    "residents": ResidentsOptions,
}


def chunks(n: int, count: int = CHUNKS) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges cutting ``n`` tasks into at most ``count`` chunks."""
    size = max(1, math.ceil(n / count))
    return [(a, min(n, a + size)) for a in range(0, n, size)]


class Cancelled(Exception):
    """The job was cancelled or reaped while its tasks ran."""


def run(
    db: Database, queue: JobQueue, settings: Settings, job_id: str, attempt: int, kind: str, scenario: Scenario, options: dict[str, Any]
) -> dict[str, Any]:
    """The report of analysis ``kind`` on ``scenario``; records progress on the job (raises Cancelled)."""
    if kind == "appraisal":
        from optimizer import appraise

        jobs.set_tasks(db, job_id, attempt, 1)
        return appraise(scenario)
    from optimizer import analysis_module as module

    if kind == "compare":  # GET /v1/scenarios/{id}/compare/{other_id}: the job's scenario is A, B is named in its options
        options = _with_other(db, options)
    mod = module(kind)
    tasks = mod.plan(scenario, **options)
    jobs.set_tasks(db, job_id, attempt, len(tasks))
    if queue.shared is not None and len(tasks) > 1:
        results = _run_shared(db, queue, settings, job_id, attempt, tasks)
    else:
        results = _run_here(db, job_id, attempt, tasks)
    if not jobs.progress(db, job_id, attempt, "combining", 1.0 if not tasks else 0.99):
        raise Cancelled
    return mod.combine(scenario, results)


def _with_other(db: Database, options: dict[str, Any]) -> dict[str, Any]:
    """A comparison's options with scenario B read from the store (its tenant was checked when the job was made)."""
    from api.store.db import ScenarioRow
    from optimizer import parse_scenario

    with db.session() as session:
        row = session.get(ScenarioRow, options["other_id"])
        assert row is not None  # stored scenarios are never deleted
        document = row.canonical_json
    return {**{k: v for k, v in options.items() if k != "other_id"}, "other": parse_scenario(json.loads(document))}


def _fraction(done: int, total: int) -> float:
    return 1.0 if total == 0 else min(0.99, done / total)


def _run_here(db: Database, job_id: str, attempt: int, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from optimizer import run_task

    results = []
    for j, task in enumerate(tasks):
        results.append(run_task(task))
        if not jobs.progress(db, job_id, attempt, "running tasks", _fraction(j + 1, len(tasks))):
            raise Cancelled
    return results


# -- on RQ: a Redis list of chunks, shared by the job and its helpers ---------------------------------------


def _keys(settings: Settings, job_id: str, attempt: int) -> dict[str, str]:
    base = f"{settings.cache_prefix}:analysis:{job_id}-a{attempt}"
    return {name: f"{base}:{name}" for name in ("todo", "chunks", "results", "claims", "done")}


def _take_and_run(settings: Settings, connection: Any, keys: dict[str, str], who: str) -> bool:
    """Take one chunk off the list and run it; False when the list is empty."""
    from optimizer import run_task

    raw = connection.lpop(keys["todo"])
    if raw is None:
        return False
    index = int(raw)
    return _run_chunk(connection, keys, index, run_task, settings.job_heartbeat_seconds, who)


def _run_chunk(connection: Any, keys: dict[str, str], index: int, run_task: Any, beat: float, who: str) -> bool:
    stop = threading.Event()

    def claim_loop() -> None:
        while True:
            connection.hset(keys["claims"], index, f"{time.time()}|{who}")
            if stop.wait(beat):
                return

    claimer = threading.Thread(target=claim_loop, daemon=True, name=f"claim-{index}")
    claimer.start()
    try:
        tasks = json.loads(connection.hget(keys["chunks"], index))
        results = [run_task(t) for t in tasks]
    finally:
        stop.set()
    if connection.hsetnx(keys["results"], index, json.dumps(results)):
        connection.incrby(keys["done"], len(tasks))
    return True


def _run_shared(
    db: Database, queue: JobQueue, settings: Settings, job_id: str, attempt: int, tasks: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    from optimizer import run_task

    connection: Any = queue.shared  # redis-py's replies are typed as a union of sync and async; these calls are sync
    assert connection is not None
    keys = _keys(settings, job_id, attempt)
    ranges = chunks(len(tasks))
    pipe = connection.pipeline()
    pipe.delete(*keys.values())
    pipe.hset(keys["chunks"], mapping={i: json.dumps(tasks[a:b]) for i, (a, b) in enumerate(ranges)})
    pipe.rpush(keys["todo"], *range(len(ranges)))
    pipe.set(keys["done"], 0)
    for key in keys.values():
        pipe.expire(key, _KEY_TTL)
    pipe.execute()
    try:
        queue.fan_out(job_id, attempt, min(len(ranges) - 1, MAX_HELPERS))
        stale = settings.job_stale_seconds
        total = len(tasks)
        while True:
            if not jobs.progress(db, job_id, attempt, "running tasks", _fraction(int(connection.get(keys["done"]) or 0), total)):
                raise Cancelled
            if _take_and_run(settings, connection, keys, "parent"):
                continue
            missing = [i for i in range(len(ranges)) if not connection.hexists(keys["results"], i)]
            if not missing:
                break
            claims = connection.hgetall(keys["claims"])
            for i in missing:
                claim = claims.get(str(i).encode())
                if claim is None or time.time() - float(claim.split(b"|")[0]) > stale:  # its helper stopped answering
                    _run_chunk(connection, keys, i, run_task, settings.job_heartbeat_seconds, "parent")
                    break
            else:
                time.sleep(0.1)
        results: list[dict[str, Any]] = []
        for i in range(len(ranges)):
            results.extend(json.loads(connection.hget(keys["results"], i)))
        return results
    finally:
        connection.delete(keys["todo"])  # helpers still starting find nothing to do


def run_helper(db: Database, queue: JobQueue, settings: Settings, job_id: str, attempt: int) -> str:
    """A helper of a fan-out: take chunks of the job's analysis until none is left (RQ runs it as ``RQ_HELPER``)."""
    connection: Any = queue.shared
    if connection is None:
        return "ran 0 chunk(s)"  # nothing shared: the job runs its tasks itself
    keys = _keys(settings, job_id, attempt)
    ran = 0
    while jobs.is_running(db, job_id, attempt) and _take_and_run(settings, connection, keys, f"helper-{job_id}"):
        ran += 1
    return f"ran {ran} chunk(s)"
