"""What an RQ work horse runs: ``RQ_TASK`` and ``RQ_HELPER`` of ``api/jobs/queues.py``.

RQ imports these by name, so they take only the job's id and attempt; the
worker process builds its components once from the environment (shared by
the horses it forks) and hands the job code what it needs.
"""

from __future__ import annotations

from functools import lru_cache

from api.context import Context
from api.jobs import analyses
from api.jobs.runner import run_job
from api.settings import get_settings
from optimizer import logs


@lru_cache(maxsize=1)
def _worker_context() -> Context:
    """One context per worker process, from the environment."""
    return Context.build(get_settings())


def run_queued_job(job_id: str, attempt: int) -> str:
    """The RQ task of an attempt; its log lines carry the queuing request's id (from the job's meta)."""
    from rq import get_current_job

    queued = get_current_job()
    fields = dict(queued.meta.get("log") or {}) if queued is not None else {}
    with logs.bound(**{k: v for k, v in fields.items() if k in logs.BOUND}):
        return run_job(_worker_context().job_deps(), job_id, attempt)


def run_helper(job_id: str, attempt: int) -> str:
    """The RQ task of a helper of an analysis's fan-out."""
    ctx = _worker_context()
    return analyses.run_helper(ctx.db, ctx.queue, ctx.settings, job_id, attempt)
