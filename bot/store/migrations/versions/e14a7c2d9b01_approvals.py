"""Review before publishing: approval columns on deliveries, approvers' Telegram messages.

Revision ID: e14a7c2d9b01
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "e14a7c2d9b01"
down_revision = "0002"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("approval_wait", sa.Text),
    ("approval_since", UTCDateTime),
    ("approval_decision", sa.String(16)),
    ("approval_by", sa.String(200)),
    ("approval_via", sa.String(32)),
    ("approval_at", UTCDateTime),
    ("approval_note", sa.Text),
)


def upgrade() -> None:
    """Widen ``state`` for ``awaiting_approval``, add the approval columns and the notices.

    SQLite rebuilds ``deliveries`` to change a column type (copy, drop, rename); dropping the
    old table would cascade to its attempts, so they are kept aside meanwhile.
    """
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE attempts_kept AS SELECT * FROM attempts")
    with op.batch_alter_table("deliveries") as batch:
        batch.alter_column("state", type_=sa.String(32), existing_type=sa.String(16),
                           existing_nullable=False)
        for name, kind in _COLUMNS:
            batch.add_column(sa.Column(name, kind))
    if sqlite:
        op.execute("INSERT INTO attempts SELECT * FROM attempts_kept "
                   "WHERE id NOT IN (SELECT id FROM attempts)")
        op.execute("DROP TABLE attempts_kept")
    op.create_table(
        "approval_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("article_id", sa.Integer,
                  sa.ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("shown", sa.String(64)),
        sa.Column("open", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("article_id", "chat_id", name="uq_approval_notice_chat"),
    )
    op.create_index("ix_approval_notices_open", "approval_notices", ["open"])


def downgrade() -> None:
    """Drop the notices and the approval columns (waiting deliveries become pending)."""
    op.drop_index("ix_approval_notices_open", "approval_notices")
    op.drop_table("approval_notices")
    op.execute("UPDATE deliveries SET state = 'pending' WHERE state = 'awaiting_approval'")
    op.execute("UPDATE deliveries SET state = 'cancelled' WHERE state = 'rejected'")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("deliveries", name)
    if op.get_context().dialect.name != "sqlite":
        op.alter_column("deliveries", "state", type_=sa.String(16), existing_type=sa.String(32),
                        existing_nullable=False)
