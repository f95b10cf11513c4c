"""SQLAlchemy table definitions: articles, deliveries, attempts, staff actions, target state, feeds,
approval messages, runtime, counters, workers and their target leases, revisions (corrections
and takedowns of posts already out)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware datetimes go in as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Naive UTC comes out aware."""
        if value is None:
            return None
        parsed: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("canonical_url", String(2048), nullable=False, unique=True),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("image_url", Text),
    Column("image_alt", Text),
    Column("language", String(16)),
    Column("priority", String(16), nullable=False),
    Column("source", String(200), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("content_hash", String(64)),
    Column("not_before", UTCDateTime),
    Column("published_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("target", String(200), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("state", String(32), nullable=False),
    Column("planned_at", UTCDateTime),
    Column("plan_reason", Text),
    Column("retry_at", UTCDateTime),
    Column("requeued_at", UTCDateTime),
    Column("parts", JSON, nullable=False),
    Column("image_url", Text),
    Column("image_error", Text),
    Column("media_id", String(200)),
    Column("parse_mode", String(16)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("retries", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("error_kind", String(32)),
    Column("platform_post_id", String(200)),
    Column("permalink", Text),
    Column("sent_ids", JSON, nullable=False),
    Column("attempt_id", String(64)),
    Column("plain_text", Boolean, nullable=False, default=False),
    Column("published_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # review before publishing: what it waits for, since when, and who decided what, where
    Column("approval_wait", Text),
    Column("approval_since", UTCDateTime),
    Column("approval_decision", String(16)),
    Column("approval_by", String(200)),
    Column("approval_via", String(32)),
    Column("approval_at", UTCDateTime),
    Column("approval_note", Text),
    UniqueConstraint("article_id", "target", name="uq_delivery_article_target"),
    Index("ix_deliveries_state_planned", "state", "planned_at"),
    Index("ix_deliveries_target_state", "target", "state"),
    Index("ix_deliveries_state_article", "state", "article_id"),
    Index("ix_deliveries_target_article", "target", "article_id"),
)

attempts = Table(
    "attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("attempt_id", String(64), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("outcome", String(32), nullable=False),
    Column("error_kind", String(32)),
    Column("error", Text),
    Index("ix_attempts_delivery", "delivery_id"),
)

staff_actions = Table(
    "staff_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE")),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text),
    Index("ix_staff_actions_article", "article_id"),
)

target_state = Table(
    "target_state",
    metadata,
    Column("target", String(200), primary_key=True),
    Column("paused_reason", Text),
    Column("paused_at", UTCDateTime),
    Column("blocked_until", UTCDateTime),
    Column("blocked_reason", Text),
    Column("last_published_at", UTCDateTime),
)

feeds = Table(
    "feeds",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("url", Text, nullable=False),
    Column("added_at", UTCDateTime, nullable=False),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_polled_at", UTCDateTime),
    Column("next_poll_at", UTCDateTime),
    Column("failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
)

feed_items = Table(
    "feed_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feed", String(200), nullable=False),
    Column("guid", String(2048), nullable=False),
    Column("canonical_url", String(2048)),
    Column("content_hash", String(64)),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="SET NULL")),
    Column("seen_at", UTCDateTime, nullable=False),
    UniqueConstraint("feed", "guid", name="uq_feed_item_guid"),
    Index("ix_feed_items_hash", "content_hash"),
)

approval_notices = Table(
    "approval_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger),
    Column("shown", String(64)),
    Column("open", Boolean, nullable=False),
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("article_id", "chat_id", name="uq_approval_notice_chat"),
    Index("ix_approval_notices_open", "open"),
)
"""The private message each approver got about a story waiting for review (Telegram)."""

runtime = Table(
    "runtime",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", JSON),
    Column("updated_at", UTCDateTime, nullable=False),
)

revisions = Table(
    "revisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("target", String(200), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("parts", JSON, nullable=False),
    Column("changed", JSON, nullable=False),
    Column("requested_by", String(200)),
    Column("reason", Text),
    Column("planned_at", UTCDateTime),
    Column("attempt_id", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("retries", Integer, nullable=False, default=0),
    Column("done_ids", JSON, nullable=False),
    Column("result_ids", JSON, nullable=False),
    Column("outcome", String(64)),
    Column("error", Text),
    Column("error_kind", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Index("ix_revisions_state_planned", "state", "planned_at"),
    Index("ix_revisions_delivery", "delivery_id"),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
"""Counters moved by one atomic ``UPDATE ... SET value = value + 1`` (rows made by migrations)."""

workers = Table(
    "workers",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

leases = Table(
    "leases",
    metadata,
    Column("target", String(200), primary_key=True),
    Column("worker", String(100), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
