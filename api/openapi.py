"""The OpenAPI document, made to say exactly what the service answers (a fuzzer holds it to that).

FastAPI's defaults describe a 422 body the service never sends (pydantic's
``{"loc": [...], "type": ...}``), and describe a scenario as "any object".
This module, once, after FastAPI has built the document:

* publishes the core's scenario schema (``optimizer.Scenario``, with its
  parts) as ``components/schemas/Scenario`` and uses it for ``POST /v1/solve``,
  ``POST /v1/scenarios`` and the stored scenario read back;
* replaces the 422 schema by the service's own (``Problems``: a list of
  ``{loc, msg, in}``, ``loc`` a JSON pointer) and gives every other error
  (401, 404, 409, 413, 429, 503) the ``Message`` schema;
* documents on every ``/v1`` operation the 429 of the per-key rate limit and
  the 503 of a database outage, each with its ``Retry-After`` header.

The schema can say what each field is, not how fields refer to each other
(an outcome id must be one of /outcomes, a pool has one budget per year): a
scenario valid by the schema may still be refused with a located 422.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from optimizer import Scenario

REF = "#/components/schemas/{model}"

PROBLEM = {
    "type": "object",
    "title": "Problem",
    "required": ["loc", "msg", "in"],
    "additionalProperties": False,
    "properties": {
        "loc": {"type": "string", "description": "JSON pointer into the part named by `in` ('' for its root)"},
        "msg": {"type": "string", "description": "what is wrong and what to do, in the words of `totalplace validate`"},
        "in": {"type": "string", "enum": ["body", "query", "path", "header", "cookie"]},
    },
}
PROBLEMS = {
    "type": "object",
    "title": "Problems",
    "required": ["detail"],
    "additionalProperties": False,
    "properties": {"detail": {"type": "array", "items": {"$ref": REF.format(model="Problem")}}},
}
MESSAGE = {
    "type": "object",
    "title": "Message",
    "required": ["detail"],
    "additionalProperties": False,
    "properties": {
        "detail": {"type": "string", "description": "one sentence saying what to do"},
        "request_id": {"type": "string", "description": "the request's id in the service log"},
    },
}
#: What each scenario field means (docs/model.md, "Scenario (input)"), for fields whose model carries no description of its own.
SCENARIO_FIELDS: dict[str, dict[str, str]] = {
    "Scenario": {
        "schema_version": "1, or 2 where a version 2 field is used",
        "name": "a label",
        "horizon_years": "H, the years in which money is spent (1 to 10)",
        "appraisal_years": "A >= H, the years in which benefits are counted (default H)",
        "discount_rate": "r, the annual discount rate (default 0.035, HM Treasury Green Book)",
        "pools": "the funding pools, one per contributing agency (at least one)",
        "agencies": "agencies that bear costs but hold no pool (e.g. dwp)",
        "outcomes": "the events that prevention avoids, with who pays for each",
        "areas": "the neighbourhoods (LSOAs or wards)",
        "interventions": "what can be funded, each with at least one effect",
        "policy": "the place's rules",
        "solver": "solver options (not part of the scenario_hash)",
    },
    "Pool": {
        "id": "the pool's id, also its agency id",
        "name": "a label",
        "budget": "pounds a year: one number for every year, or a list of H numbers, each >= 0",
        "areas": "the pool's footprint: ids of the areas it may fund (absent: all)",
        "interventions": "ids of the interventions it may fund (absent: all)",
        "reinvest_rate": "share in [0, 1] of last year's cash savings to this agency added to this year's budget",
    },
    "Agency": {"id": "the agency's id", "name": "a label"},
    "Outcome": {
        "id": "the outcome's id",
        "name": "a label",
        "unit_costs": "agency id -> cost (pounds, >= 0) to that agency of one occurrence",
        "social_value": "non-fiscal value (pounds, >= 0) of avoiding one occurrence",
    },
    "Area": {
        "id": "the area's id (an LSOA code for real places)",
        "name": "a label",
        "imd_decile": "1..10, 1 = the most deprived 10 % nationally",
        "imd_rank": "1 = most deprived; needed where areas are ranked locally",
        "population": "residents, >= 0",
        "groups": "target-group name -> people (or families) in the area, >= 0",
    },
    "Intervention": {
        "id": "the intervention's id",
        "name": "a label",
        "target_group": "the key of the areas' groups it serves",
        "unit_cost": "pounds per participant per year, > 0",
        "max_coverage": "largest share in (0, 1] of the target group taking part in one year",
        "effects": "what one participant avoids",
        "fixed_cost": "one-off pounds, paid in year 1, to launch it in an area",
        "min_participants": "least participants in every year where it is launched",
        "capacity": "most participants per year over all areas (absent: no limit)",
    },
    "Effect": {
        "outcome": "the outcome's id",
        "per_participant": "occurrences avoided per participant in each year of the effect",
        "lag_years": "years before the effect starts (default 0)",
        "duration_years": "years the effect lasts (default 1)",
        "low": "the least plausible per_participant (for uncertainty analyses)",
        "high": "the most plausible per_participant (for uncertainty analyses)",
    },
    "Policy": {
        "community_wealth_fund": "the rule on spending in deprived areas",
        "no_agency_worse_off": "every pool's discounted spending <= its agency's discounted savings",
        "equity_weights": 'decile "1".."10" -> weight >= 0 on benefits in areas of that decile (default 1)',
        "social_value_weight": "lambda >= 0: weight of social value beside fiscal savings",
        "area_cap": "most pounds spent in one area in one year (absent: none)",
    },
    "CommunityWealthFund": {
        "min_share": "least share of all spending that goes to deprived areas (0: no rule)",
        "max_decile": "areas with imd_decile <= this are deprived",
        "basis": "national (by imd_decile) or local (by imd_rank)",
        "per_capita_floor": "least pounds per resident in every deprived area in every year",
    },
    "SolverOptions": {
        "name": "the back end (default highs)",
        "time_limit": "seconds (default 60)",
        "mip_gap": "relative gap (default 1e-4)",
    },
}
RETRY_AFTER = {"description": "seconds to wait before retrying", "schema": {"type": "string", "pattern": "^[0-9]+$"}}
ERRORS = {
    429: "too many requests with this API key (per-key rate limit): retry after `Retry-After` seconds",
    503: "the database (or, for a job, the queue) is unavailable: retry after `Retry-After` seconds",
}


def _message(description: str, example: Any = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": {"$ref": REF.format(model="Message")}}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def _fix_operation(path: str, op: dict[str, Any]) -> None:
    responses = op.setdefault("responses", {})
    for code, entry in responses.items():
        bodies = entry.get("content", {})
        if code.startswith("2") and len(bodies) > 1 and not bodies.get("application/json", {}).get("schema", True):
            bodies.pop("application/json")  # FastAPI's default beside a CSV, workbook or text body the route really sends
    if "422" in responses:
        example = responses["422"].get("content", {}).get("application/json", {}).get("example")
        content: dict[str, Any] = {"schema": {"$ref": REF.format(model="Problems")}}
        if example is not None:
            content["example"] = example
        responses["422"] = {
            "description": responses["422"].get("description") or "invalid input: every problem, located",
            "content": {"application/json": content},
        }
    for code, entry in responses.items():
        if code.startswith(("4", "5")) and code != "422":
            example = entry.get("content", {}).get("application/json", {}).get("example")
            responses[code] = {
                **_message(entry.get("description") or "an error", example),
                **{k: v for k, v in entry.items() if k == "headers"},
            }
    if path.startswith("/v1/"):
        for code, description in ERRORS.items():
            entry = responses.setdefault(str(code), _message(description, {"detail": description}))
            entry["headers"] = {"Retry-After": RETRY_AFTER}
        responses.setdefault("401", _message("no valid X-API-Key", {"detail": "missing or invalid API key"}))


def build(app: FastAPI) -> dict[str, Any]:
    """The service's OpenAPI document."""
    spec = get_openapi(
        title=app.title, version=app.version, summary=app.summary, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    scenario = Scenario.model_json_schema(ref_template=REF)
    parts = scenario.pop("$defs", {})
    for name, schema in {**parts, "Scenario": scenario, "Problem": PROBLEM, "Problems": PROBLEMS, "Message": MESSAGE}.items():
        assert name not in schemas, f"component {name} would be overwritten"
        schemas[name] = schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for name, fields in SCENARIO_FIELDS.items():
        for field, description in fields.items():
            prop = schemas.get(name, {}).get("properties", {}).get(field)
            if prop is not None:
                prop.setdefault("description", description)
    ref = {"$ref": REF.format(model="Scenario")}
    schemas["ScenarioCreate"]["properties"]["scenario"] = {**ref, "description": "the scenario document, as in docs/model.md"}
    schemas["ScenarioDetail"]["properties"]["scenario"] = {**ref, "description": "its canonical document (defaults filled)"}
    body = spec["paths"]["/v1/solve"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"] = {**ref, "description": "a scenario (docs/model.md)"}
    for path, methods in spec["paths"].items():
        for op in methods.values():
            _fix_operation(path, op)
    return spec


def install(app: FastAPI) -> None:
    """Serve :func:`build`'s document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to customise the document
