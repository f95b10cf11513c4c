"""The revision store on every backend: edits, takedowns, confirmations, claim and finish."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.domain.errors import InputError
from bot.domain.models import DeliveryState, Platform, Post, PublishReceipt
from bot.domain.revisions import DeliveryChange, RevisionKind, RevisionState, StoryChange
from bot.store.queue import QueueStore
from bot.store.revisions import RevisionStore
from tests.core.test_store_contract import T0, _add

S = DeliveryState
R = RevisionState
K = RevisionKind


def _publish(queue: QueueStore, delivery_id: int, ids: tuple[str, ...]) -> None:
    """Claim and publish a delivery with these post ids."""
    assert queue.claim(delivery_id, "a1", T0)
    assert queue.finish(delivery_id, "a1", state=S.PUBLISHED, now=T0, outcome="published",
                        receipt=PublishReceipt(ids, f"https://x.com/n/status/{ids[0]}"))


def _changes(queue: QueueStore, article_id: int, text: str) -> list[DeliveryChange]:
    """New posts for every delivery of a story, X replying, Telegram editing."""
    _, found = queue.get_article(article_id)
    return [DeliveryChange(d.id, Post(d.platform, (text,)),
                           on_edit="reply" if d.platform is Platform.X else "edit",
                           correction=f"Correction: {text}") for d in found]


def test_edit_of_a_story_never_sent_changes_only_its_text(engine: Engine) -> None:
    """Unsent deliveries carry the new text; the edit is recorded, nothing waits to be sent."""
    queue, store = QueueStore(engine=engine), RevisionStore(engine=engine)
    article_id = _add(queue)
    made = store.edit_story(article_id, StoryChange(title="New title"),
                            _changes(queue, article_id, "new"), T0)
    assert {(r.kind, r.state) for r in made} == {(K.RECORD, R.DONE)}
    article, found = queue.get_article(article_id)
    assert article.title == "New title" and article.text == "Body."
    assert [(d.state, d.parts, d.attempts) for d in found] == [(S.PENDING, ("new",), 0)] * 2
    assert store.due(T0) == []


def test_edit_of_published_posts_waits_and_supersedes(engine: Engine) -> None:
    """Published deliveries get a pending edit/reply; a second edit supersedes the first."""
    queue, store = QueueStore(engine=engine), RevisionStore(engine=engine)
    article_id = _add(queue)
    _, (tg, xa) = queue.get_article(article_id)
    _publish(queue, tg.id, ("7",))
    _publish(queue, xa.id, ("100", "101"))
    first = store.edit_story(article_id, StoryChange(text="v2"), _changes(queue, article_id, "v2"), T0)
    assert [(r.kind, r.state) for r in first] == [(K.EDIT, R.PENDING), (K.REPLY, R.PENDING)]
    assert first[1].parts == ("Correction: v2",)
    second = store.edit_story(article_id, StoryChange(text="v3"), _changes(queue, article_id, "v3"),
                              T0)
    assert [r.id for r in store.due(T0)] == [r.id for r in second]
    assert {store.get(r.id).state for r in first} == {R.SUPERSEDED}


def test_claim_finish_and_new_ids(engine: Engine) -> None:
    """An X edit's new ids replace the delivery's; only the claiming attempt finishes."""
    queue, store = QueueStore(engine=engine), RevisionStore(engine=engine)
    article_id = _add(queue)
    _, (_, xa) = queue.get_article(article_id)
    _publish(queue, xa.id, ("100", "101"))
    changes = [DeliveryChange(xa.id, Post(Platform.X, ("a", "b")), on_edit="edit")]
    (rev,) = store.edit_story(article_id, StoryChange(text="ab"), changes, T0)
    assert store.claim(rev.id, "r1", T0) and not store.claim(rev.id, "r2", T0)
    store.record_step(rev.id, "r1", ["200"], T0)
    assert store.in_flight()[0].done_ids == ("200",)
    assert not store.finish(rev.id, "other", state=R.DONE, now=T0, outcome="edited")
    assert store.finish(rev.id, "r1", state=R.DONE, now=T0, outcome="edited",
                        new_post_ids=["200", "201"])
    d = queue.get_delivery(xa.id)
    assert (d.sent_ids, d.platform_post_id, d.permalink) == (
        ("200", "201"), "200", "https://x.com/n/status/200")


def test_takedown_withdraws_what_is_not_out_and_deletes_the_rest(engine: Engine) -> None:
    """Pending → withdrawn now; published → a delete revision that withdraws when done."""
    queue, store = QueueStore(engine=engine), RevisionStore(engine=engine)
    article_id = _add(queue)
    _, (tg, xa) = queue.get_article(article_id)
    _publish(queue, xa.id, ("100",))
    made = store.takedown(article_id, requested_by="ed", reason="legal", now=T0)
    assert [(r.kind, r.state, r.requested_by, r.reason) for r in made] == [
        (K.DELETE, R.DONE, "ed", "legal"), (K.DELETE, R.PENDING, "ed", "legal")]
    assert queue.get_delivery(tg.id).state is S.WITHDRAWN
    assert not queue.claim(tg.id, "late", T0 + timedelta(hours=1))
    assert store.takedown(article_id, requested_by="ed", reason=None, now=T0) == []
    rev = made[1]
    assert store.posts_to_delete(xa.id) == ("100",)
    assert store.claim(rev.id, "d1", T0)
    assert store.finish(rev.id, "d1", state=R.DONE, now=T0, outcome="deleted", withdraw=True)
    assert queue.get_delivery(xa.id).state is S.WITHDRAWN


def test_delete_waits_while_the_delivery_is_sent(engine: Engine) -> None:
    """A takedown of a post in flight waits until the send has ended."""
    queue, store = QueueStore(engine=engine), RevisionStore(engine=engine)
    article_id = _add(queue)
    _, (tg, _) = queue.get_article(article_id)
    assert queue.claim(tg.id, "s1", T0)
    made = store.takedown(article_id, requested_by="ed", reason=None, now=T0)
    assert [r.state for r in made] == [R.PENDING, R.DONE]
    assert store.due(T0) == []
    queue.finish(tg.id, "s1", state=S.PUBLISHED, now=T0, outcome="published",
                 receipt=PublishReceipt(("9",)))
    assert [r.id for r in store.due(T0)] == [made[0].id]


def test_confirm_settles_needs_review(engine: Engine) -> None:
    """confirm: needs_review → published with the id and link; not-posted → pending."""
    queue, store = QueueStore(engine=engine), RevisionStore(engine=engine)
    article_id = _add(queue)
    _, (tg, xa) = queue.get_article(article_id)
    for d in (tg, xa):
        assert queue.claim(d.id, "u", T0)
        queue.finish(d.id, "u", state=S.NEEDS_REVIEW, now=T0, outcome="uncertain")
    rev = store.confirm(article_id, "tg", post_id="55", permalink="https://t.me/news/55",
                        not_posted=False, requested_by="ed", now=T0)
    assert (rev.kind, rev.outcome) == (K.CONFIRM, "confirmed published as 55")
    d = queue.get_delivery(tg.id)
    assert (d.state, d.platform_post_id, d.permalink) == (S.PUBLISHED, "55", "https://t.me/news/55")
    store.confirm(article_id, "xa", post_id=None, permalink=None, not_posted=True,
                  requested_by="ed", now=T0)
    assert queue.get_delivery(xa.id).state is S.PENDING
    with pytest.raises(InputError, match="not needs_review"):
        store.confirm(article_id, "tg", post_id=None, permalink=None, not_posted=False,
                      requested_by="ed", now=T0)
