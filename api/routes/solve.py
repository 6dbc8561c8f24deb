"""``POST /v1/solve``: an inline scenario, solved at once (through the cache)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response

from api import examples
from api.contract import Result
from api.deps import ContextDep, TenantDep
from api.edge.idempotency import idempotent
from api.routes.common import parse_or_refuse, result_response
from api.solving.cached import plan, result_status, solve_cached
from api.store import crud

router = APIRouter(prefix="/v1", tags=["solve"])

_BODY_EXAMPLES = {
    "tiny": {"summary": "two areas, two interventions", "value": examples.SCENARIO},
    "invalid": {"summary": "refused with 422: every problem located", "value": {**examples.SCENARIO, "horizon_years": 3}},
}


@router.post(
    "/solve",
    summary="Solve a scenario sent in the body",
    response_model=Result,
    responses={
        200: {
            **examples.json_example("the result (docs/result-format.md); X-Cache says hit or miss", examples.RESULT),
            "headers": {"X-Cache": {"description": "hit: served from the cache, no solve; miss: solved now", "schema": {"type": "string"}}},
        },
        **examples.COMMON,
    },
)
def solve_inline(
    request: Request,
    ctx: ContextDep,
    tenant_id: TenantDep,
    scenario: Annotated[dict[str, Any], Body(openapi_examples=_BODY_EXAMPLES, description="a scenario (docs/model.md)")],
) -> Response:
    """Validate and solve at once; a repeat of an identical scenario and solver options is served from the cache.

    Concurrent identical requests share one solve. The solver's time limit is
    the scenario's, capped by the service's ``sync_time_limit``. The result is
    also kept for the tenant at ``GET /v1/results/{scenario_hash}``.
    """

    def produce() -> Response:
        p = plan(parse_or_refuse(scenario, max_cells=ctx.settings.max_cells), ctx.cache, ctx.settings.sync_time_limit)
        text, outcome = solve_cached(p, ctx.cache, ctx.metrics, mode="sync")
        crud.keep_result(ctx.db.session, ctx.stored, tenant_id, p.scenario_hash, p.solver_key, text, result_status)
        return result_response(text, outcome, p)

    return idempotent(ctx, request, tenant_id, scenario, produce)
