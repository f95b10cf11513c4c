"""The send path's own connections: durability per commit, reconnection, and one writer at a time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from bot.domain.models import (
    ArticleDraft,
    AttemptRecord,
    DeliveryState,
    Platform,
    Post,
    PublishReceipt,
)
from bot.store.queue import NewDelivery, QueueStore
from tests.conftest import emptied

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
S = DeliveryState


def _due(store: QueueStore, n: int = 1) -> int:
    """Queue story ``n`` for one Telegram target, due at T0; returns the delivery id."""
    post = Post(Platform.TELEGRAM, ("<b>x</b>",), None, "HTML")
    article_id, _ = store.add_article(
        ArticleDraft(url=f"https://news.example/{n}", title=f"Story {n}", text="Body."),
        canonical_url=f"https://news.example/{n}",
        deliveries_=[NewDelivery("tg", Platform.TELEGRAM, post)], now=T0)
    _, found = store.get_article(article_id)
    store.set_plans([(found[0].id, T0, "due now")])
    return found[0].id


def _history(store: QueueStore, did: int) -> list[AttemptRecord]:
    """The attempt records of delivery ``did``."""
    _, found = store.get_article(store.get_delivery(did).article_id)
    return next(d for d in found if d.id == did).history


def _setting(store: QueueStore, which: str) -> str:
    conn = getattr(store.sends, which).get()
    if store.sends.postgres:
        with conn.cursor() as cur:
            cur.execute("SHOW synchronous_commit")
            return str(cur.fetchone()[0])
    return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[conn.execute(
        "PRAGMA synchronous").fetchone()[0]]


def test_claims_are_durable_and_finishes_are_not(engine: Engine) -> None:
    """Claims commit with the durable setting (SQLite FULL, PostgreSQL's synchronous commit);
    finishes, safe to lose, commit without waiting for the disk."""
    store = QueueStore(engine=engine)
    if engine.dialect.name == "postgresql":
        assert (_setting(store, "_claims"), _setting(store, "_finishes")) == ("on", "off")
    else:
        assert (_setting(store, "_claims"), _setting(store, "_finishes")) == ("FULL", "NORMAL")
        relaxed = QueueStore(engine=engine, durable_claims=False)
        assert _setting(relaxed, "_claims") == "NORMAL"
        relaxed.close()
    store.close()


def test_every_kind_of_finish_reads_back(engine: Engine) -> None:
    """Published, retried (with a new time, a counted retry and plain text) and failed
    finishes write what the rest of the store reads: states, times and the attempt records."""
    store = QueueStore(engine=engine)
    ok, retry, bad = (_due(store, n) for n in (1, 2, 3))
    for did in (ok, retry, bad):
        assert store.claim(did, f"a{did}", T0)
    later = T0 + timedelta(minutes=5)
    assert store.finish(ok, f"a{ok}", state=S.PUBLISHED, now=T0, outcome="published",
                        receipt=PublishReceipt(post_ids=("7", "8"), permalink="https://t.me/n/7"))
    assert store.finish(retry, f"a{retry}", state=S.PENDING, now=T0, outcome="transient",
                        error="timeout", error_kind="transient", planned_at=later,
                        plain_text=True)
    assert store.finish(bad, f"a{bad}", state=S.FAILED, now=T0, outcome="permanent",
                        error="chat not found", error_kind="permanent")
    assert not store.finish(bad, f"a{bad}", state=S.FAILED, now=T0, outcome="permanent")
    published = store.get_delivery(ok)
    assert (published.state, published.sent_ids, published.permalink) == (
        S.PUBLISHED, ("7", "8"), "https://t.me/n/7")
    assert published.published_at == T0
    again = store.get_delivery(retry)
    assert (again.state, again.retries, again.plain_text, again.planned_at) == (
        S.PENDING, 1, True, later)
    assert [d.id for d in store.due(T0)] == []
    assert [d.id for d in store.due(later)] == [retry]
    failed = store.get_delivery(bad)
    assert (failed.state, failed.last_error, failed.error_kind) == (
        S.FAILED, "chat not found", "permanent")
    assert [a.outcome for a in _history(store, ok)] == ["published"]
    assert [a.outcome for a in _history(store, retry)] == ["transient"]
    assert [(a.outcome, a.error) for a in _history(store, bad)] == [
        ("permanent", "chat not found")]
    store.close()


def test_one_claim_wins_among_threads(engine: Engine) -> None:
    """Sixteen threads claiming the same delivery through one store: exactly one succeeds."""
    store = QueueStore(engine=engine)
    did = _due(store)
    wins: list[bool] = []
    start = threading.Barrier(16)

    def claim(i: int) -> None:
        start.wait()
        wins.append(store.claim(did, f"attempt-{i}", T0))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 15 + [True]
    store.close()


def test_a_dropped_connection_is_reopened(postgres_url: str) -> None:
    """When PostgreSQL drops the claim connection, that claim fails with the driver's error
    (nothing claimed) and the next one opens a new connection and succeeds."""
    engine = _fresh_postgres(postgres_url)
    store = QueueStore(engine=engine)
    try:
        did = _due(store)
        with store.sends._claims.get().cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(Exception, match=r"terminat|closed|connection"):
            store.claim(did, "first", T0)
        assert store.get_delivery(did).state is S.PENDING
        assert store.claim(did, "second", T0)
        assert store.get_delivery(did).attempt_id == "second"
    finally:
        store.close()
        engine.dispose()


def _fresh_postgres(postgres_url: str) -> Engine:
    """A migrated engine on an emptied PostgreSQL schema."""
    from bot.store.db import make_engine, upgrade

    engine = make_engine(emptied(postgres_url))
    upgrade(engine)
    return engine


def test_the_combined_commit_is_fenced_by_the_lease(postgres_url: str) -> None:
    """On PostgreSQL with several workers, the commit that records a publish and claims the
    next post records the publish whatever happens, but claims only for the worker holding
    the target's unexpired lease."""
    from bot.store.queue import Published
    from bot.store.tables import leases

    engine = _fresh_postgres(postgres_url)
    store = QueueStore(engine=engine)
    try:
        first, second, third = (_due(store, n) for n in (1, 2, 3))
        with engine.begin() as conn:
            conn.execute(leases.insert().values(
                target="tg", worker="w1", acquired_at=datetime.now(UTC),
                expires_at=datetime.now(UTC) + timedelta(minutes=1)))
        receipt = PublishReceipt(post_ids=("11",), permalink="https://t.me/n/11")
        assert store.claim(first, "a1", T0, worker="w1")
        done = Published(first, "a1", receipt, T0, T0)
        assert store.published_then_claim(done, second, "a2", T0, worker="w2") == (True, False)
        assert store.get_delivery(first).state is S.PUBLISHED
        assert store.get_delivery(second).state is S.PENDING
        assert store.claim(second, "a2", T0, worker="w1")
        done = Published(second, "a2", receipt, T0, T0)
        assert store.published_then_claim(done, third, "a3", T0, worker="w1") == (True, True)
        assert store.get_delivery(third).state is S.SENDING
        assert [a.outcome for a in _history(store, second)] == ["published"]
        assert store.published_then_claim(done, third, "a4", T0, worker="w1") == (False, False)
    finally:
        store.close()
        engine.dispose()


def test_a_store_let_go_closes_its_connections(postgres_url: str) -> None:
    """A store nobody holds any more closes the connections it kept for sending (they would
    otherwise stay open on the server until the process ends)."""
    import gc

    engine = _fresh_postgres(postgres_url)

    def backends() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = '' AND backend_type = 'client backend'")).scalar())

    try:
        before = backends()
        store = QueueStore(engine=engine)
        assert store.claim(_due(store), "a1", T0)
        assert store.finish(store.get_delivery(1).id, "a1", state=S.FAILED, now=T0,
                            outcome="permanent")
        assert backends() == before + 2
        del store
        gc.collect()
        assert backends() == before
    finally:
        engine.dispose()
