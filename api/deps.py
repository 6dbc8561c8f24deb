"""Dependencies of the routes, as ``Annotated`` aliases (as in full-stack-fastapi-template)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from api.context import Context
from api.edge.auth import authenticate_cached, key_id_of
from optimizer import logs

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="your tenant's key, from `totalplace keys create`")


async def get_context(request: Request) -> Context:  # async: no I/O, so no hop to the thread pool
    return request.app.state.ctx  # type: ignore[no-any-return]


ContextDep = Annotated[Context, Depends(get_context)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    with ctx.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_tenant(ctx: ContextDep, key: Annotated[str | None, Depends(_api_key)]) -> str:
    """The tenant of a valid key (else 401), once the key's rate limit allows the request (else 429).

    A session is opened only when the key is not in the process's key cache (``key_cache_seconds``).
    """
    tenant_id = authenticate_cached(ctx.db.session, ctx.keys, key)
    if tenant_id is None:
        raise HTTPException(
            401,
            "missing or invalid API key: send your tenant's key in the X-API-Key header "
            "(an operator creates one with `totalplace keys create --tenant NAME`)",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    logs.bind(tenant_id=tenant_id)  # the tenant's id on the request's log lines (never the key)
    if ctx.limiter is not None:
        assert key is not None
        decision = ctx.limiter.take(key_id_of(key) or "")
        if not decision.allowed:
            if ctx.metrics is not None:
                ctx.metrics.rate_limited.inc()
            s = ctx.settings
            raise HTTPException(
                429,
                f"too many requests with this API key: at most {s.rate_limit_burst} at once and "
                f"{s.rate_limit_per_second:g} per second after that; retry after the Retry-After seconds",
                headers={"Retry-After": str(decision.retry_after)},
            )
    return tenant_id


TenantDep = Annotated[str, Depends(get_tenant)]


async def known_query_only(request: Request) -> None:  # async: no I/O, so no hop to the thread pool
    """Refuse query parameters the route does not take (422): ``?asyc=true`` must not silently solve at once."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or not request.query_params:
        return
    known: set[str] = set()
    todo = [dependant]
    while todo:  # the route's own query parameters and its dependencies'
        current = todo.pop()
        known |= {param.alias for param in current.query_params}
        todo.extend(current.dependencies)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        takes = ", ".join(sorted(known)) or "none"
        raise HTTPException(
            422,
            [
                {
                    "loc": "/" + name.replace("~", "~0").replace("/", "~1"),
                    "msg": f"unknown query parameter: this endpoint takes {takes}",
                    "in": "query",
                }
                for name in unknown
            ],
        )
