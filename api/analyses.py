"""Analyses as jobs: options per kind, and running an analysis's tasks as a group.

``POST /v1/scenarios/{id}/analyses/{kind}`` stores a job of that kind with its
validated options; the job's runner (:func:`run`) plans the analysis
(``optimizer.analysis``), runs its tasks and combines them into the report,
which is kept on the job (``GET /v1/jobs/{id}/result``).

Embedded mode runs the tasks on the job's own thread. With RQ, the tasks are
cut into about :data:`CHUNKS` chunks put on a Redis list; the job enqueues up
to :data:`MAX_HELPERS` helper RQ jobs (:func:`run_helper`) that take chunks
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

from api import jobs
from api.context import Context
from optimizer import Scenario

log = logging.getLogger(__name__)

KINDS = ("split", "frontier", "sensitivity", "montecarlo", "appraisal")
Kind = Literal["split", "frontier", "sensitivity", "montecarlo", "appraisal"]
#: chunks a many-task analysis is cut into on RQ (fewer RQ round trips than one job per task)
CHUNKS = 20
#: helper RQ jobs at most per analysis
MAX_HELPERS = 8
#: what RQ imports to run a helper
RQ_HELPER = "api.analyses.run_helper"
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


OPTIONS: dict[str, type[BaseModel]] = {"split": SplitOptions, "frontier": FrontierOptions, "sensitivity": SensitivityOptions,
                                       "montecarlo": MonteCarloOptions, "appraisal": AppraisalOptions}


def chunks(n: int, count: int = CHUNKS) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges cutting ``n`` tasks into at most ``count`` chunks."""
    size = max(1, math.ceil(n / count))
    return [(a, min(n, a + size)) for a in range(0, n, size)]


class Cancelled(Exception):
    """The job was cancelled or reaped while its tasks ran."""


def run(ctx: Context, job_id: str, attempt: int, kind: str, scenario: Scenario, options: dict[str, Any]) -> dict[str, Any]:
    """The report of analysis ``kind`` on ``scenario``; records progress on the job (raises Cancelled)."""
    if kind == "appraisal":
        from optimizer.analysis.appraisal import appraise

        jobs.set_tasks(ctx, job_id, attempt, 1)
        return appraise(scenario)
    from optimizer.analysis.runner import module

    mod = module(kind)
    tasks = mod.plan(scenario, **options)
    jobs.set_tasks(ctx, job_id, attempt, len(tasks))
    if ctx.queue.kind == "rq" and len(tasks) > 1:
        results = _run_on_rq(ctx, job_id, attempt, tasks)
    else:
        results = _run_here(ctx, job_id, attempt, tasks)
    if not jobs.progress(ctx, job_id, attempt, "combining", 1.0 if not tasks else 0.99):
        raise Cancelled
    return mod.combine(scenario, results)


def _fraction(done: int, total: int) -> float:
    return 1.0 if total == 0 else min(0.99, done / total)


def _run_here(ctx: Context, job_id: str, attempt: int, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from optimizer.analysis.runner import run_task

    results = []
    for j, task in enumerate(tasks):
        results.append(run_task(task))
        if not jobs.progress(ctx, job_id, attempt, "running tasks", _fraction(j + 1, len(tasks))):
            raise Cancelled
    return results


# -- on RQ: a Redis list of chunks, shared by the job and its helpers ---------------------------------------


def _keys(ctx: Context, job_id: str, attempt: int) -> dict[str, str]:
    base = f"{ctx.settings.cache_prefix}:analysis:{job_id}-a{attempt}"
    return {name: f"{base}:{name}" for name in ("todo", "chunks", "results", "claims", "done")}


def _take_and_run(ctx: Context, connection: Any, keys: dict[str, str], who: str) -> bool:
    """Take one chunk off the list and run it; False when the list is empty."""
    from optimizer.analysis.runner import run_task

    raw = connection.lpop(keys["todo"])
    if raw is None:
        return False
    index = int(raw)
    return _run_chunk(connection, keys, index, run_task, ctx.settings.job_heartbeat_seconds, who)


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


def _run_on_rq(ctx: Context, job_id: str, attempt: int, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from optimizer.analysis.runner import run_task

    connection = ctx.queue.connection  # type: ignore[attr-defined]
    keys = _keys(ctx, job_id, attempt)
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
        helpers = min(len(ranges) - 1, MAX_HELPERS)
        for h in range(helpers):
            ctx.queue.queue.enqueue(RQ_HELPER, job_id, attempt, job_id=f"{job_id}-a{attempt}-h{h}",  # type: ignore[attr-defined]
                                    job_timeout=ctx.queue.hard_limit, result_ttl=600, failure_ttl=86400,  # type: ignore[attr-defined]
                                    description=f"totalplace analysis {job_id}, attempt {attempt}, helper {h}")
        stale = ctx.settings.job_stale_seconds
        total = len(tasks)
        while True:
            if not jobs.progress(ctx, job_id, attempt, "running tasks", _fraction(int(connection.get(keys["done"]) or 0), total)):
                raise Cancelled
            if _take_and_run(ctx, connection, keys, "parent"):
                continue
            missing = [i for i in range(len(ranges)) if not connection.hexists(keys["results"], i)]
            if not missing:
                break
            claims = connection.hgetall(keys["claims"])
            for i in missing:
                claim = claims.get(str(i).encode())
                if claim is None or time.time() - float(claim.split(b"|")[0]) > stale:  # its helper stopped answering
                    _run_chunk(connection, keys, i, run_task, ctx.settings.job_heartbeat_seconds, "parent")
                    break
            else:
                time.sleep(0.1)
        results: list[dict[str, Any]] = []
        for i in range(len(ranges)):
            results.extend(json.loads(connection.hget(keys["results"], i)))
        return results
    finally:
        connection.delete(keys["todo"])  # helpers still starting find nothing to do


def run_helper(job_id: str, attempt: int) -> str:
    """The RQ task of a helper: take chunks of the job's analysis until none is left."""
    from api.runner import _worker_context

    ctx = _worker_context()
    connection = ctx.queue.connection  # type: ignore[attr-defined]
    keys = _keys(ctx, job_id, attempt)
    ran = 0
    while jobs.is_running(ctx, job_id, attempt) and _take_and_run(ctx, connection, keys, f"helper-{job_id}"):
        ran += 1
    return f"ran {ran} chunk(s)"
