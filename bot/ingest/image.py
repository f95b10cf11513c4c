"""A story's image: fetched once through the guarded fetcher, checked by its bytes, fitted to a
platform's limits with Pillow.

``ImageStore.get(url)`` fetches an image (SSRF rules, timeouts, a size cap of its own), keeps
it for the run (by URL, within a byte budget) and answers every later ask from memory, so a
story posted to three targets is fetched once. A failure is remembered for a few minutes too.
``fit(image, limits)`` returns the bytes unchanged when they are within the platform's limits,
else a scaled, re-encoded copy (JPEG, or PNG when the image has transparency).
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING

from bot.config.settings import FetchSettings
from bot.domain.errors import FetchError, ImageError
from bot.domain.images import ImageFile, ImageLimits
from bot.ingest.fetch import Fetcher
from bot.ingest.sniff import image_type

if TYPE_CHECKING:
    from PIL import Image

MAX_DECODE_PIXELS = 64_000_000
"""Larger images are refused before decoding (a decompression bomb, or no photo a post needs)."""
FAILURE_MEMORY_SECONDS = 300.0
TRANSIENT_MEMORY_SECONDS = 30.0
_PASSING = ("timed out", "too slow", "cannot connect", "connection broke", "HTTP 5")
"""Fetch failures a later try may not meet (the host was slow, down, or answered 5xx)."""


def read_image(data: bytes) -> ImageFile:
    """Check ``data`` is a JPEG, PNG, WebP or GIF (by its bytes) that decodes; ``ImageError`` if not."""
    from PIL import Image, UnidentifiedImageError  # Pillow loads only when an image comes

    media_type = image_type(data[:16])
    if media_type is None:
        raise ImageError("not a JPEG, PNG, WebP or GIF image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_DECODE_PIXELS:
                raise ImageError(f"image too large to handle ({width}×{height} pixels; "
                                 f"the limit is {MAX_DECODE_PIXELS:,})")
            animated = bool(getattr(image, "is_animated", False))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"broken {media_type.removeprefix('image/').upper()} image ({exc})") from exc
    return ImageFile(data, media_type, width, height, animated)


def within(image: ImageFile, limits: ImageLimits) -> bool:
    """True when the platform takes the image as it is."""
    return image.size <= limits.max_bytes and max(image.width, image.height) <= limits.max_side


def fit(image: ImageFile, limits: ImageLimits) -> ImageFile:
    """The image as it is when within ``limits``, else scaled and re-encoded until it is."""
    if within(image, limits):
        return image
    from PIL import Image, ImageOps

    if image.animated:
        raise ImageError(f"animated GIF over the platform's limits ({image.size:,} bytes, "
                         f"{image.width}×{image.height}); animations are not re-encoded")
    with Image.open(io.BytesIO(image.data)) as opened:
        picture = ImageOps.exif_transpose(opened)
        picture.load()
    alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
    picture = picture.convert("RGBA" if alpha else "RGB")
    scale = min(1.0, limits.max_side / max(picture.size))
    for _ in range(8):
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        resized = picture if size == picture.size else picture.resize(size, Image.Resampling.LANCZOS)
        data = _encode(resized, alpha)
        if len(data) <= limits.max_bytes:
            return ImageFile(data, "image/png" if alpha else "image/jpeg", *resized.size)
        scale *= max(0.5, min(0.9, (limits.max_bytes / len(data)) ** 0.5 * 0.95))
    raise ImageError(f"could not bring the image under {limits.max_bytes:,} bytes")


def _encode(picture: Image.Image, alpha: bool) -> bytes:
    out = io.BytesIO()
    if alpha:
        picture.save(out, "PNG", optimize=True)
    else:
        picture.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


class ImageStore:
    """Fetches story images through the guarded fetcher, once per URL for the run."""

    def __init__(self, *, fetcher: Fetcher, max_bytes: int = 50_000_000,
                 budget_bytes: int = 64_000_000) -> None:
        self._fetcher: Fetcher | None = fetcher
        self._settings = fetcher.settings
        self._swap = threading.Lock()
        self.max_bytes = max_bytes
        self._budget = budget_bytes
        self._images: OrderedDict[str, ImageFile] = OrderedDict()
        self._fitted: dict[tuple[str, ImageLimits], ImageFile] = {}
        self._failed: dict[str, tuple[float, ImageError]] = {}
        self._pending: dict[str, asyncio.Future[ImageFile]] = {}
        self.fetches = 0

    async def get(self, url: str) -> ImageFile:
        """The image at ``url`` (fetched now, or remembered); ``ImageError`` with the reason."""
        if url in self._images:
            self._images.move_to_end(url)
            return self._images[url]
        failed = self._failed.get(url)
        if failed is not None and failed[0] > time.monotonic():
            raise failed[1]
        if url in self._pending:  # another target asked for it a moment ago: share that fetch
            return await asyncio.shield(self._pending[url])
        future: asyncio.Future[ImageFile] = asyncio.get_running_loop().create_future()
        self._pending[url] = future
        try:
            image = await asyncio.to_thread(self._fetch, url)
        except ImageError as exc:
            memory = TRANSIENT_MEMORY_SECONDS if exc.transient else FAILURE_MEMORY_SECONDS
            self._failed[url] = (time.monotonic() + memory, exc)
            future.set_exception(exc)
            future.exception()  # retrieved: a future nobody else awaited must not warn
            raise
        finally:
            self._pending.pop(url, None)
        self._keep(url, image)
        future.set_result(image)
        return image

    async def fitted(self, url: str, limits: ImageLimits) -> ImageFile:
        """The image at ``url`` within ``limits`` (scaled once per URL and platform)."""
        image = await self.get(url)
        key = (url, limits)
        if key not in self._fitted:
            self._fitted[key] = await asyncio.to_thread(fit, image, limits)
        return self._fitted[key]

    def use(self, settings: FetchSettings, max_bytes: int) -> None:
        """Fetch with these settings from the next fetch on (a config reload); the cache stays."""
        with self._swap:
            if settings != self._settings:
                self._settings = settings
                if self._fetcher is not None:
                    self._fetcher.close()
                    self._fetcher = None
            self.max_bytes = max_bytes

    def _current(self) -> Fetcher:
        with self._swap:
            if self._fetcher is None:  # closed, or settings changed: open one again
                self._fetcher = Fetcher(settings=self._settings)
            return self._fetcher

    def _fetch(self, url: str) -> ImageFile:
        self.fetches += 1
        try:
            fetched = self._current().get(url, kind="image", max_bytes=self.max_bytes)
        except FetchError as exc:
            transient = any(word in str(exc) for word in _PASSING)
            raise ImageError(f"image not fetched: {exc}", transient=transient) from exc
        if fetched.status != 200:
            raise ImageError(f"image not fetched: {url}: HTTP {fetched.status}")
        try:
            return read_image(fetched.body)
        except ImageError as exc:
            raise ImageError(f"{url}: {exc}") from exc

    def _keep(self, url: str, image: ImageFile) -> None:
        self._images[url] = image
        while sum(i.size for i in self._images.values()) > self._budget and len(self._images) > 1:
            old, _ = self._images.popitem(last=False)
            for key in [k for k in self._fitted if k[0] == old]:
                del self._fitted[key]

    def close(self) -> None:
        """Close the fetcher's connections (a later fetch opens them again)."""
        with self._swap:
            if self._fetcher is not None:
                self._fetcher.close()
                self._fetcher = None
