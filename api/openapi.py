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
    "type": "object", "title": "Problem", "required": ["loc", "msg", "in"], "additionalProperties": False,
    "properties": {
        "loc": {"type": "string", "description": "JSON pointer into the part named by `in` ('' for its root)"},
        "msg": {"type": "string", "description": "what is wrong and what to do, in the words of `totalplace validate`"},
        "in": {"type": "string", "enum": ["body", "query", "path", "header", "cookie"]},
    },
}
PROBLEMS = {"type": "object", "title": "Problems", "required": ["detail"], "additionalProperties": False,
            "properties": {"detail": {"type": "array", "items": {"$ref": REF.format(model="Problem")}}}}
MESSAGE = {"type": "object", "title": "Message", "required": ["detail"], "additionalProperties": False,
           "properties": {"detail": {"type": "string", "description": "one sentence saying what to do"},
                          "request_id": {"type": "string", "description": "the request's id in the service log"}}}
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
    if "422" in responses:
        example = responses["422"].get("content", {}).get("application/json", {}).get("example")
        content: dict[str, Any] = {"schema": {"$ref": REF.format(model="Problems")}}
        if example is not None:
            content["example"] = example
        responses["422"] = {"description": responses["422"].get("description") or "invalid input: every problem, located",
                            "content": {"application/json": content}}
    for code, entry in responses.items():
        if code.startswith(("4", "5")) and code != "422":
            example = entry.get("content", {}).get("application/json", {}).get("example")
            responses[code] = {**_message(entry.get("description") or "an error", example), **{
                k: v for k, v in entry.items() if k == "headers"}}
    if path.startswith("/v1/"):
        for code, description in ERRORS.items():
            entry = responses.setdefault(str(code), _message(description, {"detail": description}))
            entry["headers"] = {"Retry-After": RETRY_AFTER}
        responses.setdefault("401", _message("no valid X-API-Key", {"detail": "missing or invalid API key"}))


def build(app: FastAPI) -> dict[str, Any]:
    """The service's OpenAPI document."""
    spec = get_openapi(title=app.title, version=app.version, summary=app.summary, description=app.description,
                       routes=app.routes, tags=app.openapi_tags)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    scenario = Scenario.model_json_schema(ref_template=REF)
    parts = scenario.pop("$defs", {})
    for name, schema in {**parts, "Scenario": scenario, "Problem": PROBLEM, "Problems": PROBLEMS, "Message": MESSAGE}.items():
        assert name not in schemas, f"component {name} would be overwritten"
        schemas[name] = schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    ref = {"$ref": REF.format(model="Scenario")}
    schemas["ScenarioCreate"]["properties"]["scenario"] = {**ref, "description": "the scenario document, as in MODEL.md"}
    schemas["ScenarioDetail"]["properties"]["scenario"] = {**ref, "description": "its canonical document (defaults filled)"}
    body = spec["paths"]["/v1/solve"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"] = {**ref, "description": "a scenario (MODEL.md)"}
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
