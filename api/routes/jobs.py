"""Jobs: read their state (and where their result is), list them, cancel them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import Field, RootModel

from api import examples
from api.contract import AppraisalReport, FrontierReport, MonteCarloReport, ResidentsReport, SensitivityReport, SplitReport
from api.deps import ContextDep, SessionDep, TenantDep
from api.jobs import states as jobs
from api.routes.common import ID_PATTERN, MAX_OFFSET
from api.routes.compare import CompareReport
from api.schemas import JobList, JobOut
from api.store import crud
from api.store.db import JOB_DONE, JobStatus


class AnalysisReport(
    RootModel[
        Annotated[
            SplitReport | FrontierReport | SensitivityReport | MonteCarloReport | AppraisalReport | ResidentsReport | CompareReport,
            Field(discriminator="analysis"),
        ]
    ]
):
    """An analysis job's report (docs/analyses.md), told apart by ``analysis``."""


router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

NOT_FOUND = "no such job for this tenant: list yours with GET /v1/jobs"
JobId = Annotated[str, Path(pattern=ID_PATTERN, description="a job's id, job_...")]
_JOB = JobOut.model_json_schema()["examples"][0]


@router.get("", summary="List your jobs, newest first", response_model=JobList, responses={401: examples.COMMON[401]})
def list_jobs(
    session: SessionDep,
    tenant_id: TenantDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobList:
    return JobList(items=[JobOut.of(r) for r in crud.list_jobs(session, tenant_id, limit, offset)], limit=limit, offset=offset)


@router.get(
    "/{job_id}",
    summary="A job's status, progress and result location",
    response_model=JobOut,
    responses={200: examples.json_example("the job", _JOB), 404: examples.error(NOT_FOUND), 401: examples.COMMON[401]},
)
def get_job(job_id: JobId, ctx: ContextDep, session: SessionDep, tenant_id: TenantDep) -> JobOut:
    """``result_url`` is set once the job has finished. A job whose worker died is retried or failed here, with the reason."""
    if crud.get_job(session, tenant_id, job_id) is None:
        raise HTTPException(404, NOT_FOUND)
    jobs.reap(ctx.db, ctx.queue, ctx.settings, job_id)
    session.expire_all()
    row = crud.get_job(session, tenant_id, job_id)
    assert row is not None
    return JobOut.of(row)


@router.delete(
    "/{job_id}",
    summary="Cancel a queued or running job",
    response_model=JobOut,
    responses={
        200: examples.json_example("cancelled", _JOB | {"status": "cancelled", "stage": "cancelled"}),
        404: examples.error(NOT_FOUND),
        409: examples.error("job already finished: nothing to cancel"),
        401: examples.COMMON[401],
    },
)
def cancel_job(job_id: JobId, ctx: ContextDep, session: SessionDep, tenant_id: TenantDep) -> JobOut:
    """A queued job is taken off the queue; a running one is stopped (RQ) or its result discarded (embedded mode)."""
    row = crud.get_job(session, tenant_id, job_id)
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    if row.status in JOB_DONE or not jobs.cancel(ctx.db, ctx.queue, row):
        session.expire_all()
        row = crud.get_job(session, tenant_id, job_id)
        assert row is not None
        raise HTTPException(409, f"job already {row.status}: nothing to cancel")
    session.expire_all()
    row = crud.get_job(session, tenant_id, job_id)
    assert row is not None
    return JobOut.of(row)


@router.get(
    "/{job_id}/result",
    summary="An analysis job's report",
    response_model=AnalysisReport,
    responses={
        200: {
            "description": "the analysis's report (as optimizer.analysis gives it)",
            "content": {"application/json": {"example": {"kind": "montecarlo", "samples": 200, "messages": ["..."]}}},
        },
        404: examples.error(NOT_FOUND),
        409: examples.error("job is running: no report yet; poll GET /v1/jobs/{id}"),
        401: examples.COMMON[401],
    },
)
def get_job_result(job_id: JobId, session: SessionDep, tenant_id: TenantDep) -> Response:
    """The report of a finished analysis job. A solve job's result is at its ``result_url`` (``/v1/results/...``)."""
    row = crud.get_job(session, tenant_id, job_id)
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    if row.kind == "solve":
        raise HTTPException(409, "this job is a solve: its result is at the job's result_url (/v1/results/...)")
    if row.status != JobStatus.FINISHED or row.report_json is None:
        waiting = row.status in (JobStatus.QUEUED, JobStatus.RUNNING)
        raise HTTPException(409, f"job is {row.status}: no report" + (" yet; poll GET /v1/jobs/{id}" if waiting else ""))
    return Response(row.report_json, media_type="application/json")
