"""The X adapter's v2 media upload against the fake X API, with the real tweepy client over HTTP."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.domain.errors import ImageError
from bot.domain.images import ImageFile
from bot.domain.models import Platform
from bot.ingest.image import read_image
from bot.publish import x_media
from bot.publish.x import XPublisher
from bot.publish.x_media import cut_alt_text
from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeX
from tests.fakes.httpbase import FakeServer
from tests.publish.conftest import request_for, x_publisher

pytestmark = pytest.mark.anyio


def picture(width: int = 120, height: int = 80, fmt: str = "PNG") -> ImageFile:
    """A small image as the image store hands it over."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, fmt)
    return read_image(out.getvalue())


async def test_image_goes_up_and_the_post_carries_it(xp: XPublisher, x_server: FakeServer) -> None:
    """INIT/APPEND/FINALIZE and metadata leave the bytes and alt text with X; the post has the id."""
    image = picture()
    media_id = await xp.upload_image(image, "Rescuers on the bridge")
    receipt = await xp.publish(request_for(Platform.X, "Bridge reopens", media_ids=(media_id,)))
    upload = x_server.app.media.uploads[media_id]
    assert upload.data == image.data and upload.alt_text == "Rescuers on the bridge"
    tweet = x_server.app.tweets[0]
    assert tweet["id"] == receipt.post_ids[0] and tweet["media_ids"] == [media_id]
    commands = [r.get("command") for r in x_server.app.requests if r["path"].startswith("/2/media")]
    assert commands == ["INIT", "APPEND", "FINALIZE", "METADATA"]


async def test_only_the_first_part_of_a_thread_has_the_image(xp: XPublisher,
                                                             x_server: FakeServer) -> None:
    """In a thread the picture goes with the first post only."""
    media_id = await xp.upload_image(picture())
    await xp.publish(request_for(Platform.X, "1/2 first", "2/2 second", media_ids=(media_id,)))
    assert [t["media_ids"] for t in x_server.app.tweets] == [[media_id], None]


async def test_large_image_goes_in_several_segments(xp: XPublisher, x_server: FakeServer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An image larger than one segment is appended in order and reassembled byte for byte."""
    monkeypatch.setattr(x_media, "CHUNK_BYTES", 1000)
    out = io.BytesIO()
    Image.effect_noise((200, 200), 60).save(out, "PNG")
    image = read_image(out.getvalue())
    media_id = await xp.upload_image(image)
    assert x_server.app.media.uploads[media_id].data == image.data
    appends = [r for r in x_server.app.requests if r.get("command") == "APPEND"]
    assert len(appends) == -(-image.size // 1000) > 10


async def test_refusal_is_a_permanent_image_error(xp: XPublisher) -> None:
    """Bytes X does not take ("media type unrecognized.") are an ImageError, not transient."""
    fake = ImageFile(b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png", 1, 1)
    with pytest.raises(ImageError, match="media type unrecognized") as caught:
        await xp.upload_image(fake)
    assert not caught.value.transient


async def test_faults_on_uploads_are_retried(make_x_server: MakeX) -> None:
    """503s, 429s and dropped connections during an upload are retried; one media id results."""
    server = make_x_server()
    server.app.media.configure({"media_faults": {"next": ["5xx", "drop_before", "429", "drop_after",
                                                          "none", "5xx"]}})
    xp = x_publisher(server, read_timeout=2.0)
    try:
        image = picture()
        media_id = await xp.upload_image(image, "alt")
        await xp.publish(request_for(Platform.X, "After the storm", media_ids=(media_id,)))
    finally:
        await xp.aclose()
    assert server.app.media.uploads[media_id].data == image.data
    assert server.app.tweets[0]["media_ids"] == [media_id]
    assert server.app.violations == []  # the 429's reset was honoured


async def test_lasting_outage_is_a_transient_image_error(make_x_server: MakeX) -> None:
    """When every upload request fails, the error says so and may be tried again later."""
    server = make_x_server(None, FaultPlan(rate=1.0, kinds=("5xx",)))
    xp = x_publisher(server)
    xp._media._sleep = lambda _s: None
    try:
        with pytest.raises(ImageError, match="failed after 8 tries") as caught:
            await xp.upload_image(picture())
        assert caught.value.transient
    finally:
        await xp.aclose()


async def test_processing_is_waited_for(make_x_server: MakeX) -> None:
    """When FINALIZE says the media is processing, STATUS is polled until it succeeds."""
    server = make_x_server()
    server.app.media.configure({"media_processing_seconds": 1})
    xp = x_publisher(server, read_timeout=2.0)
    try:
        media_id = await xp.upload_image(picture())
        await xp.publish(request_for(Platform.X, "Processed", media_ids=(media_id,)))
    finally:
        await xp.aclose()
    assert any(r.get("command") == "STATUS" for r in server.app.requests)
    assert server.app.tweets[0]["media_ids"] == [media_id]


async def test_a_refused_media_id_posts_without_it(xp: XPublisher, x_server: FakeServer) -> None:
    """X refuses a media id it never issued (400, no post); the text goes once, without it."""
    receipt = await xp.publish(request_for(Platform.X, "Ghost picture", media_ids=("123",)))
    assert receipt.media_ids == () and "media IDs are invalid" in (receipt.image_error or "")
    assert [(t["text"], t["media_ids"]) for t in x_server.app.tweets] == [("Ghost picture", None)]
    refused = [r for r in x_server.app.requests if r["path"] == "/2/tweets"]
    assert [r["status"] for r in refused] == [400, 201]


def test_alt_text_is_cut_to_1000_characters() -> None:
    """Long alt text is cut at a word to at most 1000 characters and marked with an ellipsis."""
    cut = cut_alt_text("word " * 400)
    assert len(cut) <= 1000 and cut.endswith("word…")
    assert cut_alt_text("  short   text ") == "short text"
