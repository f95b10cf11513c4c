"""Revisions: corrections, takedowns and confirmations of deliveries already out.

Revision ID: c13a7e91f2d4
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "c13a7e91f2d4"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the ``revisions`` table."""
    op.create_table(
        "revisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("delivery_id", sa.Integer,
                  sa.ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
        sa.Column("article_id", sa.Integer,
                  sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("parts", sa.JSON, nullable=False),
        sa.Column("changed", sa.JSON, nullable=False),
        sa.Column("requested_by", sa.String(200)),
        sa.Column("reason", sa.Text),
        sa.Column("planned_at", UTCDateTime),
        sa.Column("attempt_id", sa.String(64)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("retries", sa.Integer, nullable=False),
        sa.Column("done_ids", sa.JSON, nullable=False),
        sa.Column("result_ids", sa.JSON, nullable=False),
        sa.Column("outcome", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.Column("error_kind", sa.String(32)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
    )
    op.create_index("ix_revisions_state_planned", "revisions", ["state", "planned_at"])
    op.create_index("ix_revisions_delivery", "revisions", ["delivery_id"])


def downgrade() -> None:
    """Drop the ``revisions`` table."""
    op.drop_table("revisions")
