"""The FastAPI application: routes, token guard, body limit, and one place errors become answers."""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.api import corrections, docs, ops, routes
from bot.api.auth import BearerGuard
from bot.api.limits import BodyLimit
from bot.api.metrics import Metrics
from bot.daemon.runtime import Runtime
from bot.domain.errors import (
    ConflictError,
    CrosspostError,
    InputError,
    NotFoundError,
    StoreError,
)

log = logging.getLogger("crosspost.api")


def create_api(app: Runtime, *, alive: Callable[[], bool] = lambda: True,
               metrics: Metrics | None = None) -> FastAPI:
    """The HTTP API over ``app``; ``alive`` says whether the scheduler runs."""
    api = FastAPI(
        title="crosspost",
        version="1",
        summary="Queue newsroom stories for Telegram and X; read their state.",
        docs_url=None,
        redoc_url=None,
    )
    docs.serve_docs(api)
    api.state.crosspost = app
    api.state.alive = alive
    api.state.metrics = metrics or Metrics(app, alive=alive)
    api.include_router(routes.router)
    api.include_router(corrections.router)
    api.include_router(ops.router)

    def token() -> str | None:
        secret = app.settings.api.token
        return secret.get_secret_value() if secret is not None else None

    if app.settings.web.enabled:
        from bot.web.app import mount_desk

        mount_desk(api, app)
    api.add_middleware(BodyLimit, limit=lambda: app.settings.api.max_body_bytes)
    api.add_middleware(BearerGuard, token=token)  # outermost: strangers' bodies are never read
    api.add_exception_handler(CrosspostError, _project_error)  # type: ignore[arg-type]
    api.add_exception_handler(SQLAlchemyError, _database_error)  # type: ignore[arg-type]
    return api


async def _project_error(_request: Request, exc: CrosspostError) -> JSONResponse:
    if isinstance(exc, NotFoundError):
        return JSONResponse({"detail": str(exc)}, status_code=404)
    if isinstance(exc, ConflictError):
        return JSONResponse({"detail": str(exc)}, status_code=409)
    if isinstance(exc, InputError):
        return JSONResponse(
            {"detail": [{"loc": ["body"], "msg": str(exc), "type": "value_error"}]},
            status_code=422)
    if isinstance(exc, StoreError):
        return JSONResponse({"detail": f"database problem: {exc}"}, status_code=503)
    log.error("request failed", extra={"error": str(exc)})
    return JSONResponse({"detail": str(exc)}, status_code=500)


async def _database_error(_request: Request, exc: SQLAlchemyError) -> JSONResponse:
    log.error("database error", extra={"error": str(exc).splitlines()[0]})
    return JSONResponse({"detail": "database problem; try again later"}, status_code=503)
