"""``api_service``: the HTTP API served by uvicorn inside the daemon's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

import uvicorn

from bot.api.app import create_api
from bot.api.metrics import Metrics
from bot.daemon.runtime import Runtime
from bot.domain.errors import ConfigError, CrosspostError

if TYPE_CHECKING:
    from bot.daemon.service import Daemon

log = logging.getLogger("crosspost.api")

HOOK_SECONDS = 1.0
STOP_SECONDS = 10.0


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the daemon owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Leave signals to the daemon."""
        yield


class ApiService:
    """Binds ``[api] host:port`` on start; serves until ``stop``."""

    def __init__(self, *, app: Runtime, alive: Callable[[], bool]) -> None:
        self.app = app
        self.metrics = Metrics(app, alive=alive)
        self.api = create_api(app, alive=alive, metrics=self.metrics)
        self.port: int | None = None
        self._server: _Server | None = None
        self._socket: socket.socket | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Listen (a busy port is a clear error) and serve in the background."""
        settings = self.app.settings.api
        try:
            infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM)
            family, _, _, _, address = infos[0]
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(address)
            except OSError:
                sock.close()
                raise
        except OSError as exc:
            raise CrosspostError(f"HTTP API cannot listen on {settings.host}:{settings.port}: "
                                 f"{exc.strerror or exc}") from exc
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.api, log_config=None, access_log=False, lifespan="off",
                                server_header=False, timeout_graceful_shutdown=5)
        self._server = _Server(config)
        self._tasks.append(asyncio.create_task(self._server.serve(sockets=[sock])))
        self._tasks.append(asyncio.create_task(self._keep_hooked()))
        while not self._server.started and not self._tasks[0].done():
            await asyncio.sleep(0.01)
        if self._tasks[0].done():
            await self._tasks[0]
        log.info("HTTP API listening", extra={"url": f"http://{settings.host}:{self.port}"})

    async def _keep_hooked(self) -> None:
        """The dispatcher is rebuilt on config reload; keep the latency hook on it."""
        while True:
            self.metrics.attach()
            await asyncio.sleep(HOOK_SECONDS)

    async def stop(self) -> None:
        """Finish open requests (briefly), then close the socket."""
        if self._server is not None:
            self._server.should_exit = True
        serving = self._tasks[0] if self._tasks else None
        for task in self._tasks[1:]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if serving is not None:
            try:
                await asyncio.wait_for(asyncio.shield(serving), STOP_SECONDS)
            except TimeoutError:
                assert self._server is not None
                self._server.force_exit = True
                await serving
        self._tasks.clear()
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def api_service(app: Runtime, daemon: Daemon) -> ApiService | None:
    """The HTTP server when ``[api] enabled`` or ``[web] enabled``; the API refuses to run
    without a token, the desk without a user."""
    api = app.settings.api
    web = app.settings.web
    if not api.enabled and not web.enabled:
        return None
    if api.enabled and (api.token is None or not api.token.get_secret_value().strip()):
        raise ConfigError(
            "the HTTP API is enabled but no token is set: set CROSSPOST_API__TOKEN "
            "(or [api] token), or set [api] enabled = false", key="api.token")
    if web.enabled and not web.users:
        raise ConfigError(
            "the web desk is enabled but has no users: add a [[web.users]] entry with a "
            "password_hash from `crosspost web hash-password`, or set [web] enabled = false",
            key="web.users")
    return ApiService(app=app, alive=lambda: daemon.alive)
