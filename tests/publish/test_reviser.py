"""Revisions applied through the real clients to the fakes: edits, fallbacks, replies, takedowns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.daemon.revising import Reviser, RevisionLane, Step
from bot.domain.models import ArticleDraft, DeliveryState, Platform, Post, PublishReceipt
from bot.domain.ports import ManualClock
from bot.domain.retry import RetryPolicy
from bot.domain.revisions import DeliveryChange, RevisionKind, RevisionState, StoryChange
from bot.publish.telegram import TelegramPublisher
from bot.publish.x import XPublisher
from bot.store.db import make_engine, upgrade
from bot.store.queue import NewDelivery, QueueStore
from bot.store.revisions import RevisionStore
from bot.store.state import StateStore
from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeTelegram, MakeX
from tests.fakes.httpbase import FakeServer
from tests.publish.conftest import request_for, tg_publisher, x_publisher

pytestmark = pytest.mark.anyio
R = RevisionState
K = RevisionKind


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database."""
    eng = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    upgrade(eng)
    yield eng
    eng.dispose()


@dataclass
class Rig:
    """Stores, a reviser, and one lane per platform on the fakes."""

    queue: QueueStore
    store: RevisionStore
    state: StateStore
    reviser: Reviser
    lanes: dict[str, RevisionLane]
    tg: TelegramPublisher
    xp: XPublisher
    clock: ManualClock

    async def story(self, n: int, tg_parts: tuple[str, ...], x_parts: tuple[str, ...],
                    image_url: str | None = None) -> int:
        """Publish story ``n`` on both fakes for real and record it as published."""
        draft = ArticleDraft(url=f"https://news.example/{n}", title=f"Story {n}", text="Body.")
        posts = [NewDelivery("tg", Platform.TELEGRAM,
                             Post(Platform.TELEGRAM, tg_parts, image_url, "HTML")),
                 NewDelivery("xa", Platform.X, Post(Platform.X, x_parts))]
        now = self.clock.now()
        article_id, _ = self.queue.add_article(draft, canonical_url=draft.url, deliveries_=posts,
                                               now=now)
        _, found = self.queue.get_article(article_id)
        self.queue.set_plans([(d.id, now, "now") for d in found])
        for d in found:
            publisher = self.tg if d.platform is Platform.TELEGRAM else self.xp
            receipt: PublishReceipt = await publisher.publish(
                request_for(d.platform, *d.parts, image_url=d.image_url))
            assert self.queue.claim(d.id, "p", now)
            self.queue.finish(d.id, "p", state=DeliveryState.PUBLISHED, now=now,
                              outcome="published", receipt=receipt)
        return article_id

    def edit(self, article_id: int, tg_parts: tuple[str, ...], x_parts: tuple[str, ...],
             x_on_edit: str = "edit") -> None:
        """Edit a story: new parts for both deliveries."""
        _, (tg, xa) = self.queue.get_article(article_id)
        self.store.edit_story(article_id, StoryChange(text="new"), [
            DeliveryChange(tg.id, Post(Platform.TELEGRAM, tg_parts, parse_mode="HTML")),
            DeliveryChange(xa.id, Post(Platform.X, x_parts), on_edit=x_on_edit,
                           correction=f"Correction: Story {article_id} https://news.example/x"),
        ], self.clock.now())

    async def drain(self, rounds: int = 20) -> None:
        """Apply every due revision, moving time on between rounds (retries, backoff)."""
        for _ in range(rounds):
            due = self.store.due(self.clock.now())
            for rev in due:
                await self.reviser.apply(self.lanes[rev.target], rev)
            self.clock.advance(120)
            await self.reviser.recover(self.lanes)


@pytest.fixture
async def rig(engine: Engine, telegram_server: FakeServer, x_server: FakeServer,
              anyio_backend: str) -> AsyncIterator[Rig]:
    """The rig on fault-free fakes."""
    async for made in _rig(engine, telegram_server, x_server):
        yield made


async def _rig(engine: Engine, tgs: FakeServer, xs: FakeServer) -> AsyncIterator[Rig]:
    clock = ManualClock()
    store, state = RevisionStore(engine=engine), StateStore(engine=engine)
    tg, xp = tg_publisher(tgs), x_publisher(xs)
    lanes = {"tg": RevisionLane("tg", Platform.TELEGRAM, "@news", tg),
             "xa": RevisionLane("xa", Platform.X, "", xp)}
    reviser = Reviser(store=store, state=state, policy=RetryPolicy(base=1, jitter=0),
                      clock=clock, rand=lambda: 0.5)
    yield Rig(QueueStore(engine=engine), store, state, reviser, lanes, tg, xp, clock)
    await tg.aclose()
    await xp.aclose()


async def test_edit_reaches_every_message(rig: Rig, telegram_server: FakeServer,
                                          x_server: FakeServer) -> None:
    """A photo caption, its follow-up and an X thread all carry the new text afterwards."""
    article_id = await rig.story(1, ("caption", "more"), ("x one 1/2", "x two 2/2"),
                                 image_url="https://e.org/p.jpg")
    rig.edit(article_id, ("new caption", "new more"), ("y one 1/2", "y two 2/2"))
    await rig.drain()
    assert [m["text"] for m in telegram_server.app.messages] == ["new caption", "new more"]
    live = [t["text"] for t in x_server.app.tweets if not t.get("superseded_by")]
    assert live == ["y one 1/2", "y two 2/2"]
    _, (_, xa) = rig.queue.get_article(article_id)
    assert xa.platform_post_id == x_server.app.tweets[-2]["id"]


async def test_refused_x_edit_falls_back_to_one_reply(rig: Rig, x_server: FakeServer) -> None:
    """Past X's edit window the correction goes out once, as a reply to the first post."""
    article_id = await rig.story(2, ("t",), ("x post",))
    x_server.app.edit_window_seconds = 0  # type: ignore[attr-defined]
    rig.edit(article_id, ("t2",), ("x post fixed",))
    await rig.drain()
    revs = rig.store.for_articles([article_id])
    _, (_, xa) = rig.queue.get_article(article_id)
    (last,) = revs[xa.id]
    assert (last.kind, last.state) == (K.REPLY, R.DONE)
    assert last.outcome == "correction posted (the edit was refused)"
    replies = [t for t in x_server.app.tweets if t["in_reply_to"] == xa.platform_post_id]
    assert [t["text"] for t in replies] == ["Correction: Story 2 https://news.example/2"]
    assert last.result_ids == (replies[0]["id"],)


async def test_takedown_deletes_posts_and_replies(rig: Rig, telegram_server: FakeServer,
                                                  x_server: FakeServer) -> None:
    """After a correction reply, a takedown deletes every message, part and reply."""
    article_id = await rig.story(3, ("a", "b"), ("c 1/2", "d 2/2"))
    rig.edit(article_id, ("a2", "b2"), ("c2",), x_on_edit="reply")
    await rig.drain()
    rig.store.takedown(article_id, requested_by="ed", reason="legal", now=rig.clock.now())
    await rig.drain()
    assert all(m.get("deleted") for m in telegram_server.app.messages)
    assert all(t.get("deleted") for t in x_server.app.tweets) and len(x_server.app.tweets) == 3
    _, found = rig.queue.get_article(article_id)
    assert {d.state for d in found} == {DeliveryState.WITHDRAWN}


async def test_unknown_reply_outcome_is_not_posted_twice(
    engine: Engine, make_telegram_server: MakeTelegram, make_x_server: MakeX, anyio_backend: str
) -> None:
    """A reply whose answer is lost is found on X, not resent; on Telegram it waits for a person."""
    tgs, xs = make_telegram_server(faults=FaultPlan()), make_x_server(faults=FaultPlan())
    async for rig in _rig(engine, tgs, xs):
        article_id = await rig.story(4, ("a",), ("b",))
        tgs.app.faults.queue(["drop_after"])
        xs.app.faults.queue(["drop_after"])
        _, (tg, xa) = rig.queue.get_article(article_id)
        rig.store.edit_story(article_id, StoryChange(text="n"), [
            DeliveryChange(tg.id, Post(Platform.TELEGRAM, ("a2",)), on_edit="reply",
                           correction="Correction: four"),
            DeliveryChange(xa.id, Post(Platform.X, ("b2",)), on_edit="reply",
                           correction="Correction: four"),
        ], rig.clock.now())
        await rig.drain()
        assert [t["text"] for t in xs.app.tweets].count("Correction: four") == 1
        assert [m["text"] for m in tgs.app.messages].count("Correction: four") == 1
        revs = rig.store.for_articles([article_id])
        assert revs[xa.id][-1].state is R.DONE
        assert (revs[tg.id][-1].state, revs[tg.id][-1].error_kind) == (R.FAILED, "uncertain")


async def test_a_reply_whose_record_the_database_refused_is_recorded_later(
        rig: Rig, telegram_server: FakeServer) -> None:
    """A Telegram correction reply that went out while the database refused its record stays
    in hand and is recorded as done by the next recovery pass: not settled as interrupted
    (which, for a reply Telegram cannot be asked about, would end in "outcome unknown")."""
    article_id = await rig.story(5, ("a",), ("b",))
    _, (tg, _) = rig.queue.get_article(article_id)
    rig.store.edit_story(article_id, StoryChange(text="n"), [
        DeliveryChange(tg.id, Post(Platform.TELEGRAM, ("a2",)), on_edit="reply",
                       correction="Correction: five")], rig.clock.now())
    inner, failing = rig.store.finish, [1]

    def finish(*args: object, **kwargs: object) -> bool:
        if failing:
            failing.pop()
            raise OSError("disk went away")
        return inner(*args, **kwargs)  # type: ignore[arg-type]

    rig.store.finish = finish  # type: ignore[method-assign]
    (rev,) = rig.store.due(rig.clock.now())
    with pytest.raises(Exception, match="disk went away"):
        await rig.reviser.apply(rig.lanes["tg"], rev)
    assert rig.store.for_articles([article_id])[tg.id][-1].state is R.SENDING
    await rig.reviser.recover(rig.lanes)
    await rig.drain()
    (last,) = rig.store.for_articles([article_id])[tg.id]
    assert (last.state, last.outcome) == (R.DONE, "correction posted")
    replies = [m for m in telegram_server.app.messages if m["text"] == "Correction: five"]
    assert len(replies) == 1 and last.result_ids == (str(replies[0]["message_id"]),)


async def test_rate_limit_halts_the_lane(engine: Engine, make_telegram_server: MakeTelegram,
                                         x_server: FakeServer, anyio_backend: str) -> None:
    """A 429 on an edit blocks the target until the announced time; the edit waits."""
    tgs = make_telegram_server(faults=FaultPlan(retry_after=30))
    async for rig in _rig(engine, tgs, x_server):
        article_id = await rig.story(5, ("a",), ("b",))
        rig.edit(article_id, ("a2",), ("b2",))
        tgs.app.faults.queue(["429"])
        (rev,) = [r for r in rig.store.due(rig.clock.now()) if r.target == "tg"]
        assert await rig.reviser.apply(rig.lanes["tg"], rev) is Step.HALT
        assert rig.state.targets()["tg"].blocked_until is not None
        assert rig.store.get(rev.id).state is R.PENDING


async def test_undeletable_post_fails_and_status_says_so(
    rig: Rig, telegram_server: FakeServer, tmp_path: Path
) -> None:
    """Past Telegram's delete window the takedown fails with Telegram's words, the delivery
    stays published, and ``status`` lists the failure among its problems."""
    from bot.reports.status import status_data
    from tests.conftest import make_settings

    article_id = await rig.story(6, ("old",), ("old x",))
    telegram_server.app.delete_window_seconds = 0  # type: ignore[attr-defined]
    rig.store.takedown(article_id, requested_by="ed", reason=None, now=rig.clock.now())
    await rig.drain(3)
    _, (tg, xa) = rig.queue.get_article(article_id)
    assert (tg.state, xa.state) == (DeliveryState.PUBLISHED, DeliveryState.WITHDRAWN)
    data = status_data(settings=make_settings(tmp_path), clock=rig.clock, queue=rig.queue,
                       state=rig.state, engine=rig.store.engine, revisions=rig.store)
    assert any("on tg: delete failed" in p and "can't be deleted" in p for p in data["problems"])
    assert {t["name"]: t["corrections"] for t in data["targets"]}["tg"] == {"failed": 1}
