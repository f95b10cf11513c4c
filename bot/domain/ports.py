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


@dataclass(frozen=True)
class ReviseRequest:
    """Everything a publisher needs to correct or remove the posts of one delivery.

    ``post_ids`` are the delivery's posts in order (a thread's parts; a photo, then its
    follow-up). For an edit, ``post`` holds the new parts (part *i* replaces post *i*) and
    ``photo`` says the first post is a photo whose caption is edited; for a reply, ``post`` is
    the correction; ``media_id`` is the image an X post carries, kept by its edit. ``done``
    holds what an earlier attempt finished (edited ids, deleted ids); ``check_first`` says that
    attempt's outcome was unknown, so the platform is asked before anything is done again where
    it can be asked. ``on_step(index, post_id)`` is awaited after each post is handled.
    """

    revision_id: int
    delivery_id: int
    target: str
    platform: Platform
    chat: str
    post_ids: tuple[str, ...]
    post: Post | None = None
    photo: bool = False
    done: tuple[str, ...] = ()
    check_first: bool = False
    link_preview: str = "small"
    media_id: str | None = None
    on_step: PartSent | None = None


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

    async def edit(self, request: ReviseRequest) -> tuple[str, ...]:
        """Replace the text of every post in ``request.post_ids``; returns the posts' ids after
        the edit (X gives an edited post a new id). "Not modified" counts as done; raises
        ``EditRefusedError`` where the platform will not edit."""
        ...

    async def reply(self, request: ReviseRequest) -> str:
        """Post ``request.post`` as a reply to the first post; returns the reply's id."""
        ...

    async def find_reply(self, request: ReviseRequest) -> str | None:
        """The id of a reply with ``request.post``'s text an uncertain attempt may have made,
        ``None`` if surely absent; ``NotImplementedError`` where the platform can't be asked."""
        ...

    async def delete(self, request: ReviseRequest) -> None:
        """Delete every post in ``request.post_ids`` not in ``request.done``; a post already
        gone counts as deleted."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
