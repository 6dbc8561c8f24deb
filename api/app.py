"""The FastAPI application: ``create_app(settings)`` wires the components, routers and handlers.

At start-up it upgrades the schema to the newest revision (``api/store/migrations``;
``TOTALPLACE_CREATE_TABLES``), then reaps jobs left behind by a
previous run (in embedded mode, re-submits the queued ones, whose threads
died with the old process) and keeps reaping every
``reaper_interval_seconds`` while it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from api import docs_ui, openapi
from api.context import Context
from api.deps import known_query_only
from api.edge import errors
from api.edge.fastpath import CacheHitFastPath
from api.edge.middleware import BodyLimit, RequestContext
from api.jobs import states as jobs
from api.metrics import Metrics
from api.routes import compare, guide, health, residents, results, scenarios, solve
from api.routes import jobs as job_routes
from api.settings import Settings, get_settings
from api.store import crud
from api.web import install as install_pages
from optimizer import logs

log = logging.getLogger("api")

DESCRIPTION = """\
**totalplace** decides how much of which prevention intervention to fund, in which neighbourhood, in which year,
paid from which pool, so that a partnership gets the most value for the money it pools.
The model, its programme and every field of a scenario: [the model](/guide/model.md);
every field of a result: [the result format](/guide/result-format.md); the service: [the API guide](/guide/api.md).

Every `/v1` endpoint needs your tenant's key in `X-API-Key`. POSTs honour `Idempotency-Key`.
Invalid scenarios get 422 with every problem located by a JSON pointer. Results are cached by
scenario hash and solver options (`X-Cache: hit|miss`).
"""


async def _reap_forever(ctx: Context) -> None:
    rounds = 0
    while True:
        await asyncio.sleep(ctx.settings.reaper_interval_seconds)
        try:
            await run_in_threadpool(jobs.reap, ctx.db, ctx.queue, ctx.settings)
            rounds += 1
            if rounds % 240 == 0:  # now and then, forget old idempotency keys
                with ctx.db.session() as session:
                    await run_in_threadpool(crud.forget_old_idempotency_records, session, ctx.settings.idempotency_ttl_seconds)
        except Exception as exc:  # noqa: BLE001 - the reaper must outlive a database hiccup
            log.warning("reaper pass failed: %s", exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    """An app on ``settings`` (default: from the environment)."""
    settings = settings or get_settings()
    logs.configure(settings.log_level)  # JSON lines (optimizer/logs.py), the configured level on the service's own loggers
    metrics = Metrics()
    ctx = Context.build(settings, metrics=metrics)
    ctx.listen_for_revocations()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.create_tables:
            await run_in_threadpool(ctx.db.upgrade_schema)
        try:
            await run_in_threadpool(jobs.reap, ctx.db, ctx.queue, ctx.settings, startup=True)
        except Exception as exc:  # noqa: BLE001 - start anyway; the periodic pass retries
            log.warning("start-up reaper pass failed: %s", exc)
        reaper = asyncio.create_task(_reap_forever(ctx))
        try:
            yield
        finally:
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
            fast = getattr(app.state, "fast_path", None)
            if fast is not None:
                await fast.close()
            ctx.close()

    app = FastAPI(
        title="totalplace",
        version="1",
        summary="Pooled-budget (Total Place) allocation optimiser",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc with their assets served here (api/docs_ui.py), not from a CDN
        redoc_url=None,
        openapi_tags=[
            {"name": "solve", "description": "solve a scenario sent inline"},
            {"name": "scenarios", "description": "stored, immutable scenario versions with lineage"},
            {"name": "jobs", "description": "long solves in the background"},
            {"name": "results", "description": "results by scenario hash, JSON or CSV"},
            {"name": "operations", "description": "health, readiness and metrics (no key)"},
        ],
    )
    app.state.ctx = ctx
    app.state.settings = settings
    errors.install(app)
    for router in (
        solve.router,
        scenarios.router,
        residents.router,
        compare.router,
        job_routes.router,
        results.router,
        health.router,
        guide.router,
    ):
        app.include_router(router, dependencies=[Depends(known_query_only)])
    openapi.install(app)
    docs_ui.install(app)
    install_pages(app)  # the boards' page: /, /scenarios/..., /static
    if settings.redis_url and ctx.keys is not None:  # innermost: CORS, request ids, metrics and the body limit wrap it
        app.add_middleware(CacheHitFastPath, ctx=ctx, api=app)
    if settings.cors_origins:  # closed unless configured: browsers on other sites may not call the service
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["X-API-Key", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=["X-Cache", "X-Scenario-Hash", "X-Request-ID", "Location", "Content-Location", "Retry-After"],
            max_age=600,
        )
    # added last = outermost: the size limit acts before anything reads the body
    app.add_middleware(RequestContext, metrics=metrics)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
