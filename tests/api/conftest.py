"""The real ``crosspost run`` process with ``[api] enabled``, on a free port, for the API tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.fakes.fixtures import start_fake
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN, TelegramFake

TOKEN = "s3cret-api-token"
MAX_BODY = 20_000


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(tmp: Path, *, port: int, telegram_url: str, api: str = "") -> Path:
    """Two dry-run targets and one live Telegram target whose channel does not exist."""
    config = tmp / "crosspost.toml"
    config.write_text(f"""
database_url = "sqlite:///{tmp / 'crosspost.db'}"
outbox_dir = "{tmp / 'outbox'}"
dry_run = true

[telegram]
api_base_url = "{telegram_url}"

[fetch]
allow_private_networks = true
timeout = 5

[api]
enabled = true
host = "127.0.0.1"
port = {port}
max_body_bytes = {MAX_BODY}
{api}

[schedules.default]
min_interval = "0s"

[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"

[[targets]]
name = "xa"
platform = "x"

[[targets]]
name = "live"
platform = "telegram"
chat = "@missing"
dry_run = false
""", encoding="utf-8")
    return config


def crosspost_env(**extra: str) -> dict[str, str]:
    """The environment for a ``crosspost`` subprocess (no stray CROSSPOST_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSPOST_")}
    env.update(extra)
    return env


@dataclass
class RunningApi:
    """A started ``crosspost run``: its base URL, an authorised client and the fake Telegram."""

    url: str
    client: httpx.Client
    process: subprocess.Popen[bytes]
    log: Path
    telegram: FakeServer

    def wait_for(self, article_id: int, state: str, timeout: float = 15.0) -> dict[str, object]:
        """The story once its overall state is ``state`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            data = self.client.get(f"/api/articles/{article_id}").json()
            if data["state"] == state or time.monotonic() > deadline:
                assert data["state"] == state, data
                return dict(data)
            time.sleep(0.1)


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``/healthz`` until it answers 200 (or the process dies)."""
    deadline = time.monotonic() + 30
    with httpx.Client(base_url=url, timeout=2) as probe:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"crosspost run exited: {log.read_text()}")
            try:
                if probe.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise AssertionError(f"API never became healthy: {log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then the exit code (killed after 20 s)."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


@pytest.fixture(scope="package")
def running_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """``crosspost run`` with the API on a free port; stopped with SIGTERM afterwards."""
    tmp = tmp_path_factory.mktemp("api")
    telegram = start_fake(TelegramFake())
    port = free_port()
    config = write_config(tmp, port=port, telegram_url=telegram.url)
    log = tmp / "crosspost.log"
    env = crosspost_env(CROSSPOST_API__TOKEN=TOKEN, CROSSPOST_TELEGRAM__BOT_TOKEN=DEFAULT_TOKEN)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "-v", "--config", str(config), "run"],
            cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        wait_healthy(url, process, log)
        yield RunningApi(url=url, client=client, process=process, log=log, telegram=telegram)
    finally:
        client.close()
        code = stop(process) if process.poll() is None else process.returncode
        telegram.stop()
        assert code == 0, log.read_text()
