"""Plain data of the core: articles, deliveries, composed posts, publish receipts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.approval import Approval, Decision


class Platform(StrEnum):
    """Where a target posts."""

    TELEGRAM = "telegram"
    X = "x"


class Priority(StrEnum):
    """How urgent a story is; ``breaking`` takes the breaking-news lane."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        """Higher is more urgent."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.BREAKING: 3}


class DeliveryState(StrEnum):
    """Life of one story on one target."""

    PENDING = "pending"
    SENDING = "sending"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NEEDS_REVIEW = "needs_review"
    EXPIRED = "expired"
    AWAITING_APPROVAL = "awaiting_approval"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # taken down: its posts deleted, nothing more sent (issue 13)


RETRYABLE_STATES = frozenset(
    {DeliveryState.FAILED, DeliveryState.NEEDS_REVIEW, DeliveryState.EXPIRED, DeliveryState.CANCELLED}
)


@dataclass(frozen=True)
class ArticleDraft:
    """A story as staff, a feed or the API hand it in, before it is stored."""

    url: str
    title: str
    text: str
    image_url: str | None = None
    language: str | None = None
    priority: Priority = Priority.NORMAL
    source: str = "cli"
    targets: tuple[str, ...] | None = None
    not_before: datetime | None = None
    canonical_url: str | None = None
    published_at: datetime | None = None
    tags: tuple[str, ...] = ()
    image_alt: str | None = None
    needs_approval: bool = False


@dataclass
class Article:
    """A stored story."""

    id: int
    url: str
    canonical_url: str
    title: str
    text: str
    image_url: str | None
    language: str | None
    priority: Priority
    source: str
    created_at: datetime
    published_at: datetime | None = None
    not_before: datetime | None = None
    tags: tuple[str, ...] = ()
    image_alt: str | None = None


@dataclass(frozen=True)
class AttemptRecord:
    """One try at publishing a delivery and how it ended."""

    attempt_id: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    error_kind: str | None = None
    error: str | None = None


@dataclass
class Delivery:
    """One story on one target; carries every bit of state about it."""

    id: int
    article_id: int
    target: str
    platform: Platform
    state: DeliveryState
    planned_at: datetime | None
    created_at: datetime
    updated_at: datetime
    parts: tuple[str, ...] = ()
    attempts: int = 0
    retries: int = 0
    last_error: str | None = None
    error_kind: str | None = None
    platform_post_id: str | None = None
    permalink: str | None = None
    published_at: datetime | None = None
    attempt_id: str | None = None
    sent_ids: tuple[str, ...] = ()
    plain_text: bool = False
    image_url: str | None = None
    parse_mode: str | None = None
    plan_reason: str | None = None
    retry_at: datetime | None = None
    requeued_at: datetime | None = None
    article_url: str | None = None
    image_alt: str | None = None
    image_error: str | None = None
    media_id: str | None = None
    history: list[AttemptRecord] = field(default_factory=list)
    approval_wait: str | None = None
    approval_since: datetime | None = None
    approval_decision: Decision | None = None
    approval_by: str | None = None
    approval_via: str | None = None
    approval_at: datetime | None = None
    approval_note: str | None = None

    @property
    def approval(self) -> Approval | None:
        """The review this delivery waits (or waited) for; ``None`` when it needs none."""
        if self.approval_wait is None or self.approval_since is None:
            return None
        return Approval(self.approval_wait, self.approval_since, self.approval_decision,
                        self.approval_by, self.approval_via, self.approval_at,
                        self.approval_note)

    @property
    def text(self) -> str | None:
        """The first (or only) post's text, once rendered."""
        return self.parts[0] if self.parts else None

    def post(self) -> Post:
        """The rendered post this delivery sends."""
        return Post(self.platform, self.parts, self.image_url, self.parse_mode)


@dataclass(frozen=True)
class Post:
    """What one target gets for one story: one or more parts, sent in order.

    For X, several parts form a numbered thread and ``image_url`` (when set) is uploaded and
    attached to the first. For Telegram, when ``image_url`` is set the first part is a photo
    caption (≤ 1024) and any further part is a follow-up message.
    """

    platform: Platform
    parts: tuple[str, ...]
    image_url: str | None = None
    parse_mode: str | None = None

    @property
    def text(self) -> str:
        """The first part."""
        return self.parts[0]


@dataclass(frozen=True)
class PublishReceipt:
    """The platform's ids for every part sent, and a link to the first; the media attached, or
    why the platform would not take the image (the post then went without it)."""

    post_ids: tuple[str, ...]
    permalink: str | None = None
    media_ids: tuple[str, ...] = ()
    image_error: str | None = None
