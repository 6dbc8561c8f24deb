"""The boards' own page: server-rendered HTML on the service's store, solving and jobs (``api.web.pages``).

``install(app)`` adds the pages at ``/`` and ``/scenarios/...`` and the page's
own files at ``/static`` (GOV.UK Frontend, Vega; ``static/vendor/README.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from api.web.pages import router
from api.web.session import Sessions

STATIC = Path(__file__).parent / "static"


class _Static(StaticFiles):
    """The page's files, cached by the browser for an hour (they change only with a release), so a re-solve reloads only the HTML."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def install(app: FastAPI) -> None:
    """Serve the boards' pages and their static files from ``app``."""
    app.state.web_sessions = Sessions()
    app.include_router(router)
    app.mount("/static", _Static(directory=STATIC), name="static")
