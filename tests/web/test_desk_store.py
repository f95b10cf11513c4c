"""The desk's migration onto a database from before the desk, and its staff-action records."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.domain.models import ArticleDraft, Platform, Post
from bot.store.db import MIGRATIONS, make_engine, upgrade
from bot.store.desk import DeskStore, StaffNote, write_note
from bot.store.queue import NewDelivery, QueueStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def before_the_desk() -> str:
    """The revision the desk's migration (the one creating ``staff_actions``) builds on."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    (desk,) = [r for r in ScriptDirectory.from_config(cfg).walk_revisions()
               if r.path.endswith("_staff_actions.py")]
    assert isinstance(desk.down_revision, str)
    return desk.down_revision


def test_upgrade_from_before_the_desk_keeps_stories_and_adds_its_tables(db_url: str) -> None:
    """A database at the revision before the desk's, with a story, upgrades to the desk's schema
    with the story intact; staff actions and edited texts are then stored and read back (both
    databases)."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, before_the_desk())
        queue = QueueStore(engine=engine)
        article_id, _ = queue.add_article(
            ArticleDraft(url="https://news.example/a", title="A", text="Words."),
            canonical_url="https://news.example/a",
            deliveries_=[NewDelivery("xa", Platform.X, Post(Platform.X, ("Old text",)))], now=T0)
        upgrade(engine)
        names = {i["name"] for i in inspect(engine).get_indexes("deliveries")}
        assert {"ix_deliveries_state_article", "ix_deliveries_target_article"} <= names
        (d,) = queue.get_article(article_id)[1]
        desk = DeskStore(engine=engine)
        assert desk.set_parts(d.id, ["New text"], T0)
        with engine.begin() as conn:
            write_note(conn, article_id, [d.id], StaffNote("erin", "edited text", "New text"), T0)
            write_note(conn, article_id, [], StaffNote("erin", "queued"), T0)
        assert queue.get_article(article_id)[1][0].parts == ("New text",)
        assert [(a.actor, a.action, a.delivery_id, a.at) for a in desk.actions(article_id)] == [
            ("erin", "edited text", d.id, T0), ("erin", "queued", None, T0)]
        assert desk.targets_in_use() == ["xa"]
    finally:
        engine.dispose()
