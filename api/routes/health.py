"""Operator endpoints (no API key): liveness, readiness by component, Prometheus metrics."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ContextDep
from api.schemas import Component, Health, Ready
from api.store import crud
from api.store.db import JobStatus

router = APIRouter(tags=["operations"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="The process is alive", response_model=Health)
def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    summary="Which of database, Redis and workers is up",
    response_model=Ready,
    responses={503: {"description": "the database is down: the service cannot serve"}},
)
def readyz(ctx: ContextDep) -> JSONResponse:
    s = ctx.settings
    try:
        ctx.db.ping()
        database = Component(up=True, detail=ctx.db.engine.dialect.name)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        log.warning("readiness: database down: %s", exc)
        database = Component(up=False, detail=f"{ctx.db.engine.dialect.name} unreachable")
    if s.redis_url is None:
        redis = Component(up=True, detail="not configured: in-process cache and jobs (embedded mode)")
        workers = Component(up=True, detail=f"{ctx.queue.workers()} in-process job thread(s)")
    else:
        up = ctx.cache.ping() and ctx.queue.ping()
        redis = Component(up=up, detail=f"redis cache, rq queue '{s.queue_name}'" if up else "unreachable: solving uncached, jobs refused")
        n = ctx.queue.workers() if up else 0
        workers = Component(up=n > 0, detail=f"{n} worker(s) on queue '{s.queue_name}'" + ("" if n else ": start `totalplace worker`"))
    status: Literal["ready", "degraded", "unavailable"] = (
        "unavailable" if not database.up else ("ready" if redis.up and workers.up else "degraded")
    )
    body = Ready(status=status, mode="production" if s.uses_rq else "embedded", database=database, redis=redis, workers=workers)
    return JSONResponse(body.model_dump(), status_code=503 if status == "unavailable" else 200)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"example": 'totalplace_cache_requests_total{outcome="hit"} 3.0\n'}}}},
)
def metrics(ctx: ContextDep) -> Response:
    m = ctx.metrics
    assert m is not None
    m.queue_depth.set(ctx.queue.depth())
    m.workers.set(ctx.queue.workers())
    try:
        with ctx.db.session() as session:
            counts = crud.job_counts(session)
        for status in JobStatus:
            m.jobs.labels(status.value).set(counts.get(status, 0))
    except Exception as exc:  # noqa: BLE001 - metrics must not fail with the database
        log.warning("metrics: could not count jobs: %s", exc)
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
