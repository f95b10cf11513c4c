"""Images: a story's alt text; a delivery's image error and the platform's media id.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``articles.image_alt``, ``deliveries.image_error`` and ``deliveries.media_id``."""
    op.add_column("articles", sa.Column("image_alt", sa.Text))
    op.add_column("deliveries", sa.Column("image_error", sa.Text))
    op.add_column("deliveries", sa.Column("media_id", sa.String(200)))


def downgrade() -> None:
    """Drop the three columns."""
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("media_id")
        batch.drop_column("image_error")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("image_alt")
