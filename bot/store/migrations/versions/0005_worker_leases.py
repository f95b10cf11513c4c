"""Workers and target leases: several `crosspost run` on one PostgreSQL database.

Revision ID: 0004_leases
Revises: c13a7e91f2d4
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = "0004_leases"
down_revision = "c13a7e91f2d4"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the workers and leases tables."""
    op.create_table(
        "workers",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("heartbeat_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "leases",
        sa.Column("target", sa.String(200), primary_key=True),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("acquired_at", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("leases")
    op.drop_table("workers")
