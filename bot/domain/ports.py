"""Ports: what the core needs from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.domain.models import Platform, Post, PublishReceipt


class Clock(Protocol):
    """Tells the time; injected so tests can travel through days in milliseconds."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock that moves only when told to."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 5, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        """The current (frozen) time."""
        return self.current

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        from datetime import timedelta

        self.current = self.current + timedelta(seconds=seconds)


PartSent = Callable[[int, str], Awaitable[None]]


@dataclass(frozen=True)
class PublishRequest:
    """Everything a publisher needs to send one delivery.

    ``link_preview`` is one of ``off``, ``small``, ``large``, ``above`` (Telegram only);
    ``plain_text`` asks for the text without parse mode (after "can't parse entities").
    ``already_sent`` holds the platform ids of parts sent by an earlier attempt (a thread cut by
    a crash resumes after them); ``on_part_sent(index, post_id)`` is awaited after each part so
    the caller can record progress before the next part leaves. ``media_ids`` are the
    platform's ids of media uploaded beforehand, attached to the first part (X); ``photo`` is
    the image's bytes, fetched once, sent in place of the URL (Telegram); ``drop_image`` sends
    the post without its image (the image could not be had).
    """

    delivery_id: int
    article_id: int
    target: str
    platform: Platform
    chat: str
    url: str
    post: Post
    already_sent: tuple[str, ...] = ()
    plain_text: bool = False
    link_preview: str = "small"
    on_part_sent: PartSent | None = None
    media_ids: tuple[str, ...] = ()
    photo: bytes | None = None
    drop_image: bool = False


class Publisher(Protocol):
    """Sends posts to one platform (or the outbox). Raises ``PublishError`` kinds on failure.

    ``reconciles`` says whether ``find_published`` can answer (X, the outbox) or not (Telegram).
    """

    reconciles: bool

    async def publish(self, request: PublishRequest) -> PublishReceipt:
        """Send every part of ``request.post`` not yet sent; return the ids."""
        ...

    async def find_published(self, request: PublishRequest) -> PublishReceipt | None:
        """Look for a post an uncertain attempt may have made.

        Returns the receipt if found, ``None`` if the platform surely lacks it; raises
        ``NotImplementedError`` where the platform cannot be asked (Telegram channels).
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
