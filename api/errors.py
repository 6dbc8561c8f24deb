"""Turning every failure into a response a client can act on, and never into a stack trace.

    422  {"detail": [{"loc": JSON pointer, "msg": ..., "in": "body"|"query"|...}]}   invalid scenario or request
    401/404/409/413/503  {"detail": "one sentence saying what to do"}
    500  {"detail": "...", "request_id": ...}                                       logged with the traceback

An invalid scenario is refused with every problem at once, in the very words
of the command line (both come from ``optimizer.parse_scenario``).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer import ScenarioError, SolverFailure, SolverUnavailable
from optimizer.errors import pointer

log = logging.getLogger("api.errors")


class ScenarioRefused(Exception):
    """A ScenarioError found under ``base`` (a JSON pointer) of the request body."""

    def __init__(self, error: ScenarioError, base: str = ""):
        self.error = error
        self.base = base


def problems_body(error: ScenarioError, base: str = "") -> dict[str, Any]:
    return {"detail": [{"loc": base + p.loc, "msg": p.msg, "in": "body"} for p in error.problems]}


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    detail = []
    for err in exc.errors():
        where, *path = err.get("loc", ("body",))
        if err.get("type") == "json_invalid":
            msg = "the body is not valid JSON: " + str(err.get("ctx", {}).get("error", err.get("msg")))
            detail.append({"loc": "", "msg": msg, "in": "body"})
            continue
        detail.append({"loc": pointer(path), "msg": str(err.get("msg")), "in": str(where)})
    return JSONResponse({"detail": detail}, status_code=422)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ScenarioRefused)
    async def _scenario(request: Request, exc: ScenarioRefused) -> JSONResponse:
        return JSONResponse(problems_body(exc.error, exc.base), status_code=422)

    @app.exception_handler(ScenarioError)
    async def _scenario_plain(request: Request, exc: ScenarioError) -> JSONResponse:
        return JSONResponse(problems_body(exc), status_code=422)

    @app.exception_handler(SolverUnavailable)
    async def _solver(request: Request, exc: SolverUnavailable) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": "/solver/name", "msg": str(exc), "in": "body"}]}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(SolverFailure)
    async def _solver_failed(request: Request, exc: SolverFailure) -> JSONResponse:
        rid = request_id(request)
        log.error("solver failure (request %s): %s", rid, exc)
        return JSONResponse({"detail": f"the solver failed on this scenario: {exc}", "request_id": rid}, status_code=500)

    @app.exception_handler(Exception)
    async def _anything(request: Request, exc: Exception) -> JSONResponse:
        rid = request_id(request)
        log.error("unhandled error (request %s) on %s %s", rid, request.method, request.url.path, exc_info=exc)
        body = {"detail": f"internal error; the service log has the details under request id {rid}", "request_id": rid}
        return JSONResponse(body, status_code=500, headers={"X-Request-ID": rid})
