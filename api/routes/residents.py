"""Residents' survey: aggregated on arrival into a new version of a stored scenario (docs/residents.md).

The survey's rows are personal data. They live only in this request: they are
aggregated at once (``optimizer.residents.aggregate``) and only the weights are
stored, in a new scenario version whose ``parent_id`` is the surveyed one. No
response, stored record or log line holds a respondent id or a row: the answer
gives per-area counts only at or above the threshold ("below threshold"
otherwise, and no exact total, from which a hidden count could be worked out),
a refusal names rows and columns but never quotes their values, and an
``Idempotency-Key`` is fingerprinted on the aggregate, not on the rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api import examples
from api.deps import ContextDep, SessionDep, TenantDep
from api.edge.errors import ScenarioRefused
from api.edge.idempotency import idempotent
from api.routes.common import ID_PATTERN, parse_or_refuse
from api.schemas import ScenarioOut
from api.store import crud
from optimizer import Problem, ResidentsInputError, ScenarioError, residents

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])

NOT_FOUND = "no such scenario for this tenant: list yours with GET /v1/scenarios"
MAX_ROWS = 1_000_000
BELOW = residents.BELOW_THRESHOLD

_Text = Annotated[str, Field(max_length=200)]


class SurveyRow(BaseModel):
    """One respondent's points for one theme."""

    model_config = ConfigDict(extra="forbid")

    respondent: _Text
    area: _Text
    theme: _Text
    points: float = Field(allow_inf_nan=False)


class SurveyIn(BaseModel):
    """A survey, as ``rows`` or as the text of a CSV file (``csv``, with the header respondent,area,theme,points): one of them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rows": [
                        {"respondent": "r1", "area": "E01000001", "theme": "health", "points": 60},
                        {"respondent": "r1", "area": "E01000001", "theme": "equality_and_safety", "points": 40},
                    ],
                    "min_respondents": 10,
                }
            ]
        },
    )

    rows: list[SurveyRow] | None = Field(None, max_length=MAX_ROWS, description="one row per respondent and theme")
    csv: str | None = Field(None, max_length=64 * 1024 * 1024, description="the survey as CSV text, header respondent,area,theme,points")
    min_respondents: int = Field(
        residents.DEFAULT_MIN_RESPONDENTS, ge=1, le=100_000, description="an area with fewer respondents uses the place's weights"
    )
    strength: float | None = Field(
        None, ge=0, le=1, description="policy.resident_priorities.strength to write (default: the scenario's, else 0)"
    )

    @model_validator(mode="after")
    def _one_form(self) -> SurveyIn:
        if (self.rows is None) == (self.csv is None):
            raise ValueError("give the survey either as rows or as csv, not both and not neither")
        return self


class AreaCount(BaseModel):
    area: str
    respondents: int | Literal["below threshold"] = Field(description=f'the count at or above the threshold, else "{BELOW}"')
    distance_from_place: float | None = Field(
        description="total variation distance of the area's weights from the place's (0 to 1); null where the area uses the place's"
    )


class SurveyOut(BaseModel):
    """The new scenario version, and what the survey says without saying who."""

    scenario: ScenarioOut
    min_respondents: int
    weights: dict[str, float] = Field(description="the place's weights: policy.resident_priorities.weights")
    strength: float
    areas: list[AreaCount]
    areas_below_threshold: int
    respondents_in_areas_shown: int = Field(
        description="the sum of the counts shown (the total is not given: it would reveal the areas below the threshold)"
    )


def _frame(body: SurveyIn) -> tuple[pd.DataFrame, Callable[[int | None, str | None], str]]:
    if body.csv is not None:
        return residents.read_csv(body.csv, "/csv"), residents.csv_locator("/csv")
    rows = body.rows or []
    frame = pd.DataFrame(
        {
            "respondent": [r.respondent for r in rows],
            "area": [r.area for r in rows],
            "theme": [r.theme for r in rows],
            "points": [r.points for r in rows],
        }
    )
    return frame, residents.rows_locator("/rows")


@router.post(
    "/{scenario_id}/residents/survey",
    status_code=201,
    summary="Aggregate a residents' survey into a new scenario version",
    response_model=SurveyOut,
    responses={
        201: {"description": "aggregated and stored as a new version; Location says where"},
        404: examples.error(NOT_FOUND),
        **examples.COMMON,
    },
)
def post_survey(
    scenario_id: Annotated[str, Path(pattern=ID_PATTERN, description="a stored scenario's id, sc_...")],
    request: Request,
    ctx: ContextDep,
    tenant_id: TenantDep,
    session: SessionDep,
    body: SurveyIn,
) -> Response:
    """Aggregate the survey on arrival and store a new version of the scenario with the weights in it (docs/residents.md).

    Each respondent's points are normalised to 100; the place's weights are the mean per theme; an area with at least
    ``min_respondents`` respondents gets its own, every other area uses the place's. Problems (a missing column, negative
    points, an unknown area or theme, ...) are a 422 located at ``/rows/{i}/{column}`` or ``/csv row N column C``.
    The rows are not stored, returned or logged.
    """
    stored = crud.get_scenario(session, tenant_id, scenario_id)
    if stored is None:
        raise HTTPException(404, NOT_FOUND)
    document = json.loads(stored.canonical_json)
    scenario = parse_or_refuse(document, max_cells=ctx.settings.max_cells)
    try:
        frame, where = _frame(body)
        agg = residents.aggregate(frame, min_respondents=body.min_respondents, scenario=scenario, where=where)
        del frame  # the rows go no further than this line
        _, new = residents.with_priorities(document, agg, body.strength)
    except ResidentsInputError as exc:
        raise ScenarioRefused(exc) from None
    except ScenarioError as exc:  # the scenario with the weights is not valid (a limit of the scenario itself): say where
        raise ScenarioRefused(ResidentsInputError([Problem(p.loc, p.msg) for p in exc.problems])) from None
    ids = [a.id for a in new.areas]
    counts = agg.published_counts(ids)
    areas = [
        AreaCount(area=a, respondents=counts[a], distance_from_place=agg.distance.get(a) if a in agg.area_weights else None) for a in ids
    ]
    rp = new.policy.resident_priorities
    strength = float(rp.strength) if rp is not None else 0.0
    # what makes two posts "the same request" for Idempotency-Key: the aggregate, never the rows
    fingerprint: dict[str, Any] = {
        "parent": scenario_id,
        "weights": agg.place_weights,
        "areas": agg.area_weights,
        "min_respondents": body.min_respondents,
        "strength": strength,
    }

    def produce() -> Response:
        with ctx.db.session() as db:
            row = crud.create_scenario(db, tenant_id, new, scenario_id)
            db.commit()
            out = ScenarioOut.of(row, ctx.settings.sync_max_cells)
        answer = SurveyOut(
            scenario=out,
            min_respondents=body.min_respondents,
            weights=agg.place_weights,
            strength=strength,
            areas=areas,
            areas_below_threshold=sum(1 for a in ids if counts[a] == BELOW),
            respondents_in_areas_shown=sum(n for n in counts.values() if isinstance(n, int)),
        )
        return JSONResponse(answer.model_dump(mode="json"), status_code=201, headers={"Location": f"/v1/scenarios/{out.id}"})

    return idempotent(ctx, request, tenant_id, fingerprint, produce)
