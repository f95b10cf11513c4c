"""A row is described once: tables, migrations and domain dataclasses agree."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table
from sqlalchemy.engine import Engine

from bot.domain.models import Article, AttemptRecord, Delivery, DeliveryState, Platform, Priority
from bot.store.rows import field_names, from_row
from bot.store.tables import articles, attempts, deliveries, metadata

# Columns the store keeps for itself, and fields that are not columns of that table.
STORE_ONLY = {
    "articles": {"content_hash", "updated_at"},
    "deliveries": set(),
    "attempts": {"id", "delivery_id"},
}
NOT_COLUMNS = {
    Article: set(),
    Delivery: {"history", "article_url", "image_alt"},  # the last two come from a join
    AttemptRecord: set(),
}
PAIRS: list[tuple[Table, type]] = [(articles, Article), (deliveries, Delivery),
                                   (attempts, AttemptRecord)]


def test_every_column_has_its_field_and_every_field_its_column() -> None:
    """Each table and its dataclass name the same things, apart from the listed exceptions."""
    for table, cls in PAIRS:
        columns = {c.name for c in table.columns}
        fields = field_names(cls)
        assert columns - fields == STORE_ONLY[table.name], table.name
        assert fields - columns == NOT_COLUMNS[cls], cls.__name__


def test_from_row_reads_enums_tuples_and_bools_by_field_type() -> None:
    """Stored strings, JSON lists and SQLite integers come back as the dataclass's types."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    row: dict[str, object] = {c.name: None for c in deliveries.columns}
    row |= {"id": 1, "article_id": 2, "target": "tg", "platform": "telegram", "state": "pending",
           "planned_at": None, "created_at": now, "updated_at": now, "parts": ["a", "b"],
           "sent_ids": None, "plain_text": 1, "attempts": 0, "retries": 0}
    d = from_row(Delivery, row)
    assert d.platform is Platform.TELEGRAM and d.state is DeliveryState.PENDING
    assert d.parts == ("a", "b") and d.sent_ids == () and d.plain_text is True
    assert d.article_url is None and d.history == []
    art: dict[str, object] = {c.name: None for c in articles.columns}
    a = from_row(Article, art | {"id": 1, "url": "u", "canonical_url": "u", "title": "t", "text": "x",
                           "image_url": None, "language": None, "priority": "breaking",
                           "source": "cli", "created_at": now, "tags": None})
    joined = from_row(Delivery, row | {"article_url": "https://a.example/1"})
    assert joined.article_url == "https://a.example/1"
    assert a.priority is Priority.BREAKING and a.tags == ()


def test_migrations_build_exactly_the_tables(engine: Engine) -> None:
    """On SQLite and PostgreSQL, autogenerate finds no difference between the migrated
    database and the table metadata (no forgotten migration, no stray column or index)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []
