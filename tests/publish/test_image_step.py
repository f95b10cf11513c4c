"""Images made ready before the claim: fetched once, fitted per platform, uploaded to X."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from bot.config.settings import FetchSettings
from bot.daemon.images import ImageStep
from bot.domain.models import Platform
from bot.domain.ports import ManualClock
from bot.ingest.fetch import Fetcher
from bot.ingest.image import ImageStore
from bot.publish.outbox import OutboxPublisher
from bot.publish.telegram import TelegramPublisher
from bot.publish.x import XPublisher
from tests.fakes.httpbase import FakeServer
from tests.ingest.server import PageServer, Route
from tests.publish.conftest import request_for

pytestmark = pytest.mark.anyio


@pytest.fixture
def pages() -> Iterator[PageServer]:
    """A local web server for the story images."""
    server = PageServer().start()
    yield server
    server.stop()


def jpeg() -> bytes:
    """A small JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (240, 180, 0)).save(out, "JPEG")
    return out.getvalue()


def step(*, allow_local: bool = True) -> ImageStep:
    """An image step whose fetcher may (or may not) reach the local server."""
    settings = FetchSettings(timeout=3.0, allow_hosts=["127.0.0.1"] if allow_local else [])
    return ImageStep(store=ImageStore(fetcher=Fetcher(settings=settings)))


async def test_one_fetch_serves_x_and_telegram(pages: PageServer, xp: XPublisher,
                                               x_server: FakeServer, tg: TelegramPublisher,
                                               telegram_server: FakeServer) -> None:
    """X gets a media id with the bytes and alt text; Telegram gets the same bytes; one fetch."""
    data = jpeg()
    pages.routes["/lead.jpg"] = Route(body=data, headers={"Content-Type": "image/jpeg"})
    images = step()
    url = pages.url("/lead.jpg")
    try:
        for_x = await images.prepare(url=url, alt_text="Crane over the harbour",
                                     platform=Platform.X, publisher=xp)
        for_tg = await images.prepare(url=url, alt_text=None, platform=Platform.TELEGRAM,
                                      publisher=tg)
    finally:
        images.close()
    assert len(pages.requests) == 1
    upload = x_server.app.media.uploads[for_x.media_ids[0]]
    assert upload.data == data and upload.alt_text == "Crane over the harbour"
    assert for_tg.photo == data
    await tg.publish(request_for(Platform.TELEGRAM, "Caption", image_url=url, photo=for_tg.photo))
    assert telegram_server.app.messages[-1]["x_photo"] == f"upload:{len(data)}"


async def test_private_address_is_an_error_not_an_exception(pages: PageServer,
                                                            xp: XPublisher) -> None:
    """An image on a private address is refused by the guard and reported, never raised."""
    pages.routes["/lead.jpg"] = Route(body=jpeg(), headers={"Content-Type": "image/jpeg"})
    images = step(allow_local=False)
    try:
        prepared = await images.prepare(url=pages.url("/lead.jpg"), alt_text=None,
                                        platform=Platform.X, publisher=xp)
    finally:
        images.close()
    assert prepared.failed and not prepared.transient and prepared.media_ids == ()
    assert "image not fetched" in (prepared.error or "") and pages.requests == []


async def test_dry_run_does_not_fetch(pages: PageServer, tmp_path: Path) -> None:
    """The outbox records the image URL; nothing is fetched for a dry run."""
    images = step()
    try:
        prepared = await images.prepare(url=pages.url("/lead.jpg"), alt_text=None,
                                        platform=Platform.X,
                                        publisher=OutboxPublisher(directory=tmp_path, echo=False,
                                                                  clock=ManualClock()))
    finally:
        images.close()
    assert prepared == prepared.__class__() and pages.requests == []
