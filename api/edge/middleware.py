"""Pure ASGI middleware: request ids and latency metrics, and the request body size limit.

Pure ASGI (not ``BaseHTTPMiddleware``) so that the body streams through
untouched and an oversized body is refused while it arrives, whether or not
it declared a Content-Length.

A refused body is read on and thrown away (up to :data:`DRAIN_BYTES` within
:data:`DRAIN_SECONDS`, never kept) before the 413 is sent with ``Connection:
close``: a client that writes its whole body before reading (Python's
``urllib``, ``requests``) would otherwise meet a closed socket with its data
unread, which the kernel turns into "connection reset", and never see the
413. A client that sent ``Expect: 100-continue`` is answered at once instead,
without being asked for the body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics
from optimizer import logs

access = logging.getLogger("api.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: most of a refused body read and discarded so that its client sees the 413 (past it, the connection is closed unread)
DRAIN_BYTES = 128 * 1024 * 1024
#: longest time spent discarding a refused body
DRAIN_SECONDS = 30.0


class RequestContext:
    """Gives each request an id (``X-Request-ID``, taken from the client when sane) and times it by route."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [h for h in message.get("headers", []) if h[0].lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        with logs.bound(request_id=rid):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                seconds = time.perf_counter() - started
                self.metrics.request_latency.labels(scope["method"], template, str(status["code"])).observe(seconds)
                # the route's template, never the path or query as sent; the tenant id is bound once the key is checked
                access.info(
                    "%s %s %d",
                    scope["method"],
                    template,
                    status["code"],
                    extra={"method": scope["method"], "route": template, "status": status["code"], "duration_ms": round(seconds * 1000, 3)},
                )


class BodyLimit:
    """Refuses a request body over ``max_bytes`` with 413, before or while it is read."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def _refusal(self) -> tuple[dict[str, Any], bytes]:
        body = json.dumps(
            {
                "detail": f"request body too large: the limit is {self.max_bytes:,} bytes "
                "(TOTALPLACE_MAX_BODY_BYTES): send fewer areas per scenario, or ask the operator to raise the limit"
            }
        ).encode()
        start = {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        }
        return start, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        drain = headers.get(b"expect", b"").lower() != b"100-continue"  # that client waits for an answer before sending
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            start, body = self._refusal()
            if drain:
                await _drain(receive)
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        seen = {"bytes": 0, "over": False, "replaced": False, "more": False}

        async def counting_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                seen["bytes"] += len(message.get("body", b""))
                if seen["bytes"] > self.max_bytes:
                    seen["over"] = True
                    seen["more"] = bool(message.get("more_body", False))
                    # FastAPI re-raises an HTTPException met while reading the body, so the endpoint never runs
                    raise HTTPException(413, "request body too large")
            return message

        async def guarded_send(message: Message) -> None:
            if seen["over"]:
                if message["type"] == "http.response.start" and not seen["replaced"]:
                    seen["replaced"] = True
                    start, body = self._refusal()
                    if seen["more"]:
                        await _drain(receive)
                    await send(start)
                    await send({"type": "http.response.body", "body": body})
                return  # whatever the app answered, the answer is 413 with the full explanation
            await send(message)

        await self.app(scope, counting_receive, guarded_send)


async def _drain(receive: Receive) -> None:
    """Read and discard the rest of a request body, up to ``DRAIN_BYTES`` and ``DRAIN_SECONDS``; nothing is kept."""
    discarded = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_SECONDS):
            while discarded <= DRAIN_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                discarded += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
