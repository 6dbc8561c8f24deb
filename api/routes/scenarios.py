"""Stored scenarios: create (immutable versions with lineage), list, read, and solve."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import delete

from api import examples
from api.context import Context
from api.contract import Result
from api.deps import ContextDep, SessionDep, TenantDep
from api.edge.errors import ScenarioRefused
from api.edge.idempotency import idempotent
from api.jobs import analyses
from api.jobs import states as jobs
from api.jobs.queues import QueueUnavailable
from api.routes.common import ID_PATTERN, MAX_OFFSET, parse_or_refuse, result_response
from api.schemas import JobOut, ScenarioCreate, ScenarioDetail, ScenarioList, ScenarioOut
from api.solving.cached import plan, result_status, solve_cached
from api.store import crud
from api.store.db import JobRow
from optimizer import Problem, ScenarioError

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])

NOT_FOUND = "no such scenario for this tenant: list yours with GET /v1/scenarios"
ScenarioId = Annotated[str, Path(pattern=ID_PATTERN, description="a stored scenario's id, sc_...")]


def _not_found() -> HTTPException:
    return HTTPException(404, NOT_FOUND)


@router.post(
    "",
    status_code=201,
    summary="Store a scenario version",
    response_model=ScenarioOut,
    responses={201: {"description": "stored; Location says where"}, 404: examples.error(NOT_FOUND), **examples.COMMON},
)
def create_scenario(request: Request, ctx: ContextDep, tenant_id: TenantDep, body: ScenarioCreate) -> Response:
    """Validate and store a scenario. A stored version never changes: to revise it, store a new one with ``parent_id``.

    Problems are located from the request body's root (``/scenario/...``).
    Nothing is stored when the scenario or ``parent_id`` is refused.
    """

    def produce() -> Response:
        scenario = parse_or_refuse(body.scenario, "/scenario", max_cells=ctx.settings.max_cells)
        with ctx.db.session() as session:
            if body.parent_id is not None and crud.get_scenario(session, tenant_id, body.parent_id) is None:
                raise ScenarioRefused(
                    ScenarioError(
                        [
                            Problem(
                                "/parent_id",
                                f"unknown scenario id {body.parent_id!r}: use the id of one of your stored scenarios, or leave it out",
                            )
                        ]
                    )
                )
            row = crud.create_scenario(session, tenant_id, scenario, body.parent_id)
            session.commit()
            out = ScenarioOut.of(row, ctx.settings.sync_max_cells)
        return JSONResponse(out.model_dump(mode="json"), status_code=201, headers={"Location": f"/v1/scenarios/{out.id}"})

    # the request as sent (a plain dict): pydantic's serialiser gives up on deeply nested values
    return idempotent(ctx, request, tenant_id, {"scenario": body.scenario, "parent_id": body.parent_id}, produce)


@router.get("", summary="List your stored scenarios, newest first", response_model=ScenarioList, responses={401: examples.COMMON[401]})
def list_scenarios(
    session: SessionDep,
    tenant_id: TenantDep,
    ctx: ContextDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ScenarioList:
    rows, total = crud.list_scenarios(session, tenant_id, limit, offset)
    return ScenarioList(items=[ScenarioOut.of(r, ctx.settings.sync_max_cells) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/{scenario_id}",
    summary="Read a stored scenario",
    response_model=ScenarioDetail,
    responses={404: examples.error(NOT_FOUND), 401: examples.COMMON[401]},
)
def get_scenario(scenario_id: ScenarioId, session: SessionDep, tenant_id: TenantDep, ctx: ContextDep) -> ScenarioDetail:
    row = crud.get_scenario(session, tenant_id, scenario_id)
    if row is None:
        raise _not_found()
    out = ScenarioOut.of(row, ctx.settings.sync_max_cells)
    return ScenarioDetail(**out.model_dump(), scenario=json.loads(row.canonical_json))


@router.post(
    "/{scenario_id}/solve",
    summary="Solve a stored scenario: at once if small, else as a job",
    response_model=Result,
    responses={
        200: examples.json_example("solved at once (or found in the cache); X-Cache says which", examples.RESULT),
        202: {
            "description": "too large to solve at once, or async=true: a job; poll Location",
            "model": JobOut,
            "content": {"application/json": {"example": JobOut.model_json_schema()["examples"][0] | {"status": "queued"}}},
        },
        404: examples.error(NOT_FOUND),
        503: examples.error("the job queue (Redis) is unavailable: retry later"),
        401: examples.COMMON[401],
    },
)
def solve_scenario(
    scenario_id: ScenarioId,
    request: Request,
    ctx: ContextDep,
    tenant_id: TenantDep,
    session: SessionDep,
    run_async: Annotated[bool, Query(alias="async", description="always answer 202 with a job")] = False,
) -> Response:
    """A scenario whose size (areas x interventions x years, x10 for a MIP) is at most ``sync_max_cells``
    is solved at once (200); a larger one, or any with ``?async=true``, becomes a job (202, ``Location: /v1/jobs/{id}``).
    A large scenario whose result is already cached is answered at once."""
    stored = crud.get_scenario(session, tenant_id, scenario_id)
    if stored is None:
        raise _not_found()
    s = ctx.settings

    def produce() -> Response:
        scenario = parse_or_refuse(json.loads(stored.canonical_json), max_cells=s.max_cells)
        if not run_async:
            small = stored.cells <= s.sync_max_cells
            p = plan(scenario, ctx.cache, s.sync_time_limit if small else s.job_time_limit)
            text = None if small else ctx.cache.peek(p.cache_key)
            if small or text is not None:
                outcome = "hit"
                if text is None:
                    text, outcome = solve_cached(p, ctx.cache, ctx.metrics, mode="sync")
                elif ctx.metrics is not None:
                    ctx.metrics.count_cache("hit")
                crud.keep_result(ctx.db.session, ctx.stored, tenant_id, p.scenario_hash, p.solver_key, text, result_status)
                return result_response(text, outcome, p)
        p = plan(scenario, ctx.cache, s.job_time_limit)
        with ctx.db.session() as db:
            job = jobs.create(db, tenant_id, stored, p)
            db.commit()
            job_id = job.id
        return _enqueued(ctx, job_id)

    return idempotent(ctx, request, tenant_id, None, produce)


_ANALYSIS_JOB = JobOut.model_json_schema()["examples"][0] | {
    "status": "queued",
    "stage": "queued",
    "progress": 0.0,
    "kind": "montecarlo",
    "solver_key": "montecarlo",
    "result_url": None,
    "started_at": None,
    "finished_at": None,
}


@router.post(
    "/{scenario_id}/analyses/{kind}",
    status_code=202,
    summary="Run an analysis of a stored scenario as a job",
    response_model=JobOut,
    responses={
        202: {
            "description": "a job; poll Location, then read the report at its result_url (/v1/jobs/{id}/result)",
            "content": {"application/json": {"example": _ANALYSIS_JOB}},
        },
        404: examples.error(NOT_FOUND),
        503: examples.error("the job queue (Redis) is unavailable: retry later"),
        **examples.COMMON,
    },
)
def run_analysis(
    scenario_id: ScenarioId,
    kind: Annotated[analyses.Kind, Path(description="split, frontier, sensitivity, montecarlo, appraisal or residents")],
    request: Request,
    ctx: ContextDep,
    tenant_id: TenantDep,
    session: SessionDep,
    options: Annotated[
        dict[str, Any] | None,
        Body(
            openapi_examples={
                "montecarlo": {"summary": "montecarlo", "value": {"samples": 200, "seed": 7, "robust": True}},
                "frontier": {"summary": "frontier", "value": {"points": 11}},
                "sensitivity": {"summary": "sensitivity", "value": {"cap_fraction": 1.0}},
                "residents": {"summary": "residents", "value": {"points": 5, "vote_commitments": 1}},
                "split or appraisal": {"summary": "split or appraisal (no options)", "value": {}},
            },
            description="the analysis's options (all optional): frontier `points` 2..101; montecarlo `samples` 1..10000, `seed`, "
            "`distribution` (triangular|uniform), `robust`; sensitivity `cap_fraction`; residents `points` 2..21, "
            "`vote_commitments`",
        ),
    ] = None,
) -> Response:
    """Always a job (202, ``Location: /v1/jobs/{id}``). Its ``progress`` is finished tasks / tasks while it runs; once
    finished, ``result_url`` (``/v1/jobs/{id}/result``) serves the report. On the production queue the tasks are shared
    out among the workers."""
    try:
        checked = analyses.OPTIONS[kind].model_validate(options or {}).model_dump(mode="json")
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]) from None
    stored = crud.get_scenario(session, tenant_id, scenario_id)
    if stored is None:
        raise _not_found()

    def produce() -> Response:
        with ctx.db.session() as db:
            job = jobs.create_analysis(db, tenant_id, stored, kind, checked)
            db.commit()
            job_id = job.id
        return _enqueued(ctx, job_id)

    return idempotent(ctx, request, tenant_id, checked, produce)


def _enqueued(ctx: Context, job_id: str) -> JSONResponse:
    """Queue a job just stored and answer 202 with it; if the queue is down, remove it (nothing stays behind) and answer 503."""
    try:
        jobs.enqueue(ctx.db, ctx.queue, job_id, 1)
    except QueueUnavailable as exc:
        with ctx.db.session() as db:
            db.execute(delete(JobRow).where(JobRow.id == job_id))
            db.commit()
        raise HTTPException(503, f"{exc}. Retry after the Retry-After seconds", headers={"Retry-After": "30"}) from None
    with ctx.db.session() as db:
        row = db.get(JobRow, job_id)
        assert row is not None
        out = JobOut.of(row)
    return JSONResponse(out.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/jobs/{job_id}"})
