"""The boards' session: a signed cookie holding the tenant id, the key's public id and a CSRF token.

The key itself never goes into the cookie (nor into a URL): a board types it
once on the sign-in form, the service checks it as the API does, and keeps
only the tenant id and the key's public id, signed with the service's secret
by ``itsdangerous`` (a well-kept library, the one Starlette's own session
middleware uses). Every page checks that the key id is still active, so
revoking a key (``totalplace keys revoke``) ends the boards' sessions made
with it at once.

The secret is ``TOTALPLACE_SESSION_SECRET``; unset, each process draws its own
(sessions then end when the service restarts, and several API processes need
the variable set to share them).
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "totalplace_session"
MAX_AGE_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    """What the cookie says: the CSRF token always; the tenant and key id once a board has signed in."""

    csrf: str
    tenant_id: str | None = None
    key_id: str | None = None
    fresh: bool = False  # made for this request: the response must set the cookie

    @property
    def signed_in(self) -> bool:
        return self.tenant_id is not None


class Sessions:
    """Reads and writes the session cookie."""

    def __init__(self, secret: str | None = None):
        secret = secret or os.environ.get("TOTALPLACE_SESSION_SECRET") or secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="totalplace-board-session")

    def read(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data: Any = self._signer.loads(raw, max_age=MAX_AGE_SECONDS)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                tenant, key = data.get("t"), data.get("k")
                return Session(data["c"], tenant if isinstance(tenant, str) else None, key if isinstance(key, str) else None)
        return Session(secrets.token_urlsafe(24), fresh=True)

    @staticmethod
    def signed_in(tenant_id: str, key_id: str) -> Session:
        """A new session for a board that has just signed in (a new CSRF token: the old one was seen signed out)."""
        return Session(secrets.token_urlsafe(24), tenant_id, key_id, fresh=True)

    def write(self, request: Request, response: Response, session: Session) -> None:
        value = self._signer.dumps({"c": session.csrf, "t": session.tenant_id, "k": session.key_id})
        response.set_cookie(COOKIE, value, max_age=MAX_AGE_SECONDS, httponly=True, samesite="strict", secure=_https(request), path="/")

    @staticmethod
    def clear(request: Request, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_https(request))


def _https(request: Request) -> bool:
    """Behind HTTPS (directly, or a proxy uvicorn trusts with ``--proxy-headers``) the cookie is Secure."""
    return request.url.scheme == "https"


def csrf_ok(session: Session, presented: str | None) -> bool:
    return bool(presented) and not session.fresh and hmac.compare_digest(session.csrf, presented or "")
