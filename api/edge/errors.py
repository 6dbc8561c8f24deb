"""Turning every failure into a response a client can act on, and never into a stack trace.

    422  {"detail": [{"loc": JSON pointer, "msg": ..., "in": "body"|"query"|...}]}   invalid scenario or request
    401/404/405/409/413/429/503  {"detail": "one sentence saying what to do"}
    503  also when the database cannot be reached (with Retry-After), never a hang or a 500
    500  {"detail": "...", "request_id": ...}                                       logged with the traceback

A body that cannot be parsed at all (not UTF-8, nested too deeply for the
parser, a number with thousands of digits) is a 422 at the body's root, like
any other invalid JSON, not FastAPI's bare 400.

An invalid scenario is refused with every problem at once, in the very words
of the command line (both come from ``optimizer.parse_scenario``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException

from optimizer import ScenarioError, SolverFailure, SolverUnavailable, pointer

log = logging.getLogger("api.edge.errors")


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


#: Errors that mean the database cannot be reached now (down, restarting, pool exhausted): 503, not 500.
DATABASE_DOWN = (sa.OperationalError, sa.InterfaceError, sa.DisconnectionError, sa.TimeoutError)
DATABASE_RETRY_SECONDS = 5


def unparsable_body(cause: BaseException) -> str:
    """Why a body could not be parsed, in words to act on (FastAPI only says "error parsing the body")."""
    if isinstance(cause, RecursionError):
        return "the body is not valid JSON: it is nested too deeply (a scenario needs a few levels, not thousands)"
    if isinstance(cause, UnicodeDecodeError):
        return f"the body is not valid JSON: it is not UTF-8 text (byte {cause.start}): send UTF-8"
    if isinstance(cause, ValueError) and "digits" in str(cause):
        return "the body is not valid JSON: a number has too many digits (Python reads at most 4,300): write amounts as ordinary numbers"
    return f"the body is not valid JSON: {type(cause).__name__}"


def allowed_methods(request: Request, given: str | None) -> str | None:
    """Every method the document gives this path (Starlette's 405 lists only the first route's); HEAD wherever GET."""
    patterns = getattr(request.app.state, "method_patterns", None)
    if patterns is None:
        patterns = [
            (re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"), {m.upper() for m in methods})
            for path, methods in request.app.openapi()["paths"].items()
        ]
        request.app.state.method_patterns = patterns
    methods: set[str] = set()
    for pattern, found in patterns:
        if pattern.match(request.url.path):
            methods |= found
    if not methods:
        return given  # a route outside the document (/docs): Starlette knows
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


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
        if exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI could not parse the body
            problem = {"loc": "", "msg": unparsable_body(exc.__cause__), "in": "body"}
            return JSONResponse({"detail": [problem]}, status_code=422)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allow = allowed_methods(request, headers.get("Allow"))
            if allow:
                headers["Allow"] = allow
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError) -> JSONResponse:
        return JSONResponse({"detail": [{"loc": "", "msg": unparsable_body(exc), "in": "body"}]}, status_code=422)

    for kind in DATABASE_DOWN:

        @app.exception_handler(kind)
        async def _database_down(request: Request, exc: Exception) -> JSONResponse:
            rid = request_id(request)
            log.warning(
                "database unavailable (request %s) on %s %s: %s",
                rid,
                request.method,
                request.url.path,
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
            body = {
                "detail": "the database is unavailable: retry after the Retry-After seconds, with the same "
                "Idempotency-Key if you sent one (an operator should check the database)",
                "request_id": rid,
            }
            return JSONResponse(body, status_code=503, headers={"Retry-After": str(DATABASE_RETRY_SECONDS), "X-Request-ID": rid})

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
