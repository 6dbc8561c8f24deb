"""Dependencies of the routes, as ``Annotated`` aliases (as in full-stack-fastapi-template)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from api.auth import authenticate
from api.context import Context

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="your tenant's key, from `totalplace keys create`")


def get_context(request: Request) -> Context:
    return request.app.state.ctx  # type: ignore[no-any-return]


ContextDep = Annotated[Context, Depends(get_context)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    with ctx.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_tenant(session: SessionDep, key: Annotated[str | None, Depends(_api_key)]) -> str:
    tenant_id = authenticate(session, key)
    if tenant_id is None:
        raise HTTPException(401, "missing or invalid API key: send your tenant's key in the X-API-Key header "
                                 "(an operator creates one with `totalplace keys create --tenant NAME`)",
                            headers={"WWW-Authenticate": "ApiKey"})
    return tenant_id


TenantDep = Annotated[str, Depends(get_tenant)]
