"""Fixtures of the publishing tests: the fake servers, and adapters pointed at them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.domain.models import Platform, Post
from bot.domain.ports import PublishRequest
from bot.publish.telegram import TelegramPublisher
from bot.publish.x import XPublisher
from tests.fakes.fixtures import (  # noqa: F401  (fixtures)
    make_telegram_server,
    make_x_server,
    telegram_server,
    x_server,
)
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN


@pytest.fixture
def anyio_backend() -> str:
    """Run async tests on asyncio (python-telegram-bot needs it)."""
    return "asyncio"


def tg_publisher(server: FakeServer | str, **overrides: Any) -> TelegramPublisher:
    """A Telegram adapter talking to a fake (or any URL), with short timeouts."""
    url = server if isinstance(server, str) else server.url
    options: dict[str, Any] = {"token": DEFAULT_TOKEN, "api_base_url": url, "read_timeout": 0.5}
    options.update(overrides)
    return TelegramPublisher(**options)


def x_publisher(server: FakeServer | str, **overrides: Any) -> XPublisher:
    """An X adapter with the fake's default account, with short timeouts."""
    url = server if isinstance(server, str) else server.url
    options: dict[str, Any] = {
        "consumer_key": "test-consumer-key",
        "consumer_secret": "test-consumer-secret",
        "access_token": "1000-test-access-token",
        "access_token_secret": "test-access-secret",
        "api_base_url": url,
        "read_timeout": 0.5,
    }
    options.update(overrides)
    return XPublisher(**options)


def request_for(
    platform: Platform, *parts: str, chat: str = "@news", **fields: Any
) -> PublishRequest:
    """A publish request of ``parts`` (``image_url`` goes to the post, the rest to the request)."""
    post = Post(platform=platform, parts=parts, image_url=fields.pop("image_url", None))
    return PublishRequest(
        delivery_id=1,
        article_id=1,
        target="t",
        platform=platform,
        chat=chat,
        url="https://example.org/story",
        post=post,
        **fields,
    )


@pytest.fixture
async def tg(telegram_server: FakeServer, anyio_backend: str) -> AsyncIterator[TelegramPublisher]:  # noqa: F811
    """A Telegram adapter on the default fake; closed after the test."""
    publisher = tg_publisher(telegram_server)
    yield publisher
    await publisher.aclose()


@pytest.fixture
async def xp(x_server: FakeServer, anyio_backend: str) -> AsyncIterator[XPublisher]:  # noqa: F811
    """An X adapter on the default fake; closed after the test."""
    publisher = x_publisher(x_server)
    yield publisher
    await publisher.aclose()
