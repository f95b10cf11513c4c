"""Puts the desk on the API's FastAPI app: its pages at ``/`` and its own static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.daemon.runtime import Runtime
from bot.web import actions, pages, signin
from bot.web.context import Desk

STATIC = Path(__file__).parent / "static"


def mount_desk(api: FastAPI, app: Runtime) -> Desk:
    """Serve the desk from ``api`` (the HTTP API keeps ``/api``)."""
    desk = Desk(app=app)
    api.state.desk = desk
    api.include_router(signin.router)
    api.include_router(pages.router)
    api.include_router(actions.router)
    api.mount("/static", StaticFiles(directory=STATIC), name="desk-static")
    return desk
