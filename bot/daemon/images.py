"""A delivery's image, made ready before the delivery is claimed.

The story's image is fetched once (``ImageStore``), fitted to the target's platform, and — for
X — uploaded, so that only the post itself sits inside the exactly-once claim. Every failure
becomes a ``PreparedImage`` with an ``error`` the dispatcher records on the delivery; the post
then goes without the image, or fails when the target says ``on_image_error = "fail"``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.domain.errors import ImageError
from bot.domain.images import TELEGRAM_PHOTO_LIMITS, X_IMAGE_LIMITS, ImageFile
from bot.domain.models import Platform
from bot.ingest.image import ImageStore

log = logging.getLogger("crosspost.images")


@runtime_checkable
class MediaUploading(Protocol):
    """A publisher that uploads media before posting (X)."""

    async def upload_image(self, image: ImageFile, alt_text: str | None = None) -> str:
        """The platform's media id for ``image``; ``ImageError`` when it cannot be had."""
        ...


@runtime_checkable
class PhotoSending(Protocol):
    """A publisher that sends a photo's bytes with the first part (Telegram)."""

    sends_photo_bytes: bool


@dataclass(frozen=True)
class PreparedImage:
    """What goes with the post: X media ids, or a photo's bytes; or why nothing does."""

    media_ids: tuple[str, ...] = ()
    photo: bytes | None = None
    error: str | None = None
    transient: bool = False

    @property
    def failed(self) -> bool:
        """True when the story has an image the post cannot carry."""
        return self.error is not None


NOTHING = PreparedImage()


class ImageStep:
    """Fetches, fits and uploads story images for the dispatcher (one per service)."""

    def __init__(self, *, store: ImageStore) -> None:
        self.store = store

    async def prepare(self, *, url: str | None, alt_text: str | None, platform: Platform,
                      publisher: object) -> PreparedImage:
        """The image of one delivery, ready for ``publisher``; never raises ``ImageError``."""
        if not url:
            return NOTHING
        try:
            if platform is Platform.X and isinstance(publisher, MediaUploading):
                image = await self.store.fitted(url, X_IMAGE_LIMITS)
                return PreparedImage(media_ids=(await publisher.upload_image(image, alt_text),))
            if isinstance(publisher, PhotoSending) and publisher.sends_photo_bytes:
                image = await self.store.fitted(url, TELEGRAM_PHOTO_LIMITS)
                return PreparedImage(photo=image.data)
        except ImageError as exc:
            log.info("image not attached", extra={"url": url, "error": str(exc)})
            return PreparedImage(error=str(exc), transient=exc.transient)
        except Exception as exc:  # a bug or a closed pool must not cost the post
            log.exception("image step failed", extra={"url": url})
            return PreparedImage(error=f"image step failed: {exc!r}", transient=True)
        return NOTHING  # the outbox (dry run) records the URL as it is

    def close(self) -> None:
        """Close the image fetcher."""
        self.store.close()
