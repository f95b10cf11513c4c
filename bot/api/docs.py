"""``/docs``: Swagger UI from the files the ``fastapi-offline`` package ships, so the page works
with no internet (FastAPI's default loads them from a CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def swagger_files() -> Path:
    """The folder holding ``swagger-ui-bundle.js`` and ``swagger-ui.css``."""
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def serve_docs(api: FastAPI) -> None:
    """Add ``/docs`` and its script, styles and icon (nothing from another host)."""
    api.mount(ASSETS, StaticFiles(directory=swagger_files()), name="swagger-ui")

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive API documentation."""
        return get_swagger_ui_html(
            openapi_url=api.openapi_url or "/openapi.json", title=f"{api.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png")
