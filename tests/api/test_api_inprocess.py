"""API pieces that need a broken database, a stopped scheduler or a bad config."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine

from bot.api.app import create_api
from bot.api.auth import token_ok
from bot.api.server import api_service
from bot.domain.errors import ConfigError
from bot.wiring import build_app
from tests.conftest import make_settings


def get(api: Any, path: str) -> httpx.Response:
    """One GET through the ASGI app, in-process."""

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.get(path)

    return asyncio.run(call())


def test_healthz_is_503_when_the_scheduler_is_stopped(tmp_path: Path) -> None:
    """A stopped scheduler makes /healthz answer 503 and say so."""
    app = build_app(make_settings(tmp_path, api={"token": "t"}))
    try:
        answer = get(create_api(app, alive=lambda: False), "/healthz")
    finally:
        app.dispose()
    assert answer.status_code == 503
    assert answer.json() == {"ok": False, "database": "ok", "scheduler": "stopped"}


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """A database that cannot be opened makes /healthz answer 503 naming it."""
    app = build_app(make_settings(tmp_path, api={"token": "t"}))
    app.dispose()
    app.engine = create_engine(f"sqlite:///{tmp_path}/missing/dir/none.db")
    try:
        answer = get(create_api(app, alive=lambda: True), "/healthz")
    finally:
        app.dispose()
    assert answer.status_code == 503
    assert answer.json()["database"].startswith("unreachable")
    assert answer.json()["scheduler"] == "alive"


def test_enabled_api_without_token_refuses_to_start(tmp_path: Path) -> None:
    """``[api] enabled`` with no token is a config error naming the key, not an open API."""
    app = build_app(make_settings(tmp_path, api={"enabled": True}))
    try:
        with pytest.raises(ConfigError, match=r"api\.token: the HTTP API is enabled but no token"):
            api_service(app, SimpleNamespace(alive=True))  # type: ignore[arg-type]
    finally:
        app.dispose()


def test_disabled_api_is_no_service(tmp_path: Path) -> None:
    """Without ``[api] enabled`` the daemon gets no API service."""
    app = build_app(make_settings(tmp_path))
    try:
        assert api_service(app, SimpleNamespace(alive=True)) is None  # type: ignore[arg-type]
    finally:
        app.dispose()


@pytest.mark.parametrize(("header", "expected", "ok"), [
    ("Bearer abc", "abc", True), ("bearer abc", "abc", True), ("Bearer abd", "abc", False),
    ("Bearer abc", None, False), (None, "abc", False), ("Token abc", "abc", False),
    ("Bearer ab", "abc", False), ("Bearer ñ", "abc", False),
])
def test_token_check(header: str | None, expected: str | None, ok: bool) -> None:
    """Only ``Bearer <token>`` passes; no token configured means nobody passes."""
    assert token_ok(header, expected) is ok


def test_crosspost_run_without_api_token_exits_with_config_error(tmp_path: Path) -> None:
    """``crosspost run`` with ``[api] enabled`` and no token stops at once: exit 2, one line."""
    import subprocess
    import sys

    from tests.api.conftest import crosspost_env, free_port, write_config

    config = write_config(tmp_path, port=free_port(), telegram_url="http://127.0.0.1:9")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config), "run"], cwd=tmp_path,
        env=crosspost_env(CROSSPOST_TELEGRAM__BOT_TOKEN="1:x"), capture_output=True, text=True,
        timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"config error: {config}: api.token: the HTTP API is enabled but no")
