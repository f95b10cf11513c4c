"""pytest fixtures that run the fake platforms on free ports in background threads.

Use with ``pytest_plugins = ["tests.fakes.fixtures"]`` (or import the fixtures). Each fixture yields
a started ``FakeServer``: ``server.url`` is its base URL and ``server.app`` its state
(``.messages`` / ``.tweets``, ``.requests``, ``.violations``, ``.faults``). The ``make_*`` factory
fixtures take a config and a fault plan; every server they start is stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.fakes.faults import FaultPlan
from tests.fakes.httpbase import FakeApp, FakeServer
from tests.fakes.telegram_server import TelegramFake
from tests.fakes.x_server import XFake

MakeTelegram = Callable[..., FakeServer]
MakeX = Callable[..., FakeServer]


def start_fake(app: FakeApp, *, host: str = "127.0.0.1", port: int = 0) -> FakeServer:
    """Start ``app`` on a (free) port in a background thread; call ``.stop()`` when done."""
    return FakeServer(app, host=host, port=port).start()


def _factory(app_class: type[TelegramFake] | type[XFake]) -> Iterator[Callable[..., FakeServer]]:
    """A factory starting fakes of ``app_class``; every server it started stops afterwards."""
    started: list[FakeServer] = []

    def make(config: object = None, faults: FaultPlan | None = None) -> FakeServer:
        server = start_fake(app_class(config, faults=faults))  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def make_telegram_server() -> Iterator[MakeTelegram]:
    """Factory: ``make_telegram_server(config=None, faults=None)`` → a started fake Bot API."""
    yield from _factory(TelegramFake)


@pytest.fixture
def telegram_server(make_telegram_server: MakeTelegram) -> FakeServer:
    """A fake Bot API with token ``123456:TEST-TOKEN`` and channel ``@news``, no faults."""
    return make_telegram_server()


@pytest.fixture
def make_x_server() -> Iterator[MakeX]:
    """Factory: ``make_x_server(config=None, faults=None)`` → a started fake X API v2."""
    yield from _factory(XFake)


@pytest.fixture
def x_server(make_x_server: MakeX) -> FakeServer:
    """A fake X API v2 with the default account (see ``XConfig``), no faults."""
    return make_x_server()
