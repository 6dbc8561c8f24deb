"""Jobs: their life in the database, and the reaper that keeps none "running" forever.

    queued --claim--> running --finish--> finished
       |                 |----fail-----> failed     (solver error, time limit, worker lost on its last attempt)
       |                 |----lost-----> queued     (worker lost: retried as attempt k+1)
       +-----cancel------+-------------> cancelled

Every change is one conditional ``UPDATE ... WHERE status = ... AND attempts = k``,
so a runner, a canceller and any number of reapers (one per API process) can
race without a lock: exactly one of them wins each change, and a late runner
of a lost attempt can no longer write.

A running job proves it is alive by touching ``heartbeat_at`` every
``job_heartbeat_seconds``. The reaper (at API start-up, every
``reaper_interval_seconds``, and on ``GET /v1/jobs/{id}``) retries or fails
jobs silent for ``job_stale_seconds``, stops jobs past their time limit, and
re-queues queued jobs that the queue has lost.

These functions take what they touch (the database; the queue and the
settings where a job is queued or reaped), never the service's whole context.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from api.jobs.queues import JobQueue
from api.settings import Settings
from api.solving.cached import SolvePlan
from api.store.db import Database, JobRow, JobStatus, ScenarioRow, new_id, utcnow

__all__ = [
    "JobStatus",
    "beat",
    "cancel",
    "claim",
    "create",
    "create_analysis",
    "enqueue",
    "fail",
    "finish",
    "finish_analysis",
    "is_running",
    "progress",
    "reap",
    "set_tasks",
]

QUEUED, RUNNING, FINISHED, FAILED, CANCELLED = (
    JobStatus.QUEUED,
    JobStatus.RUNNING,
    JobStatus.FINISHED,
    JobStatus.FAILED,
    JobStatus.CANCELLED,
)

log = logging.getLogger(__name__)

#: A queued job younger than this is not checked against the queue (it may be between INSERT and enqueue).
QUEUE_GRACE_SECONDS = 10.0


def create(session: Session, tenant_id: str, scenario: ScenarioRow, plan: SolvePlan) -> JobRow:
    row = JobRow(
        id=new_id("job"),
        tenant_id=tenant_id,
        scenario_id=scenario.id,
        scenario_hash=plan.scenario_hash,
        solver_key=plan.solver_key,
        status=QUEUED,
        stage="queued",
        progress=0.0,
        attempts=1,
        result_key=None,
    )
    session.add(row)
    session.flush()
    return row


def create_analysis(session: Session, tenant_id: str, scenario: ScenarioRow, kind: str, options: dict[str, Any]) -> JobRow:
    """A job running analysis ``kind`` (options validated) on a stored scenario; its report is kept on the row."""
    import json

    row = JobRow(
        id=new_id("job"),
        tenant_id=tenant_id,
        scenario_id=scenario.id,
        scenario_hash=scenario.scenario_hash,
        solver_key=kind,
        kind=kind,
        options_json=json.dumps(options, sort_keys=True),
        status=QUEUED,
        stage="queued",
        progress=0.0,
        attempts=1,
        result_key=None,
    )
    session.add(row)
    session.flush()
    return row


def set_tasks(db: Database, job_id: str, attempt: int, total: int) -> bool:
    return _change(
        db,
        job_id,
        [JobRow.status == RUNNING, JobRow.attempts == attempt],
        tasks_total=total,
        stage="running tasks",
        progress=0.0,
        heartbeat_at=utcnow(),
    )


def finish_analysis(db: Database, job_id: str, attempt: int, report: str) -> bool:
    return _change(
        db,
        job_id,
        [JobRow.status == RUNNING, JobRow.attempts == attempt],
        status=FINISHED,
        stage="finished",
        progress=1.0,
        report_json=report,
        result_key=f"job:{job_id}",
        finished_at=utcnow(),
        error=None,
    )


def _change(db: Database, job_id: str, when: list[Any], **values: object) -> bool:
    with db.session() as session:
        done = cast(CursorResult[Any], session.execute(update(JobRow).where(JobRow.id == job_id, *when).values(**values))).rowcount
        session.commit()
    return bool(done)


def claim(db: Database, job_id: str, attempt: int) -> bool:
    now = utcnow()
    return _change(
        db,
        job_id,
        [JobRow.status == QUEUED, JobRow.attempts == attempt],
        status=RUNNING,
        stage="loading",
        progress=0.05,
        started_at=now,
        heartbeat_at=now,
    )


def beat(db: Database, job_id: str, attempt: int) -> bool:
    return _change(db, job_id, [JobRow.status == RUNNING, JobRow.attempts == attempt], heartbeat_at=utcnow())


def progress(db: Database, job_id: str, attempt: int, stage: str, fraction: float) -> bool:
    return _change(
        db, job_id, [JobRow.status == RUNNING, JobRow.attempts == attempt], stage=stage, progress=fraction, heartbeat_at=utcnow()
    )


def finish(db: Database, job_id: str, attempt: int, result_key: str) -> bool:
    return _change(
        db,
        job_id,
        [JobRow.status == RUNNING, JobRow.attempts == attempt],
        status=FINISHED,
        stage="finished",
        progress=1.0,
        result_key=result_key,
        finished_at=utcnow(),
        error=None,
    )


def fail(db: Database, job_id: str, attempt: int, reason: str, *, statuses: tuple[str, ...] = (RUNNING,)) -> bool:
    return _change(
        db,
        job_id,
        [JobRow.status.in_(statuses), JobRow.attempts == attempt],
        status=FAILED,
        stage="failed",
        error=reason,
        finished_at=utcnow(),
    )


def is_running(db: Database, job_id: str, attempt: int) -> bool:
    with db.session() as session:
        row = session.get(JobRow, job_id)
        return row is not None and row.status == RUNNING and row.attempts == attempt


def cancel(db: Database, queue: JobQueue, row: JobRow) -> bool:
    """Cancel a queued or running job; False when it had already ended."""
    was = row.status
    if not _change(
        db,
        row.id,
        [JobRow.status.in_((QUEUED, RUNNING)), JobRow.attempts == row.attempts],
        status=CANCELLED,
        stage="cancelled",
        finished_at=utcnow(),
        error="cancelled at the client's request",
    ):
        return False
    queue.cancel(row.rq_job_id, running=(was == RUNNING))
    return True


def enqueue(db: Database, queue: JobQueue, job_id: str, attempt: int) -> None:
    """Put an attempt on the queue and remember its queue id (raises QueueUnavailable)."""
    queue_id = queue.submit(job_id, attempt)
    _change(db, job_id, [JobRow.attempts == attempt], rq_job_id=queue_id)


# -- the reaper ------------------------------------------------------------------------


def _retry_or_fail(db: Database, queue: JobQueue, settings: Settings, row: JobRow, why: str) -> str:
    limit = settings.job_max_attempts
    if row.attempts < limit:
        moved = _change(
            db,
            row.id,
            [JobRow.status == row.status, JobRow.attempts == row.attempts],
            status=QUEUED,
            stage="queued",
            progress=0.0,
            attempts=row.attempts + 1,
            queued_at=utcnow(),
            started_at=None,
            heartbeat_at=None,
            error=f"attempt {row.attempts} of {limit} was lost: {why}; retried",
        )
        if moved:
            try:
                enqueue(db, queue, row.id, row.attempts + 1)
            except Exception as exc:  # noqa: BLE001 - the queue is down: a later pass sees the queued job again
                log.warning("could not re-queue job %s: %s", row.id, exc)
            return "retried"
        return "raced"
    reason = f"{why}; gave up after {limit} attempt(s). Submit the solve again, or ask an operator to check the workers"
    return "failed" if fail(db, row.id, row.attempts, reason, statuses=(row.status,)) else "raced"


def reap(db: Database, queue: JobQueue, settings: Settings, job_id: str | None = None, *, startup: bool = False) -> dict[str, str]:
    """Look at jobs that may be lost or overdue (all, or one); returns what was done to each."""
    s = settings
    now = utcnow()
    stale = now - timedelta(seconds=s.job_stale_seconds)
    overdue = now - timedelta(seconds=s.job_hard_limit)
    embedded_restart = startup and not s.uses_rq  # the threads of the previous process are gone
    conditions = [JobRow.status == RUNNING]
    if s.uses_rq or embedded_restart:
        conditions.append(JobRow.status == QUEUED)
    query = select(JobRow).where(or_(*conditions))
    if job_id is not None:
        query = query.where(JobRow.id == job_id)
    with db.session() as session:
        rows = list(session.scalars(query))
    done: dict[str, str] = {}
    for row in rows:
        outcome = _look_at(db, queue, settings, row, now, stale, overdue, embedded_restart)
        if outcome:
            done[row.id] = outcome
            log.warning("job %s (attempt %d, was %s): %s", row.id, row.attempts, row.status, outcome)
    return done


def _look_at(
    db: Database,
    queue: JobQueue,
    settings: Settings,
    row: JobRow,
    now: datetime,
    stale: datetime,
    overdue: datetime,
    embedded_restart: bool,
) -> str | None:
    s = settings
    if row.status == RUNNING:
        if row.started_at is not None and row.started_at < overdue:
            queue.cancel(row.rq_job_id, running=True)
            reason = (
                f"stopped: ran past its time limit ({s.job_time_limit:.0f} s for the solver plus {s.job_grace_seconds:.0f} s grace). "
                "Raise solver.time_limit only if the service's job_time_limit allows it, or make the scenario smaller"
            )
            return "failed (time limit)" if fail(db, row.id, row.attempts, reason) else None
        if embedded_restart or row.heartbeat_at is None or row.heartbeat_at < stale:
            return _retry_or_fail(db, queue, settings, row, "the worker running it stopped before finishing (killed, crashed or restarted)")
        return None
    # queued
    if embedded_restart:
        try:
            enqueue(db, queue, row.id, row.attempts)
            return "resubmitted after restart"
        except Exception as exc:  # noqa: BLE001 - logged; the next start-up tries again
            log.warning("could not resubmit job %s: %s", row.id, exc)
            return None
    if row.queued_at > now - timedelta(seconds=QUEUE_GRACE_SECONDS):
        return None
    why = queue.lost(row.rq_job_id)
    if why is None:
        return None
    return _retry_or_fail(db, queue, settings, row, f"the queue lost it: {why}")
