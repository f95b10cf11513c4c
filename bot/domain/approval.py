"""Review before publishing, as pure decisions: which deliveries wait for an editor, and what
happens to those nobody decided in time.

A delivery waits (state ``awaiting_approval``) when its target asks for approval, when the feed
its story came from does, when the story's source kind is listed in ``[approval] sources``, or
when the story itself asked for it. ``approval_reasons`` says which of these hold, in words staff
read in ``queue show``; ``settle_timeouts`` decides, from the time alone, what the daemon does
with deliveries left waiting past ``[approval] timeout``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

SOURCE_KINDS = ("cli", "import", "api", "telegram", "feed")
"""Where a story can come from, as ``[approval] sources`` names it."""


class Decision(StrEnum):
    """What an editor (or the timeout) decided about a waiting delivery."""

    APPROVED = "approved"
    EDITED = "edited"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def publishes(self) -> bool:
        """True when the delivery goes on to be planned and published."""
        return self in (Decision.APPROVED, Decision.EDITED)


@dataclass(frozen=True)
class Approval:
    """A delivery's review: what it waits (or waited) for, since when, and the decision."""

    waits_for: str
    since: datetime
    decision: Decision | None = None
    by: str | None = None
    via: str | None = None
    at: datetime | None = None
    note: str | None = None


class OnTimeout(StrEnum):
    """What happens to a delivery nobody decided within the timeout."""

    EXPIRE = "expire"
    APPROVE = "approve"


def source_kind(source: str, feed_names: Collection[str]) -> str:
    """The kind of a story's ``source``: ``telegram`` for ``telegram:<user id>``, ``feed`` for
    a configured feed's name, else the source itself (``cli``, ``import``, ``api``)."""
    if source.startswith("telegram:") or source == "telegram":
        return "telegram"
    if source in feed_names:
        return "feed"
    return source


def approval_reasons(
    *,
    target: str,
    target_requires: bool,
    source: str,
    kind: str,
    kinds_requiring: Collection[str],
    feed_requires: bool = False,
    story_asks: bool = False,
) -> tuple[str, ...]:
    """Why a story's delivery to ``target`` waits for an editor (empty: it does not)."""
    reasons: list[str] = []
    if story_asks:
        reasons.append("the story asked for approval")
    if feed_requires:
        reasons.append(f"feed {source} needs approval")
    if kind in kinds_requiring:
        reasons.append(f"stories from source {kind!r} need approval")
    if target_requires:
        reasons.append(f"target {target} needs approval")
    return tuple(reasons)


@dataclass(frozen=True)
class Waiting:
    """A delivery waiting for an editor since ``since``."""

    delivery_id: int
    since: datetime


@dataclass(frozen=True)
class Settlement:
    """What the timeout decides for one waiting delivery."""

    delivery_id: int
    decision: Decision
    reason: str


def deadline(since: datetime, timeout: timedelta | None) -> datetime | None:
    """When a delivery waiting since ``since`` is settled (``None``: it waits for ever)."""
    return None if timeout is None else since + timeout


def settle_timeouts(
    waiting: Iterable[Waiting],
    *,
    now: datetime,
    timeout: timedelta | None,
    on_timeout: OnTimeout,
) -> list[Settlement]:
    """Every delivery whose wait has reached ``timeout`` at ``now``, with what happens to it:
    expired (the default) or approved."""
    if timeout is None:
        return []
    out: list[Settlement] = []
    for item in waiting:
        if now < item.since + timeout:
            continue
        span = _span(timeout)
        if on_timeout is OnTimeout.APPROVE:
            out.append(Settlement(item.delivery_id, Decision.APPROVED,
                                  f"nobody decided within {span}: approved by the timeout"))
        else:
            out.append(Settlement(item.delivery_id, Decision.EXPIRED,
                                  f"nobody approved it within {span}"))
    return out


def _span(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
