"""The approval part of the store, on SQLite and PostgreSQL: waiting, deciding once, notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.domain.approval import Decision, Settlement, Waiting
from bot.domain.models import ArticleDraft, DeliveryState, Platform, Post
from bot.store.approvals import ApprovalStore
from bot.store.queue import NewDelivery, QueueStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
S = DeliveryState


def _add(store: QueueStore, n: int = 1) -> int:
    """Story ``n``: tg waits for approval, xa does not."""
    draft = ArticleDraft(url=f"https://news.example/{n}", title=f"Story {n}", text="Body.")
    posts = [NewDelivery("tg", Platform.TELEGRAM,
                         Post(Platform.TELEGRAM, ("<b>x</b>",), "https://e.org/p.jpg", "HTML"),
                         waits_for="target tg needs approval"),
             NewDelivery("xa", Platform.X, Post(Platform.X, ("one", "two")),
                         waits_for="the story asked for approval")]
    article_id, _ = store.add_article(draft, canonical_url=f"https://news.example/{n}",
                                      deliveries_=posts, now=T0)
    return article_id


def test_waiting_deliveries_are_not_planned(engine: Engine) -> None:
    """A waiting delivery has its reason and start time, and is not offered to the planner."""
    queue, approvals = QueueStore(engine=engine), ApprovalStore(engine=engine)
    article_id = _add(queue)
    _, found = queue.get_article(article_id)
    assert [d.state for d in found] == [S.AWAITING_APPROVAL, S.AWAITING_APPROVAL]
    assert found[0].approval is not None
    assert (found[0].approval.waits_for, found[0].approval.since) == (
        "target tg needs approval", T0)
    assert found[0].approval.decision is None
    assert queue.pending_for_planning() == []
    assert approvals.waiting() == [Waiting(found[0].id, T0), Waiting(found[1].id, T0)]
    assert [a.id for a, _ in queue.list_articles(state=S.AWAITING_APPROVAL)] == [article_id]


def test_each_delivery_is_decided_once(engine: Engine) -> None:
    """The first decision wins; a second one on the same target changes nothing."""
    queue, approvals = QueueStore(engine=engine), ApprovalStore(engine=engine)
    article_id = _add(queue)
    revision = queue.revision()
    later = T0 + timedelta(minutes=5)
    assert approvals.decide(article_id, decision=Decision.APPROVED, by="telegram:111 (Ann)",
                            via="telegram", now=later, targets=["xa"]) == ["xa"]
    assert queue.revision() == revision + 1
    assert approvals.decide(article_id, decision=Decision.REJECTED, by="cli:bob", via="cli",
                            now=later, targets=["xa"]) == []
    _, (tg, xa) = queue.get_article(article_id)
    assert xa.state is S.PENDING and xa.requeued_at == later and xa.planned_at is None
    assert xa.approval is not None
    assert (xa.approval.decision, xa.approval.by, xa.approval.via, xa.approval.at) == (
        Decision.APPROVED, "telegram:111 (Ann)", "telegram", later)
    assert tg.state is S.AWAITING_APPROVAL
    assert [d.id for d, _ in queue.pending_for_planning()] == [xa.id]


def test_edit_replaces_the_post_and_reject_keeps_the_reason(engine: Engine) -> None:
    """An edited decision stores the editor's post; a rejection records who and why."""
    queue, approvals = QueueStore(engine=engine), ApprovalStore(engine=engine)
    first, second = _add(queue, 1), _add(queue, 2)
    edited = Post(Platform.TELEGRAM, ("Editor's <i>words</i>",), "https://e.org/p.jpg", "HTML")
    assert approvals.decide(first, decision=Decision.APPROVED, by="api", via="api", now=T0,
                            targets=["tg"], posts={"tg": edited}) == ["tg"]
    _, (tg, _) = queue.get_article(first)
    assert tg.parts == ("Editor's <i>words</i>",) and tg.state is S.PENDING
    assert tg.approval is not None and tg.approval.decision is Decision.EDITED
    assert approvals.decide(second, decision=Decision.REJECTED, by="cli:ann", via="cli", now=T0,
                            note="wrong photo") == ["tg", "xa"]
    _, found = queue.get_article(second)
    assert {d.state for d in found} == {S.REJECTED}
    assert found[0].last_error == "rejected by cli:ann: wrong photo"
    assert found[0].approval is not None and found[0].approval.note == "wrong photo"


def test_timeout_settlements(engine: Engine) -> None:
    """Expired by the timeout records the daemon's reason; approval by timeout makes it pending."""
    queue, approvals = QueueStore(engine=engine), ApprovalStore(engine=engine)
    article_id = _add(queue)
    _, (tg, xa) = queue.get_article(article_id)
    now = T0 + timedelta(hours=6)
    touched = approvals.settle([Settlement(tg.id, Decision.EXPIRED, "nobody approved it"),
                                Settlement(xa.id, Decision.APPROVED, "approved by the timeout")],
                               now)
    assert touched == [article_id]
    assert approvals.settle([Settlement(tg.id, Decision.APPROVED, "again")], now) == []
    _, (tg, xa) = queue.get_article(article_id)
    assert (tg.state, tg.last_error, tg.error_kind) == (S.EXPIRED, "nobody approved it",
                                                        "expired")
    assert xa.state is S.PENDING and xa.approval is not None and xa.approval.by == "timeout"


def test_notices_are_remembered_per_approver(engine: Engine) -> None:
    """Stories waiting without a message are listed until one is recorded; notices close."""
    queue, approvals = QueueStore(engine=engine), ApprovalStore(engine=engine)
    article_id = _add(queue)
    assert approvals.unnotified() == [article_id]
    approvals.add_notice(article_id, 5_000_000_000, message_id=7, shown="abc", open_=True,
                         now=T0)
    approvals.add_notice(article_id, 222, message_id=None, shown=None, open_=False, now=T0,
                         error="chat not found")
    assert approvals.unnotified() == []
    [notice] = approvals.notices(open_only=True)
    assert (notice.chat_id, notice.message_id, notice.shown) == (5_000_000_000, 7, "abc")
    approvals.update_notice(notice.id, shown="def", open_=False, now=T0)
    assert approvals.notices(open_only=True) == []
    assert [n.error for n in approvals.notices(article_id)] == [None, "chat not found"]


def test_upgrade_from_the_first_schema_keeps_every_row(db_url: str) -> None:
    """Upgrading a database with stories, deliveries and attempts from revision 0001 keeps them
    all (SQLite rebuilds the deliveries table, which must not take the attempts with it)."""
    from sqlalchemy import func, insert, select

    from bot.store.db import make_engine, upgrade
    from bot.store.tables import articles, attempts, deliveries

    engine = make_engine(db_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(insert(articles).values(
                id=1, url="https://news.example/1", canonical_url="https://news.example/1",
                title="Story", text="Body.", priority="normal", source="cli", tags=[],
                created_at=T0, updated_at=T0))
            conn.execute(insert(deliveries).values(
                id=1, article_id=1, target="tg", platform="telegram", state="published",
                parts=["x"], attempts=1, retries=0, sent_ids=["9"], plain_text=False,
                created_at=T0, updated_at=T0))
            conn.execute(insert(attempts).values(
                delivery_id=1, attempt_id="a1", started_at=T0, outcome="published"))
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(attempts)).scalar() == 1
        _, (d,) = QueueStore(engine=engine).get_article(1)
        assert (d.state, d.sent_ids, d.approval) == (S.PUBLISHED, ("9",), None)
        assert len(QueueStore(engine=engine).get_article(1)[1][0].history) == 1
    finally:
        engine.dispose()
