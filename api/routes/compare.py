"""Comparing two stored scenarios: ``GET /v1/scenarios/{id}/compare/{other_id}``.

A small pair (solves x the larger scenario's cells within :data:`SYNC_FACTOR` x
``sync_max_cells``) is answered at once (200, the report); a larger one, or any
with ``?async=true``, becomes an analysis job of kind ``compare`` (202,
``Location: /v1/jobs/{id}``; the report at ``/v1/jobs/{id}/result``). Both
scenarios must be the tenant's: an unknown id and another tenant's are 404 alike.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import examples
from api.deps import ContextDep, SessionDep, TenantDep
from api.jobs import states as jobs
from api.routes.common import parse_or_refuse
from api.routes.scenarios import NOT_FOUND, ScenarioId, _enqueued
from api.schemas import JobOut
from api.store import crud
from optimizer import AnalysisError

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])

#: a pair is answered at once when (solves) x (the larger scenario's cells) <= SYNC_FACTOR x sync_max_cells
SYNC_FACTOR = 4


class Attribution(BaseModel):
    """What one change (or group of changes applied together) cost or bought, in pence."""

    model_config = ConfigDict(extra="allow")

    change: str = Field(description="the change's id (c1, ...), or ids joined by + for changes that only apply together")
    changes: list[str]
    family: str = Field(description="budgets, policy, evidence, places, labels (or mixed)")
    value: int | None = Field(description="Shapley value in the objective, whole pence; the values sum exactly to objective_change")
    message: str


class Change(BaseModel):
    """One difference between A and B."""

    model_config = ConfigDict(extra="allow")

    id: str
    kind: Literal["changed", "added", "removed"]
    family: str
    pointer_a: str | None = Field(description="JSON pointer in A (null when added)")
    pointer_b: str | None = Field(description="JSON pointer in B (null when removed)")
    old: Any = None
    new: Any = None
    message: str


class CompareReport(BaseModel):
    """The comparison of A with B (money in whole pence): changes, figures, attribution, binding rules, sentences."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "analysis": "compare",
                    "money": "pence",
                    "objective_a": 500_000,
                    "objective_b": 4_000_000,
                    "objective_change": 3_500_000,
                    "method": "exact",
                    "changes": [],
                    "attribution": [],
                    "messages": [],
                    "warnings": [],
                }
            ]
        },
    )

    analysis: Literal["compare"]
    money: Literal["pence"]
    a: dict[str, Any]
    b: dict[str, Any]
    changes: list[Change]
    objective_a: int | None
    objective_b: int | None
    objective_change: int | None = Field(description="B's optimum minus A's, pence (null when either cannot be solved)")
    method: str | None = Field(description="exact, families or sample (null: compared on the figures only)")
    attribution: list[Attribution]
    figures: dict[str, Any] | None
    binding: list[dict[str, Any]]
    messages: list[str]
    warnings: list[str]


@router.get(
    "/{scenario_id}/compare/{other_id}",
    summary="Compare two stored scenarios: what changed, and what each change cost or bought",
    response_model=CompareReport,
    responses={
        202: {
            "description": "a large pair, or async=true: a job of kind compare; poll Location, then read its result_url",
            "model": JobOut,
        },
        404: examples.error(NOT_FOUND),
        503: examples.error("the job queue (Redis) is unavailable: retry later"),
        **examples.COMMON,
    },
)
def compare_scenarios(
    scenario_id: ScenarioId,
    other_id: ScenarioId,
    ctx: ContextDep,
    tenant_id: TenantDep,
    session: SessionDep,
    method: Annotated[
        Literal["auto", "exact", "families", "sample"], Query(description="auto: exact up to 10 changes, else by family")
    ] = "auto",
    orders: Annotated[int, Query(ge=1, le=10_000, description="orders sampled (method sample)")] = 200,
    seed: Annotated[int, Query(ge=0, le=2**63 - 1, description="seed of the sampled orders")] = 0,
    run_async: Annotated[bool, Query(alias="async", description="always answer 202 with a job")] = False,
) -> Any:
    """A is ``scenario_id`` (the earlier version), B is ``other_id``. The report's ``attribution`` gives each change's
    Shapley value in the objective; the values sum exactly to ``objective_change`` (docs/analyses.md)."""
    from optimizer import compare

    stored_a = crud.get_scenario(session, tenant_id, scenario_id)
    stored_b = crud.get_scenario(session, tenant_id, other_id)
    if stored_a is None or stored_b is None:
        raise HTTPException(404, NOT_FOUND)
    s = ctx.settings
    a = parse_or_refuse(json.loads(stored_a.canonical_json), max_cells=s.max_cells)
    b = parse_or_refuse(json.loads(stored_b.canonical_json), max_cells=s.max_cells)
    try:
        tasks = compare.plan(a, b, method=method, orders=orders, seed=seed)
    except AnalysisError as exc:
        raise HTTPException(422, [{"loc": "/method", "msg": str(exc), "in": "query"}]) from None
    solves = 2 + sum(len(t.get("masks", [])) for t in tasks)
    if not run_async and solves * max(stored_a.cells, stored_b.cells) <= SYNC_FACTOR * s.sync_max_cells:
        report = compare.combine(a, [compare.run_task(t) for t in tasks])
        return JSONResponse(report)
    options = {"other_id": stored_b.id, "method": method, "orders": orders, "seed": seed}
    with ctx.db.session() as db:
        job = jobs.create_analysis(db, tenant_id, stored_a, "compare", options)
        db.commit()
        job_id = job.id
    return _enqueued(ctx, job_id)
