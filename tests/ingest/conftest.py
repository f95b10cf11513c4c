"""Fixtures for ingestion tests: the local page server and fetch settings that may reach it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config.settings import FetchSettings
from tests.ingest.server import PageServer


@pytest.fixture
def server() -> Iterator[PageServer]:
    """A local HTTP server on 127.0.0.1 with no routes yet."""
    srv = PageServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def local_fetch() -> FetchSettings:
    """Fetch settings that allow 127.0.0.1 (the test server) and nothing else private."""
    return FetchSettings(timeout=3.0, allow_hosts=["127.0.0.1"])
