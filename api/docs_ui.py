"""``/docs`` (Swagger UI) and ``/redoc`` with every asset served by the service, at ``/docs-assets``: no CDN.

Council and NHS networks block public CDNs, which FastAPI's default pages load their
scripts, styles and favicon from. The assets (Swagger UI 5, which renders OpenAPI 3.1,
ReDoc 2 and a favicon, MIT-licensed) come from the ``fastapi-offline`` package (PyPI), whose
``static`` folder is mounted here; the pages are FastAPI's own, pointed at it.
(``swagger-ui-bundle`` on PyPI ships Swagger UI 4, which cannot render an OpenAPI 3.1
document.) Swagger UI's online validator badge and ReDoc's Google fonts are turned off,
and each page is sent with a Content-Security-Policy that allows only this origin (ReDoc's
sidebar credit loads its logo from the vendor's CDN; under the policy the browser never asks,
and ReDoc hides the image), so the pages make no request to another origin
(tests/browser/test_docs_offline.py checks in Chromium). Mounted at ``/docs-assets``, apart from the boards' page's ``/static``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
#: the pages' scripts and styles are this origin's files plus FastAPI's inline start-up script
POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'self'"
)


def _own_origin_only(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = POLICY
    return page


def assets_dir() -> Path:
    """The folder of Swagger UI's and ReDoc's files (``fastapi_offline/static``)."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect`` and ``/redoc`` and mount their assets (the app is made with docs_url=None)."""
    app.mount(ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")
    title = f"{app.title} - API"
    favicon = f"{ASSETS}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _own_origin_only(
            get_swagger_ui_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=title,
                oauth2_redirect_url="/docs/oauth2-redirect",
                swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS}/swagger-ui.css",
                swagger_favicon_url=favicon,
                swagger_ui_parameters={"validatorUrl": None},
            )
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _own_origin_only(
            get_redoc_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=title,
                redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        )
