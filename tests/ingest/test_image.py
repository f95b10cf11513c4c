"""Story images: fetched through the guard once, judged by their bytes, fitted to a platform."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from bot.config.settings import FetchSettings
from bot.domain.errors import ImageError
from bot.domain.images import X_IMAGE_LIMITS, ImageFile, ImageLimits
from bot.ingest.fetch import Fetcher
from bot.ingest.image import ImageStore, fit, read_image
from tests.ingest.server import PageServer, Route

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    """The store runs on asyncio."""
    return "asyncio"


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """``image`` saved in ``fmt``."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def noisy_png(width: int, height: int, seed: int = 1) -> bytes:
    """A PNG of random pixels: it compresses badly, so it is big on disk."""
    noise = random.Random(seed).randbytes(width * height * 3)
    return encode(Image.frombytes("RGB", (width, height), noise), "PNG", compress_level=1)


@pytest.mark.parametrize(("fmt", "media_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"),
                                                  ("WEBP", "image/webp"), ("GIF", "image/gif")])
def test_the_four_formats_are_known_by_their_bytes(fmt: str, media_type: str) -> None:
    """JPEG, PNG, WebP and GIF are recognised from their bytes, with their size in pixels."""
    image = read_image(encode(Image.new("RGB", (30, 20), "blue"), fmt))
    assert (image.media_type, image.width, image.height) == (media_type, 30, 20)


@pytest.mark.parametrize("data", [b"%PDF-1.7 a document", b"<html>a page</html>",
                                  b"BM" + bytes(60), b"\x89PNG\r\n\x1a\n" + bytes(40)])
def test_what_is_not_a_usable_image_is_refused(data: bytes) -> None:
    """A PDF, a page, a BMP and a truncated PNG are refused with a reason."""
    with pytest.raises(ImageError):
        read_image(data)


def test_an_image_within_limits_is_untouched() -> None:
    """Within the limits the very same bytes go up: no needless re-encoding."""
    image = read_image(encode(Image.new("RGB", (800, 600), "red"), "JPEG"))
    assert fit(image, X_IMAGE_LIMITS) is image


def test_a_30_mb_png_is_scaled_under_5_mb() -> None:
    """A 30 MB noisy PNG comes back as a JPEG of at most 5 MB, same aspect ratio."""
    data = noisy_png(3200, 3200)
    assert len(data) > 30_000_000
    fitted = fit(read_image(data), X_IMAGE_LIMITS)
    assert fitted.media_type == "image/jpeg"
    assert fitted.size <= X_IMAGE_LIMITS.max_bytes
    assert fitted.width == fitted.height and fitted.width <= 3200
    assert read_image(fitted.data).width == fitted.width


def test_long_side_is_capped_and_transparency_kept() -> None:
    """A wide PNG with transparency is scaled to the long-side limit and stays a PNG."""
    image = read_image(encode(Image.new("RGBA", (3000, 1000), (0, 0, 0, 0)), "PNG"))
    fitted = fit(image, ImageLimits(max_bytes=5_000_000, max_side=1500))
    assert (fitted.media_type, fitted.width, fitted.height) == ("image/png", 1500, 500)


def test_an_animation_over_the_limits_is_refused() -> None:
    """Animated GIFs are not re-encoded: over the limits they are refused, not flattened."""
    frames = [Image.new("RGB", (400, 400), c) for c in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    image = read_image(out.getvalue())
    assert image.animated
    with pytest.raises(ImageError, match="animated"):
        fit(image, ImageLimits(max_bytes=100, max_side=4096))


async def test_store_fetches_each_url_once(server: PageServer, local_fetch: FetchSettings) -> None:
    """Three targets asking for one image cause one fetch; the image is checked by its bytes."""
    data = encode(Image.new("RGB", (64, 48), "green"), "PNG")
    server.routes["/lead.jpg"] = Route(body=data, headers={"Content-Type": "image/jpeg"})
    store = ImageStore(fetcher=Fetcher(settings=local_fetch))
    try:
        url = server.url("/lead.jpg")
        first = await store.get(url)
        assert isinstance(first, ImageFile) and first.media_type == "image/png"
        assert await store.get(url) is first
        assert (await store.fitted(url, X_IMAGE_LIMITS)).data == data
        assert store.fetches == 1 and len(server.requests) == 1
    finally:
        store.close()


async def test_store_refuses_private_addresses(server: PageServer) -> None:
    """Without an allowance, an image on a private address is refused by the SSRF guard."""
    server.routes["/lead.png"] = Route(body=encode(Image.new("RGB", (8, 8)), "PNG"),
                                       headers={"Content-Type": "image/png"})
    store = ImageStore(fetcher=Fetcher(settings=FetchSettings(timeout=3.0)))
    try:
        with pytest.raises(ImageError, match="image not fetched"):
            await store.get(server.url("/lead.png"))
        with pytest.raises(ImageError):  # remembered: no second try for the next target
            await store.get(server.url("/lead.png"))
        assert server.requests == [] and store.fetches == 1
    finally:
        store.close()


async def test_store_refuses_a_page_posing_as_an_image(server: PageServer,
                                                       local_fetch: FetchSettings) -> None:
    """An ``.jpg`` URL that serves HTML is refused by its bytes, not trusted by its name."""
    server.routes["/photo.jpg"] = Route(body=b"<html>login</html>",
                                        headers={"Content-Type": "application/octet-stream"})
    store = ImageStore(fetcher=Fetcher(settings=local_fetch))
    try:
        with pytest.raises(ImageError, match="not a JPEG, PNG, WebP or GIF"):
            await store.get(server.url("/photo.jpg"))
    finally:
        store.close()


async def test_store_has_its_own_size_cap(server: PageServer, local_fetch: FetchSettings) -> None:
    """An image over the store's byte cap is refused while reading."""
    server.routes["/big.png"] = Route(body=noisy_png(200, 200), headers={"Content-Type": "image/png"})
    store = ImageStore(fetcher=Fetcher(settings=local_fetch), max_bytes=10_000)
    try:
        with pytest.raises(ImageError, match="too large"):
            await store.get(server.url("/big.png"))
    finally:
        store.close()


async def test_a_server_error_is_transient(server: PageServer, local_fetch: FetchSettings) -> None:
    """A 503 from the image host may pass, unlike a refusal by the guard or by the bytes."""
    server.routes["/busy.jpg"] = Route(status=503, body=b"busy", headers={"Content-Type": "text/plain"})
    store = ImageStore(fetcher=Fetcher(settings=local_fetch))
    try:
        with pytest.raises(ImageError, match="HTTP 503") as caught:
            await store.get(server.url("/busy.jpg"))
        assert caught.value.transient
    finally:
        store.close()


async def test_store_survives_a_reload(server: PageServer, local_fetch: FetchSettings) -> None:
    """Closed by a config reload, the store opens again; new fetch settings apply, the cache stays."""
    data = encode(Image.new("RGB", (16, 16), "red"), "PNG")
    server.routes["/a.png"] = Route(body=data, headers={"Content-Type": "image/png"})
    server.routes["/b.png"] = Route(body=data, headers={"Content-Type": "image/png"})
    store = ImageStore(fetcher=Fetcher(settings=local_fetch))
    try:
        first = await store.get(server.url("/a.png"))
        store.close()
        assert await store.get(server.url("/b.png")) == first  # opened again
        store.use(FetchSettings(timeout=3.0), max_bytes=1_000_000)  # 127.0.0.1 no longer allowed
        assert await store.get(server.url("/a.png")) is first  # still cached
        with pytest.raises(ImageError, match="image not fetched"):
            await store.get(server.url("/a.png?fresh"))
        assert store.max_bytes == 1_000_000 and len(server.requests) == 2
    finally:
        store.close()
