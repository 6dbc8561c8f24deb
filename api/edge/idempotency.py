"""``Idempotency-Key`` on POST: a retried request gets the first response, and nothing is created twice.

The first request with a key reserves it (an INSERT that only one of
concurrent twins wins), runs, and stores its response if it succeeded (2xx).
A retry with the same key and the same request gets that response again,
marked ``Idempotent-Replayed: true``; a retry while the first still runs gets
409; the same key on a different request gets 422. A refused or failed
request releases its key, so the client can correct it and retry.
Keys are per tenant and remembered for ``idempotency_ttl_seconds``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

from fastapi import HTTPException, Request, Response
from sqlalchemy import delete, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from api.context import Context
from api.store.db import IdempotencyRecord, utcnow

KEPT_HEADERS = ("location", "x-scenario-hash", "x-cache")
MAX_KEY_LENGTH = 200
_KEY = re.compile(r"^[\x20-\x7e]{1," + str(MAX_KEY_LENGTH) + r"}$")  # printable ASCII: what a UUID or a ledger reference is


def _problem(msg: str) -> list[dict[str, str]]:
    """A 422 detail in the service's shape, located at the header."""
    return [{"loc": "/Idempotency-Key", "msg": msg, "in": "header"}]


def fingerprint(request: Request, body: Any) -> str:
    """What makes two requests the same: method, path, query and the body's JSON."""
    text = json.dumps(
        [request.method, request.url.path, sorted(request.query_params.multi_items()), body],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _reserve(ctx: Context, tenant_id: str, key: str, print_: str) -> IdempotencyRecord | None:
    """None when this request now owns the key, else the existing record."""
    with ctx.db.session() as session:
        try:
            session.add(IdempotencyRecord(tenant_id=tenant_id, key=key, fingerprint=print_))
            session.commit()
            return None
        except IntegrityError:
            session.rollback()
        record = session.get(IdempotencyRecord, (tenant_id, key))
        if record is None:  # released between our INSERT and SELECT: try once more
            session.add(IdempotencyRecord(tenant_id=tenant_id, key=key, fingerprint=print_))
            session.commit()
            return None
        stale = utcnow() - timedelta(seconds=ctx.settings.sync_time_limit * 2 + 120)
        if record.status_code is None and record.created_at < stale:  # its first request died mid-way: take over
            taken = cast(
                CursorResult[Any],
                session.execute(
                    update(IdempotencyRecord)
                    .where(
                        IdempotencyRecord.tenant_id == tenant_id,
                        IdempotencyRecord.key == key,
                        IdempotencyRecord.status_code.is_(None),
                        IdempotencyRecord.created_at == record.created_at,
                    )
                    .values(created_at=utcnow(), fingerprint=print_)
                ),
            ).rowcount
            session.commit()
            if taken:
                return None
        return record


def _release(ctx: Context, tenant_id: str, key: str) -> None:
    with ctx.db.session() as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.tenant_id == tenant_id, IdempotencyRecord.key == key))
        session.commit()


def idempotent(ctx: Context, request: Request, tenant_id: str, body: Any, produce: Callable[[], Response]) -> Response:
    """Run ``produce`` once per (tenant, Idempotency-Key); without the header, just run it."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return produce()
    if not _KEY.match(key):
        raise HTTPException(422, _problem(f"must be 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is ideal)"))
    print_ = fingerprint(request, body)
    record = _reserve(ctx, tenant_id, key, print_)
    if record is not None:
        if record.fingerprint != print_:
            raise HTTPException(422, _problem("was already used for a different request: use a new key for a new request"))
        if record.status_code is None:
            raise HTTPException(
                409, "a request with this Idempotency-Key is still being processed: retry in a moment", headers={"Retry-After": "1"}
            )
        headers = json.loads(record.headers_json or "{}")
        if "x-cache" in headers:
            headers["x-cache"] = "hit"  # the replay ran no solve
        headers["idempotent-replayed"] = "true"
        return Response(record.response_body or "", status_code=record.status_code, headers=headers, media_type="application/json")
    try:
        response = produce()
    except BaseException:
        _release(ctx, tenant_id, key)
        raise
    if not 200 <= response.status_code < 300:
        _release(ctx, tenant_id, key)
        return response
    kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    with ctx.db.session() as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.tenant_id == tenant_id, IdempotencyRecord.key == key)
            .values(status_code=response.status_code, response_body=bytes(response.body).decode("utf-8"), headers_json=json.dumps(kept))
        )
        session.commit()
    return response
