"""Staff actions (who did what to a delivery, from the web desk) and indexes for paging the queue
by state and by target.

Revision ID: 0003
Revises: e14a7c2d9b01
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "0003"
down_revision = "e14a7c2d9b01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``staff_actions`` and the paging indexes."""
    op.create_table(
        "staff_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("deliveries.id", ondelete="CASCADE")),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_staff_actions_article", "staff_actions", ["article_id"])
    op.create_index("ix_deliveries_state_article", "deliveries", ["state", "article_id"])
    op.create_index("ix_deliveries_target_article", "deliveries", ["target", "article_id"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_deliveries_target_article", table_name="deliveries")
    op.drop_index("ix_deliveries_state_article", table_name="deliveries")
    op.drop_index("ix_staff_actions_article", table_name="staff_actions")
    op.drop_table("staff_actions")
