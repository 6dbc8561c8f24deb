"""Running one attempt of a job: claim it, keep its heartbeat, solve through the cache, store the result.

RQ calls :func:`run_queued_job` in a worker's work horse; the embedded
thread pool calls :func:`run_job` with the API's own context. Failures are
recorded on the job with a reason a user can act on, never raised to the
queue (a raise would only make RQ keep a traceback nobody reads).
"""

from __future__ import annotations

import json
import logging
import threading
from functools import lru_cache

from api import analyses, crud, jobs
from api.context import Context
from api.db import JobRow, ScenarioRow
from api.settings import get_settings
from api.solving import plan, result_status, solve_cached
from optimizer import Scenario, ScenarioError, SolverFailure, SolverUnavailable, parse_scenario
from optimizer.analysis import AnalysisError

log = logging.getLogger(__name__)


class _Heartbeat:
    """Touches the job's ``heartbeat_at`` from a thread while the attempt runs."""

    def __init__(self, ctx: Context, job_id: str, attempt: int):
        self.ctx, self.job_id, self.attempt = ctx, job_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{job_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.ctx.settings.job_heartbeat_seconds):
            try:
                if not jobs.beat(self.ctx, self.job_id, self.attempt):
                    return  # cancelled or reaped: nothing left to prove
            except Exception as exc:  # noqa: BLE001 - a missed beat is survivable; the next may work
                log.warning("heartbeat of job %s failed: %s", self.job_id, exc)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def _run_analysis(ctx: Context, job_id: str, attempt: int, kind: str, scenario: Scenario, options: dict[str, object]) -> str:
    try:
        report = analyses.run(ctx, job_id, attempt, kind, scenario, options)
    except analyses.Cancelled:
        return "discarded"
    except AnalysisError as exc:
        return "failed" if jobs.fail(ctx, job_id, attempt, f"the analysis cannot run on this scenario: {exc}") else "discarded"
    text = json.dumps(report, allow_nan=False, default=_plain)
    return "finished" if jobs.finish_analysis(ctx, job_id, attempt, text) else "discarded"


def _plain(value: object) -> object:
    """numpy scalars and the like in a report, as JSON numbers."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _reason(exc: BaseException, ctx: Context, job_id: str) -> str:
    if type(exc).__name__ == "JobTimeoutException":  # RQ's, raised in the work horse at job_timeout
        return f"stopped: ran past its time limit ({ctx.settings.job_hard_limit:.0f} s)"
    if isinstance(exc, ScenarioError):
        return "the stored scenario is no longer valid under this version of the model: " + "; ".join(map(str, exc.problems))
    if isinstance(exc, SolverUnavailable):
        return f"solver unavailable: {exc}"
    if isinstance(exc, SolverFailure):
        return f"the solver failed: {exc}"
    log.error("job %s failed", job_id, exc_info=exc)
    return f"internal error while running the job (reference {job_id}); the service log has the details"


def run_job(ctx: Context, job_id: str, attempt: int) -> str:
    """Run attempt ``attempt`` of ``job_id``; returns what happened (for logs and tests)."""
    if not jobs.claim(ctx, job_id, attempt):
        return "skipped"  # cancelled, or a lost attempt that was already retried
    with _Heartbeat(ctx, job_id, attempt):
        try:
            with ctx.db.session() as session:
                row = session.get(JobRow, job_id)
                assert row is not None
                stored = session.get(ScenarioRow, row.scenario_id)
                assert stored is not None
                tenant_id, document = row.tenant_id, stored.canonical_json
                kind, options = row.kind, json.loads(row.options_json or "{}")
            scenario = parse_scenario(json.loads(document))
            if kind != "solve":
                return _run_analysis(ctx, job_id, attempt, kind, scenario, options)
            p = plan(scenario, ctx.cache, ctx.settings.job_time_limit)
            jobs.progress(ctx, job_id, attempt, "solving", 0.2)
            text, _outcome = solve_cached(p, ctx.cache, ctx.metrics, mode="job")
            if not jobs.progress(ctx, job_id, attempt, "storing", 0.9):
                return "discarded"  # cancelled or reaped while solving
            with ctx.db.session() as session:
                crud.save_result(session, tenant_id, p.scenario_hash, p.solver_key, text, result_status(text))
            return "finished" if jobs.finish(ctx, job_id, attempt, p.cache_key) else "discarded"
        except Exception as exc:  # noqa: BLE001 - recorded on the job
            return "failed" if jobs.fail(ctx, job_id, attempt, _reason(exc, ctx, job_id)) else "discarded"


@lru_cache(maxsize=1)
def _worker_context() -> Context:
    """One context per worker process, from the environment (shared by the horses it forks)."""
    return Context.build(get_settings())


def run_queued_job(job_id: str, attempt: int) -> str:
    """The RQ task: ``api.runner.run_queued_job``."""
    return run_job(_worker_context(), job_id, attempt)
