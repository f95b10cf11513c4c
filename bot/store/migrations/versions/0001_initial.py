"""Initial schema: articles, deliveries, attempts, target state, feeds, runtime.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("canonical_url", sa.String(2048), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("image_url", sa.Text),
        sa.Column("language", sa.String(16)),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("not_before", UTCDateTime),
        sa.Column("published_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("planned_at", UTCDateTime),
        sa.Column("plan_reason", sa.Text),
        sa.Column("retry_at", UTCDateTime),
        sa.Column("requeued_at", UTCDateTime),
        sa.Column("parts", sa.JSON, nullable=False),
        sa.Column("image_url", sa.Text),
        sa.Column("parse_mode", sa.String(16)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("retries", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("platform_post_id", sa.String(200)),
        sa.Column("permalink", sa.Text),
        sa.Column("sent_ids", sa.JSON, nullable=False),
        sa.Column("attempt_id", sa.String(64)),
        sa.Column("plain_text", sa.Boolean, nullable=False),
        sa.Column("published_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("article_id", "target", name="uq_delivery_article_target"),
    )
    op.create_index("ix_deliveries_state_planned", "deliveries", ["state", "planned_at"])
    op.create_index("ix_deliveries_target_state", "deliveries", ["target", "state"])
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "delivery_id", sa.Integer, sa.ForeignKey("deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempt_id", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("error", sa.Text),
    )
    op.create_index("ix_attempts_delivery", "attempts", ["delivery_id"])
    op.create_table(
        "target_state",
        sa.Column("target", sa.String(200), primary_key=True),
        sa.Column("paused_reason", sa.Text),
        sa.Column("paused_at", UTCDateTime),
        sa.Column("blocked_until", UTCDateTime),
        sa.Column("blocked_reason", sa.Text),
        sa.Column("last_published_at", UTCDateTime),
    )
    op.create_table(
        "feeds",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("added_at", UTCDateTime, nullable=False),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("last_polled_at", UTCDateTime),
        sa.Column("next_poll_at", UTCDateTime),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
    )
    op.create_table(
        "feed_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("feed", sa.String(200), nullable=False),
        sa.Column("guid", sa.String(2048), nullable=False),
        sa.Column("canonical_url", sa.String(2048)),
        sa.Column("content_hash", sa.String(64)),
        sa.Column(
            "article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="SET NULL")
        ),
        sa.Column("seen_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("feed", "guid", name="uq_feed_item_guid"),
    )
    op.create_index("ix_feed_items_hash", "feed_items", ["content_hash"])
    op.create_table(
        "runtime",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop every table."""
    for name in ("runtime", "feed_items", "feeds", "target_state", "attempts", "deliveries",
                 "articles"):
        op.drop_table(name)
