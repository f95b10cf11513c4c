"""Counters table: the queue revision as an atomic counter (was a read-then-write runtime value).

Revision ID: 0002b
Revises: e14a7c2d9b01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002b"
down_revision = "e14a7c2d9b01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``counters`` with the queue revision, carrying over its current value."""
    counters = op.create_table(
        "counters",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    conn = op.get_bind()
    runtime = sa.table("runtime", sa.column("key", sa.String), sa.column("value", sa.JSON))
    old = conn.execute(sa.select(runtime.c.value).where(runtime.c.key == "queue_revision")).scalar()
    op.bulk_insert(counters, [{"name": "queue_revision", "value": int(old or 0)}])
    conn.execute(sa.delete(runtime).where(runtime.c.key == "queue_revision"))


def downgrade() -> None:
    """Drop ``counters`` (the daemon re-plans from scratch on start anyway)."""
    op.drop_table("counters")
