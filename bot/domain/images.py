"""What a story image is, and what each platform takes: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageFile:
    """An image's bytes, its media type (from the bytes) and its size in pixels."""

    data: bytes
    media_type: str
    width: int
    height: int
    animated: bool = False

    @property
    def size(self) -> int:
        """Bytes."""
        return len(self.data)


@dataclass(frozen=True)
class ImageLimits:
    """What a platform takes: bytes, and the longest side in pixels."""

    max_bytes: int
    max_side: int


X_IMAGE_LIMITS = ImageLimits(max_bytes=5 * 1024 * 1024, max_side=4096)
"""X takes images up to 5 MB and shows at most 4096 px on the long side: larger is wasted."""
TELEGRAM_PHOTO_LIMITS = ImageLimits(max_bytes=10 * 1024 * 1024, max_side=2560)
"""Telegram takes photos up to 10 MB and recompresses them to 2560 px on the long side."""
