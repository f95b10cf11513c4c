"""The store contract, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from bot.domain.errors import NotFoundError
from bot.domain.models import ArticleDraft, DeliveryState, Platform, Post, Priority, PublishReceipt
from bot.store.db import current_revision, upgrade
from bot.store.lock import PublisherLock
from bot.store.queue import NewDelivery, QueueStore
from bot.store.state import StateStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
S = DeliveryState


def _add(store: QueueStore, n: int = 1, now: datetime = T0) -> int:
    """Queue story ``n`` with a Telegram and an X delivery, both due at ``now``."""
    draft = ArticleDraft(url=f"https://news.example/{n}", title=f"Story {n}", text="Body.",
                         priority=Priority.HIGH, tags=("a", "b"))
    posts = [NewDelivery("tg", Platform.TELEGRAM, Post(Platform.TELEGRAM, ("<b>x</b>",), None,
                                                       "HTML")),
             NewDelivery("xa", Platform.X, Post(Platform.X, ("one", "two")))]
    article_id, created = store.add_article(draft, canonical_url=f"https://news.example/{n}",
                                            deliveries_=posts, now=now)
    assert created
    _, found = store.get_article(article_id)
    store.set_plans([(d.id, now, "due now") for d in found])
    return article_id


def test_add_and_read_back(engine: Engine) -> None:
    """A story and its two deliveries come back with every field intact and aware UTC times."""
    store = QueueStore(engine=engine)
    article_id = _add(store)
    article, deliveries = store.get_article(article_id)
    assert article.title == "Story 1" and article.priority is Priority.HIGH
    assert article.tags == ("a", "b")
    assert article.created_at == T0 and article.created_at.tzinfo is not None
    assert [(d.target, d.state, d.parts) for d in deliveries] == [
        ("tg", S.PENDING, ("<b>x</b>",)), ("xa", S.PENDING, ("one", "two"))]
    assert deliveries[0].parse_mode == "HTML"


def test_same_canonical_url_is_not_a_second_story(engine: Engine) -> None:
    """Queueing the same canonical URL again reports the existing story."""
    store = QueueStore(engine=engine)
    first = _add(store)
    again, created = store.add_article(
        ArticleDraft(url="https://news.example/1?utm_source=x", title="Other", text=""),
        canonical_url="https://news.example/1", deliveries_=[], now=T0)
    assert (again, created) == (first, False)
    assert len(store.list_articles()) == 1


def test_missing_story_is_not_found(engine: Engine) -> None:
    """Asking for an unknown id raises NotFoundError."""
    with pytest.raises(NotFoundError):
        QueueStore(engine=engine).get_article(999)


def test_claim_is_exclusive_and_finish_needs_the_attempt(engine: Engine) -> None:
    """Only one claim wins; finishing with another attempt id changes nothing."""
    store = QueueStore(engine=engine)
    _, (tg, _) = store.get_article(_add(store))
    assert store.claim(tg.id, "a1", T0)
    assert not store.claim(tg.id, "a2", T0)
    assert not store.finish(tg.id, "zz", state=S.PUBLISHED, now=T0, outcome="published",
                            receipt=PublishReceipt(("9",)))
    assert store.get_delivery(tg.id).state is S.SENDING
    assert [d.id for d in store.in_flight()] == [tg.id]
    assert store.finish(tg.id, "a1", state=S.PUBLISHED, now=T0, outcome="published",
                        receipt=PublishReceipt(("9",), "https://t.me/news/9"))
    got = store.get_delivery(tg.id)
    assert (got.state, got.platform_post_id, got.permalink, got.attempts) == (
        S.PUBLISHED, "9", "https://t.me/news/9", 1)
    _, (shown, _) = store.get_article(tg.article_id)
    assert [h.outcome for h in shown.history] == ["published"]


def test_claim_refuses_a_delivery_not_yet_due(engine: Engine) -> None:
    """A delivery re-planned into the future cannot be claimed by a lane holding an old list."""
    store = QueueStore(engine=engine)
    _, (tg, _) = store.get_article(_add(store))
    store.set_plans([(tg.id, T0 + timedelta(minutes=10), "min_interval")])
    assert not store.claim(tg.id, "a1", T0)
    assert store.claim(tg.id, "a1", T0 + timedelta(minutes=10))


def test_parts_sent_are_remembered(engine: Engine) -> None:
    """Ids of thread parts sent so far survive for a later attempt."""
    store = QueueStore(engine=engine)
    _, (_, xa) = store.get_article(_add(store))
    store.claim(xa.id, "a1", T0)
    store.record_part(xa.id, "a1", ["100"], T0)
    assert store.get_delivery(xa.id).sent_ids == ("100",)


def test_due_and_next_planned(engine: Engine) -> None:
    """Only pending deliveries planned at or before now are due; blocked targets are skipped."""
    store = QueueStore(engine=engine)
    _, (tg, xa) = store.get_article(_add(store))
    store.set_plans([(tg.id, T0 + timedelta(minutes=5), "slot"),
                     (xa.id, T0 - timedelta(minutes=1), "now")])
    assert [d.id for d in store.due(T0)] == [xa.id]
    assert store.due(T0)[0].article_url == "https://news.example/1"
    assert store.due(T0, exclude_targets=["xa"]) == []
    assert store.next_planned_at() == T0 - timedelta(minutes=1)
    assert store.next_planned_at(exclude_targets=["xa"]) == T0 + timedelta(minutes=5)


def test_cancel_retry_expire(engine: Engine) -> None:
    """Cancel moves pending deliveries; retry brings them back; expire keeps the reason."""
    store = QueueStore(engine=engine)
    article_id = _add(store)
    assert store.set_state(article_id, from_states=[S.PENDING], to=S.CANCELLED, now=T0) == 2
    assert store.set_state(article_id, from_states=[S.CANCELLED], to=S.PENDING, now=T0) == 2
    _, (tg, _) = store.get_article(article_id)
    assert store.expire(tg.id, "older than max_age 12h", T0)
    got = store.get_delivery(tg.id)
    assert (got.state, got.last_error) == (S.EXPIRED, "older than max_age 12h")


def test_reporting_queries(engine: Engine) -> None:
    """Counts, last publish per target and published times reflect finished attempts."""
    store = QueueStore(engine=engine)
    _, (tg, _) = store.get_article(_add(store))
    store.claim(tg.id, "a", T0)
    store.finish(tg.id, "a", state=S.PUBLISHED, now=T0, outcome="published",
                 receipt=PublishReceipt(("1",)))
    assert store.counts() == {("tg", "published"): 1, ("xa", "pending"): 1}
    assert store.last_published() == {"tg": T0}
    assert store.published_times("tg", T0 - timedelta(hours=1)) == [T0]
    assert store.published_counts_since(T0 - timedelta(hours=1)) == {"tg": 1}


def test_queue_revision_moves_on_change(engine: Engine) -> None:
    """Adding and cancelling bump the revision a running daemon watches."""
    store = QueueStore(engine=engine)
    r0 = store.revision()
    article_id = _add(store)
    r1 = store.revision()
    store.set_state(article_id, from_states=[S.PENDING], to=S.CANCELLED, now=T0)
    assert r0 < r1 < store.revision()


def test_concurrent_changes_never_lose_a_revision(engine: Engine) -> None:
    """Writers changing the queue at once (first change on a fresh database included) each move
    the revision: no lost increment, no collision on the first one."""
    from concurrent.futures import ThreadPoolExecutor

    store = QueueStore(engine=engine)
    start = store.revision()
    writers, each = 4, 12
    barrier = threading.Barrier(writers)

    def write(w: int) -> None:
        barrier.wait()
        for i in range(each):
            _add(store, 1000 * (w + 1) + i)

    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(write, range(writers)))
    # each _add is one queue change (setting plans is the daemon's own and does not count)
    assert store.revision() - start == writers * each


def test_revision_survives_the_counters_migration(db_url: str) -> None:
    """A database before the counters migration keeps its queue revision when 0002b moves it
    into ``counters``."""
    from bot.store.db import make_engine

    eng = make_engine(db_url)
    try:
        upgrade(eng, "e14a7c2d9b01")
        StateStore(engine=eng).put("queue_revision", 41, T0)
        upgrade(eng)
        store = QueueStore(engine=eng)
        assert store.revision() == 41
        _add(store)
        assert store.revision() == 42
        assert StateStore(engine=eng).get("queue_revision") is None
    finally:
        eng.dispose()


def test_target_state(engine: Engine) -> None:
    """Pauses, rate-limit blocks and runtime values round-trip."""
    state = StateStore(engine=engine)
    state.pause("tg", "401 Unauthorized", T0)
    state.block("xa", T0 + timedelta(minutes=15), "429")
    got = state.targets()
    assert got["tg"].paused_reason == "401 Unauthorized"
    assert got["xa"].blocked_until == T0 + timedelta(minutes=15)
    state.resume("tg")
    assert state.targets()["tg"].paused_reason is None
    state.put("config_refused", {"error": "bad"}, T0)
    assert state.get("config_refused") == {"error": "bad"}


def test_migrations_on_existing_database_keep_data(engine: Engine) -> None:
    """Upgrading an already migrated database is a no-op that keeps every row."""
    store = QueueStore(engine=engine)
    _add(store)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.store.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert current_revision(engine) == ScriptDirectory.from_config(cfg).get_current_head()
    upgrade(engine)
    assert len(store.list_articles()) == 1
    assert {"articles", "deliveries", "attempts", "feeds", "feed_items"} <= set(
        inspect(engine).get_table_names())


def test_due_puts_breaking_news_first(engine: Engine) -> None:
    """Among due deliveries, a breaking story comes before older normal ones."""
    store = QueueStore(engine=engine)
    first = _add(store, 1)
    urgent, _ = store.add_article(
        ArticleDraft(url="https://news.example/b", title="Breaking", text="",
                     priority=Priority.BREAKING),
        canonical_url="https://news.example/b",
        deliveries_=[NewDelivery("tg", Platform.TELEGRAM, Post(Platform.TELEGRAM, ("b",)))],
        now=T0)
    (b,) = store.get_article(urgent)[1]
    store.set_plans([(b.id, T0, "breaking lane")])
    due = [d.article_id for d in store.due(T0) if d.target == "tg"]
    assert due == [urgent, first]


def test_one_publisher_per_database(engine: Engine) -> None:
    """A second publisher lock on the same database is refused; a status probe sees the holder
    without taking the lock; after release the next one gets it."""
    from bot.store.lock import AlreadyPublishingError, PublisherLock

    first = PublisherLock(engine)
    first.acquire()
    try:
        assert first.verify()
        with pytest.raises(AlreadyPublishingError, match="already publishing"):
            PublisherLock(engine).acquire(patience=0.2)
    finally:
        first.release()
    with PublisherLock(engine):
        pass


def _cut_session_of(lock: PublisherLock) -> None:
    """End the PostgreSQL session holding ``lock`` from another one (as a restart does)."""
    from sqlalchemy import text

    assert lock._conn is not None
    pid = lock._conn.execute(text("SELECT pg_backend_pid()")).scalar()
    lock._conn.commit()
    with lock.engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        conn.commit()


def test_postgres_lock_loss_is_noticed(postgres_url: str) -> None:
    """When the session holding the PostgreSQL advisory lock is cut, verify() says so and
    release() still returns quietly."""

    from bot.store.db import make_engine
    from bot.store.lock import PublisherLock

    engine = make_engine(postgres_url)
    try:
        lock = PublisherLock(engine)
        lock.acquire()
        _cut_session_of(lock)
        assert not lock.verify()
        lock.release()
        assert not PublisherLock(engine).held_elsewhere()
    finally:
        engine.dispose()


def test_a_shared_lock_cut_with_its_session_is_taken_again(postgres_url: str) -> None:
    """A worker's shared lock, lost with its cut session, is taken again on a new one; while a
    `run --once` holds the lock alone it cannot be (the worker then stops), and while the
    server does not answer the lock counts as not held until it is taken again."""

    from bot.store.db import make_engine
    from bot.store.lock import PublisherLock

    engine = make_engine(postgres_url)
    try:
        worker = PublisherLock(engine, shared=True)
        worker.acquire()
        _cut_session_of(worker)
        assert not worker.verify()
        assert worker.take_again() and worker.verify()
        _cut_session_of(worker)
        nowhere = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/x")  # no server
        away = PublisherLock(nowhere, shared=True)
        with pytest.raises(Exception, match=r"connect|refused"):
            away.take_again()
        assert not away.verify(), "a lock not taken again is not held"
        nowhere.dispose()
        with PublisherLock(engine):  # a `run --once` took the database alone meanwhile
            assert not worker.take_again()
        assert worker.take_again() and worker.verify()
        worker.release()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_lock_in_another_database_is_not_a_publisher_here(postgres_url: str) -> None:
    """A publisher on another database of the same PostgreSQL server does not make `status`
    report a publisher running on this one (pg_locks is filtered by database)."""
    import uuid

    from sqlalchemy import create_engine, text

    from bot.store.db import make_engine
    from bot.store.lock import PublisherLock

    other_name = f"crosspost_o_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{other_name}"'))
    other = make_engine(postgres_url.rsplit("/", 1)[0] + "/" + other_name)
    here = make_engine(postgres_url)
    try:
        with PublisherLock(other):
            assert PublisherLock(other).held_elsewhere()
            assert not PublisherLock(here).held_elsewhere()
            with PublisherLock(here) as mine:
                assert mine.verify()
    finally:
        other.dispose()
        here.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{other_name}" WITH (FORCE)'))
        admin.dispose()


def test_uncertain_posts_count_as_posted_for_pacing(engine: Engine) -> None:
    """A delivery waiting for review (it may have gone out) counts in the target's history."""
    store = QueueStore(engine=engine)
    _, (tg, _) = store.get_article(_add(store))
    store.claim(tg.id, "a", T0)
    store.finish(tg.id, "a", state=S.NEEDS_REVIEW, now=T0 + timedelta(seconds=5),
                 outcome="uncertain", error="timed out", error_kind="uncertain")
    assert store.published_times("tg", T0 - timedelta(hours=1)) == [T0 + timedelta(seconds=5)]
    assert store.published_times("tg", T0 + timedelta(minutes=1)) == []
