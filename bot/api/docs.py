"""``/docs``: Swagger UI served from the ``swagger-ui-bundle`` package, so it works offline."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"


def serve_docs(api: FastAPI) -> None:
    """Add ``/docs`` and its script, styles and icon (nothing from another host)."""
    from swagger_ui_bundle import swagger_ui_path

    api.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name="swagger-ui")

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive API documentation."""
        return get_swagger_ui_html(
            openapi_url=api.openapi_url or "/openapi.json", title=f"{api.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png")
