"""Running one attempt of a job: claim it, keep its heartbeat, solve through the cache, store the result.

:func:`run_job` is handed what a job needs (:class:`JobDeps`: the database,
the settings, the result cache, the queue for an analysis's fan-out), never
the service's whole context: the embedded thread pool calls it with the API's
own, and RQ's work horse through ``api/jobs/worker.py`` with the worker
process's. Failures are recorded on the job with a reason a user can act on,
never raised to the queue (a raise would only make RQ keep a traceback nobody
reads).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass

from api.jobs import analyses
from api.jobs import states as jobs
from api.jobs.queues import JobQueue
from api.metrics import Metrics
from api.settings import Settings
from api.solving.cache import ResultCache
from api.solving.cached import plan, result_status, solve_cached
from api.store import crud
from api.store.db import Database, JobRow, ScenarioRow
from optimizer import AnalysisError, Scenario, ScenarioError, SolverFailure, SolverUnavailable, logs, parse_scenario

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobDeps:
    """What running a job touches, and nothing more."""

    db: Database
    settings: Settings
    cache: ResultCache
    queue: JobQueue
    metrics: Metrics | None = None


class _Heartbeat:
    """Touches the job's ``heartbeat_at`` from a thread while the attempt runs."""

    def __init__(self, deps: JobDeps, job_id: str, attempt: int):
        self.deps, self.job_id, self.attempt = deps, job_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{job_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.deps.settings.job_heartbeat_seconds):
            try:
                if not jobs.beat(self.deps.db, self.job_id, self.attempt):
                    return  # cancelled or reaped: nothing left to prove
            except Exception as exc:  # noqa: BLE001 - a missed beat is survivable; the next may work
                log.warning("heartbeat of job %s failed: %s", self.job_id, exc)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def _run_analysis(deps: JobDeps, job_id: str, attempt: int, kind: str, scenario: Scenario, options: dict[str, object]) -> str:
    try:
        report = analyses.run(deps.db, deps.queue, deps.settings, job_id, attempt, kind, scenario, options)
    except analyses.Cancelled:
        return "discarded"
    except AnalysisError as exc:
        return "failed" if jobs.fail(deps.db, job_id, attempt, f"the analysis cannot run on this scenario: {exc}") else "discarded"
    text = json.dumps(report, allow_nan=False, default=_plain)
    return "finished" if jobs.finish_analysis(deps.db, job_id, attempt, text) else "discarded"


def _plain(value: object) -> object:
    """numpy scalars and the like in a report, as JSON numbers."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _reason(exc: BaseException, settings: Settings, job_id: str) -> str:
    if type(exc).__name__ == "JobTimeoutException":  # RQ's, raised in the work horse at job_timeout
        return f"stopped: ran past its time limit ({settings.job_hard_limit:.0f} s)"
    if isinstance(exc, ScenarioError):
        return "the stored scenario is no longer valid under this version of the model: " + "; ".join(map(str, exc.problems))
    if isinstance(exc, SolverUnavailable):
        return f"solver unavailable: {exc}"
    if isinstance(exc, SolverFailure):
        return f"the solver failed: {exc}"
    log.error("job %s failed", job_id, exc_info=exc)
    return f"internal error while running the job (reference {job_id}); the service log has the details"


def run_job(deps: JobDeps, job_id: str, attempt: int) -> str:
    """Run attempt ``attempt`` of ``job_id``; returns what happened (for logs and tests)."""
    logs.bind(job_id=job_id)
    log.info("job %s attempt %d starts", job_id, attempt)
    if not jobs.claim(deps.db, job_id, attempt):
        return "skipped"  # cancelled, or a lost attempt that was already retried
    with _Heartbeat(deps, job_id, attempt):
        try:
            with deps.db.session() as session:
                row = session.get(JobRow, job_id)
                assert row is not None
                stored = session.get(ScenarioRow, row.scenario_id)
                assert stored is not None
                tenant_id, document = row.tenant_id, stored.canonical_json
                kind, options = row.kind, json.loads(row.options_json or "{}")
            scenario = parse_scenario(json.loads(document))
            if kind != "solve":
                return _run_analysis(deps, job_id, attempt, kind, scenario, options)
            p = plan(scenario, deps.cache, deps.settings.job_time_limit)
            jobs.progress(deps.db, job_id, attempt, "solving", 0.2)
            text, _outcome = solve_cached(p, deps.cache, deps.metrics, mode="job")
            if not jobs.progress(deps.db, job_id, attempt, "storing", 0.9):
                return "discarded"  # cancelled or reaped while solving
            with deps.db.session() as session:
                crud.save_result(session, tenant_id, p.scenario_hash, p.solver_key, text, result_status(text))
            return "finished" if jobs.finish(deps.db, job_id, attempt, p.cache_key) else "discarded"
        except Exception as exc:  # noqa: BLE001 - recorded on the job
            return "failed" if jobs.fail(deps.db, job_id, attempt, _reason(exc, deps.settings, job_id)) else "discarded"
