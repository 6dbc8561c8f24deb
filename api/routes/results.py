"""Results: a tenant's result for a scenario hash, as JSON or its allocations as CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response

from api import examples
from api.contract import Result
from api.deps import SessionDep, TenantDep
from api.routes.common import HASH_PATTERN
from api.store import crud
from api.store.db import ResultRow

router = APIRouter(prefix="/v1/results", tags=["results"])

NOT_FOUND = "no result for this scenario hash for this tenant: solve it first (POST /v1/solve or /v1/scenarios/{id}/solve)"
ALLOCATION_COLUMNS = ("area", "intervention", "pool", "year", "spend", "participants")

HashPath = Annotated[str, Path(pattern=HASH_PATTERN, description="the scenario_hash of a solved scenario")]
SolverQuery = Annotated[
    str | None, Query(pattern=r"^[0-9a-f]{1,32}$", description="which solver options (from a job's result_url); default: latest")
]


def _find(session: SessionDep, tenant_id: str, scenario_hash: str, solver_key: str | None) -> ResultRow:
    row = crud.get_result(session, tenant_id, scenario_hash, solver_key)
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return row


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/{scenario_hash}.xlsx",
    summary="A result as a workbook (summary, allocations with names, spending, who pays, rules, prices)",
    responses={
        200: {
            "description": "an .xlsx workbook; every sheet names the scenario_hash, the date and the model version",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        },
        404: examples.error(NOT_FOUND),
        401: examples.COMMON[401],
    },
)
def get_result_workbook(scenario_hash: HashPath, session: SessionDep, tenant_id: TenantDep, solver_key: SolverQuery = None) -> Response:
    """The result as a workbook a finance officer can open. Names beside ids come from the tenant's stored scenario of this
    hash when there is one (``POST /v1/scenarios``); the local authority and IMD decile of an LSOA from the shipped IoD2019 table."""
    import tempfile
    from pathlib import Path as FilePath

    from sqlalchemy import select

    from api.store.db import ScenarioRow
    from optimizer import Scenario, write_workbook

    row = _find(session, tenant_id, scenario_hash, solver_key)
    stored = session.execute(
        select(ScenarioRow).where(ScenarioRow.tenant_id == tenant_id, ScenarioRow.scenario_hash == scenario_hash).limit(1)
    ).scalar_one_or_none()
    scenario = Scenario.model_validate(json.loads(stored.canonical_json)) if stored is not None else None
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(json.loads(row.result_json), FilePath(folder) / "result.xlsx", scenario)
        body = path.read_bytes()
    return Response(body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="result-{scenario_hash[:12]}.xlsx"'})


@router.get(
    "/{scenario_hash}",
    summary="A result (docs/result-format.md)",
    response_model=Result,
    responses={200: examples.json_example("the result", examples.RESULT), 404: examples.error(NOT_FOUND), 401: examples.COMMON[401]},
)
def get_result(scenario_hash: HashPath, session: SessionDep, tenant_id: TenantDep, solver_key: SolverQuery = None) -> Response:
    row = _find(session, tenant_id, scenario_hash, solver_key)
    return Response(
        row.result_json, media_type="application/json", headers={"X-Scenario-Hash": row.scenario_hash, "X-Solver-Key": row.solver_key}
    )


@router.get(
    "/{scenario_hash}/allocations.csv",
    summary="A result's allocations as CSV",
    responses={
        200: {
            "description": "one row per area, intervention, pool and year with spending",
            "content": {"text/csv": {"example": examples.CSV}},
        },
        404: examples.error(NOT_FOUND),
        401: examples.COMMON[401],
    },
)
def get_allocations_csv(scenario_hash: HashPath, session: SessionDep, tenant_id: TenantDep, solver_key: SolverQuery = None) -> Response:
    row = _find(session, tenant_id, scenario_hash, solver_key)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ALLOCATION_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(json.loads(row.result_json)["allocations"])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="allocations-{scenario_hash[:12]}.csv"'},
    )
