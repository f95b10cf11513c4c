"""The dispatcher's exactly-once path and failure handling, on SQLite with a scripted publisher."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.daemon.dispatch import Dispatcher, Lane, Pacers
from bot.daemon.runtime import Runtime
from bot.domain.errors import (
    AuthError,
    DuplicateContentError,
    EntityParseError,
    PermanentError,
    RateLimitedError,
    TransientError,
    UncertainError,
)
from bot.domain.models import ArticleDraft, DeliveryState, Platform, Post, PublishReceipt
from bot.domain.ports import ManualClock, PublishRequest
from bot.domain.retry import RetryPolicy
from bot.store.queue import QueueStore
from bot.wiring import build_app
from tests.conftest import emptied, make_settings
from tests.core.fake_publisher import RecordingPublisher

S = DeliveryState


class Rig:
    """An app on SQLite, a manual clock, one scripted publisher per target."""

    def __init__(self, tmp_path: Path, **settings: object) -> None:
        self.clock = ManualClock()
        self.app: Runtime = build_app(make_settings(tmp_path, **settings), clock=self.clock)
        self.pubs = {"tg": RecordingPublisher(), "xa": RecordingPublisher(reconciles=True)}
        lanes = {
            "tg": Lane("tg", Platform.TELEGRAM, "@news", self.pubs["tg"]),
            "xa": Lane("xa", Platform.X, "", self.pubs["xa"]),
        }
        self.dispatcher = Dispatcher(queue=self.app.queue, state=self.app.state, lanes=lanes,
                                     policy=RetryPolicy(max_attempts=3, base=10, jitter=0),
                                     clock=self.clock, rand=lambda: 0.5)

    def add(self, n: int = 1, targets: tuple[str, ...] | None = None) -> int:
        """Queue story ``n``."""
        draft = ArticleDraft(url=f"https://a.example/{n}", title=f"Story {n}",
                             text="First sentence here. Second one.", targets=targets)
        return self.app.intake.add(draft).article_id

    def run(self) -> int:
        """Plan and dispatch once."""
        self.app.planner.replan()
        return asyncio.run(self.dispatcher.publish_due())

    def state(self, article_id: int, target: str) -> tuple[DeliveryState, str | None]:
        """A delivery's state and last error."""
        _, ds = self.app.queue.get_article(article_id)
        d = next(d for d in ds if d.target == target)
        return d.state, d.last_error


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    """A fresh rig."""
    return Rig(tmp_path)


def test_publishes_each_delivery_once(rig: Rig) -> None:
    """Two stories on two targets go out once each; a second pass sends nothing."""
    rig.add(1)
    rig.add(2)
    assert rig.run() == 4
    assert rig.run() == 0
    assert len(rig.pubs["tg"].sent) == 2 and len(rig.pubs["xa"].sent) == 2
    assert rig.state(1, "tg")[0] is S.PUBLISHED


def test_transient_errors_back_off_then_fail(rig: Rig) -> None:
    """5xx retries after 10 s, 20 s; the third failure ends `failed` with the reason."""
    rig.pubs["tg"].script.extend([TransientError("502 Bad Gateway")] * 3)
    a = rig.add(1, ("tg",))
    rig.run()
    assert rig.state(a, "tg")[0] is S.PENDING
    rig.clock.advance(9)
    assert rig.run() == 0
    rig.clock.advance(1)
    assert rig.run() == 1
    rig.clock.advance(20)
    rig.run()
    state, error = rig.state(a, "tg")
    assert state is S.FAILED and "gave up after 3 attempts: 502 Bad Gateway" in (error or "")


def test_rate_limit_blocks_only_that_target(rig: Rig) -> None:
    """A 429 blocks its target until retry_after; the other target keeps flowing."""
    rig.pubs["tg"].script.append(RateLimitedError("429", retry_after=30))
    a = rig.add(1)
    b = rig.add(2)
    rig.run()
    assert rig.state(a, "xa")[0] is S.PUBLISHED and rig.state(b, "xa")[0] is S.PUBLISHED
    assert rig.state(a, "tg")[0] is S.PENDING
    assert len(rig.pubs["tg"].sent) == 1, "nothing else sent to the limited chat"
    rig.clock.advance(29)
    assert rig.run() == 0
    rig.clock.advance(1)
    rig.run()
    assert rig.state(a, "tg")[0] is S.PUBLISHED and rig.state(b, "tg")[0] is S.PUBLISHED


def test_auth_error_pauses_target_and_others_continue(rig: Rig) -> None:
    """401 pauses the target with the reason; its stories wait; the other target publishes."""
    rig.pubs["tg"].script.append(AuthError("Unauthorized", platform_message="401 Unauthorized"))
    a = rig.add(1)
    rig.run()
    assert rig.state(a, "tg")[0] is S.PENDING
    assert rig.state(a, "xa")[0] is S.PUBLISHED
    paused = rig.app.state.targets()["tg"].paused_reason or ""
    assert "401 Unauthorized" in paused and not paused.startswith("target paused")  # said once
    _, (d_tg, _) = rig.app.queue.get_article(a)
    assert (d_tg.plan_reason or "").count("target paused") <= 1
    rig.clock.advance(3600)
    assert rig.run() == 0
    rig.app.state.resume("tg")
    rig.run()
    assert rig.state(a, "tg")[0] is S.PUBLISHED


def test_permanent_error_fails_with_platform_message(rig: Rig) -> None:
    """A bad request fails at once with the platform's own words, no retry."""
    rig.pubs["tg"].script.append(PermanentError("x", platform_message="Bad Request: chat not found"))
    a = rig.add(1, ("tg",))
    rig.run()
    assert rig.state(a, "tg") == (S.FAILED, "Bad Request: chat not found")
    rig.clock.advance(3600)
    assert rig.run() == 0


def test_entity_error_retries_once_as_plain_text(rig: Rig) -> None:
    """"can't parse entities" resends once without parse mode; a second one fails."""
    rig.pubs["tg"].script.append(EntityParseError("can't parse entities"))
    a = rig.add(1, ("tg",))
    rig.run()
    rig.run()
    assert rig.state(a, "tg")[0] is S.PUBLISHED
    assert [r.plain_text for r in rig.pubs["tg"].sent] == [False, True]


def test_uncertain_telegram_send_needs_review_and_retry_resends(rig: Rig) -> None:
    """A Telegram timeout is never resent blindly: needs_review, then queue retry resends."""
    rig.pubs["tg"].script.append(UncertainError("timed out"))
    a = rig.add(1, ("tg",))
    rig.run()
    assert rig.state(a, "tg")[0] is S.NEEDS_REVIEW
    rig.clock.advance(3600)
    assert rig.run() == 0
    rig.app.intake.retry(a)
    rig.run()
    assert rig.state(a, "tg")[0] is S.PUBLISHED
    assert len(rig.pubs["tg"].sent) == 2


def test_uncertain_x_send_is_reconciled(rig: Rig) -> None:
    """An X timeout after the post landed is found among recent posts: published, not resent."""
    pub = rig.pubs["xa"]
    pub.deliver_on_error = True
    pub.script.append(UncertainError("read timeout"))
    a = rig.add(1, ("xa",))
    rig.run()
    assert rig.state(a, "xa")[0] is S.PUBLISHED
    assert len(pub.sent) == 1


def test_uncertain_x_send_not_found_is_sent_again(rig: Rig) -> None:
    """An X timeout whose post is not on the account goes back to pending and is sent."""
    rig.pubs["xa"].script.append(UncertainError("read timeout"))
    a = rig.add(1, ("xa",))
    rig.run()
    assert rig.state(a, "xa")[0] is S.PENDING
    rig.clock.advance(2)
    rig.run()
    assert rig.state(a, "xa")[0] is S.PUBLISHED


def test_duplicate_content_is_never_retried(rig: Rig) -> None:
    """X's duplicate-content 403 is not resent; without a matching post it ends failed."""
    rig.pubs["xa"].script.append(DuplicateContentError("dup", platform_message="duplicate content"))
    a = rig.add(1, ("xa",))
    rig.run()
    rig.clock.advance(3600)
    rig.run()
    state, error = rig.state(a, "xa")
    assert state is S.FAILED and "duplicate content" in (error or "")
    assert len(rig.pubs["xa"].sent) == 1


def test_recover_after_a_crash_mid_send(rig: Rig) -> None:
    """Rows left `sending` by a dead process: Telegram → needs_review, X → reconciled."""
    a = rig.add(1)
    rig.app.planner.replan()
    for d in rig.app.queue.due(rig.clock.now()):
        rig.app.queue.claim(d.id, f"dead-{d.id}", rig.clock.now())
    _, ds = rig.app.queue.get_article(a)
    x_id = next(d.id for d in ds if d.target == "xa")
    rig.pubs["xa"].delivered[x_id] = PublishReceipt(("555",))
    assert asyncio.run(rig.dispatcher.recover()) == 2
    assert rig.state(a, "tg")[0] is S.NEEDS_REVIEW
    assert rig.state(a, "xa")[0] is S.PUBLISHED
    assert rig.pubs["tg"].sent == [] and rig.pubs["xa"].sent == []


def test_thread_resumes_after_parts_already_sent(rig: Rig) -> None:
    """A thread cut after part 1 resumes at part 2 and keeps part 1's id."""
    pub = rig.pubs["xa"]
    a = rig.add(1, ("xa",))
    rig.app.planner.replan()
    (d,) = rig.app.queue.due(rig.clock.now())
    rig.app.queue.rerender(d.id, Post(Platform.X, ("1/2 first", "2/2 second")), rig.clock.now())
    pub.script.append(TransientError("503"))
    rig.run()
    assert rig.state(a, "xa")[0] is S.PENDING
    rig.clock.advance(timedelta(seconds=10).total_seconds())
    rig.run()
    got = rig.app.queue.get_delivery(d.id)
    assert got.state is S.PUBLISHED
    assert [r.already_sent for r in pub.sent] == [(), ()]


def test_rate_limits_do_not_use_up_the_transient_budget(rig: Rig) -> None:
    """Five flood waits then one 5xx: the 5xx is retried, since only transient failures count
    towards retry.max_attempts (3 here)."""
    pub = rig.pubs["tg"]
    pub.script.extend([RateLimitedError("429", retry_after=1)] * 5 + [TransientError("502")])
    a = rig.add(1, ("tg",))
    for _ in range(8):
        rig.run()
        rig.clock.advance(30)
    assert rig.state(a, "tg")[0] is S.PUBLISHED


def test_retry_sends_an_expired_story_once_more(tmp_path: Path) -> None:
    """A story expired by max_age goes out after `queue retry` instead of expiring again."""
    rig = Rig(tmp_path, schedules={"short": {"max_age": "1h"}},
              targets=[{"name": "tg", "platform": "telegram", "chat": "@news",
                        "schedule": "short"}])
    a = rig.add(1, ("tg",))
    rig.clock.advance(2 * 3600)
    rig.run()
    assert rig.state(a, "tg")[0] is S.EXPIRED
    rig.app.intake.retry(a)
    rig.run()
    assert rig.state(a, "tg")[0] is S.PUBLISHED


def test_retry_after_review_resumes_a_cut_thread(rig: Rig) -> None:
    """A thread cut after part 1 by an unknown outcome keeps part 1 through `queue retry`:
    only part 2 is sent again."""
    pub = rig.pubs["tg"]
    a = rig.add(1, ("tg",))
    rig.app.planner.replan()
    (d,) = rig.app.queue.due(rig.clock.now())
    rig.app.queue.rerender(d.id, Post(Platform.TELEGRAM, ("part one", "part two"), None, "HTML"),
                           rig.clock.now())
    pub.script.extend([UncertainError("timed out")])

    async def cut_after_first(request):  # type: ignore[no-untyped-def]
        if request.on_part_sent:
            await request.on_part_sent(0, "701")
        raise pub.script.popleft()

    original = pub.publish
    pub.publish = cut_after_first  # type: ignore[method-assign]
    rig.run()
    assert rig.state(a, "tg")[0] is S.NEEDS_REVIEW
    pub.publish = original  # type: ignore[method-assign]
    rig.app.intake.retry(a)
    rig.run()
    got = rig.app.queue.get_delivery(d.id)
    assert got.state is S.PUBLISHED and got.sent_ids[0] == "701"
    assert pub.sent[-1].already_sent == ("701",) and pub.sent[-1].post.parts[1] == "part two"


def test_repost_happens_once_then_waits_for_review(tmp_path: Path) -> None:
    """With on_uncertain = "repost", an unknown outcome is reposted once (after a backoff);
    a second unknown outcome waits for review instead of posting again and again."""
    rig = Rig(tmp_path, targets=[{"name": "tg", "platform": "telegram", "chat": "@news",
                                  "on_uncertain": "repost"}])
    rig.dispatcher.lanes = {"tg": Lane("tg", Platform.TELEGRAM, "@news", rig.pubs["tg"],
                                       on_uncertain="repost")}
    rig.pubs["tg"].script.extend([UncertainError("timed out")] * 2)
    a = rig.add(1, ("tg",))
    rig.run()
    assert rig.state(a, "tg")[0] is S.PENDING
    rig.clock.advance(60)
    rig.run()
    assert rig.state(a, "tg")[0] is S.NEEDS_REVIEW
    rig.clock.advance(3600)
    assert rig.run() == 0
    assert len(rig.pubs["tg"].sent) == 2


def _paced(rig: Rig, pacers: Pacers, per_minute: int) -> Dispatcher:
    """A dispatcher whose Telegram lane is paced at ``per_minute`` with ``pacers`` (a reload
    builds a new dispatcher that keeps the pacers and their recent sends)."""
    lane = Lane("tg", Platform.TELEGRAM, "@news", rig.pubs["tg"], pacer_key="telegram",
                per_minute=per_minute)
    return Dispatcher(queue=rig.app.queue, state=rig.app.state, lanes={"tg": lane},
                      policy=RetryPolicy(max_attempts=3, base=10, jitter=0), clock=rig.clock,
                      rand=lambda: 0.5, pacers=pacers)


def test_pacing_change_on_reload_takes_effect(rig: Rig) -> None:
    """A chat limited to 1 a minute holds its second post; after a reload raising the limit,
    the post goes out at once (the old limit is not kept), the earlier send still counted."""
    rig.add(1, targets=("tg",))
    rig.add(2, targets=("tg",))
    rig.app.planner.replan()
    pacers = Pacers()
    slow = _paced(rig, pacers, per_minute=1)
    assert asyncio.run(slow.publish_due()) == 1
    assert (slow.next_wake() or 0) > 50
    fast = _paced(rig, pacers, per_minute=100)
    assert asyncio.run(fast.publish_due()) == 1
    assert len(rig.pubs["tg"].sent) == 2


def test_fractional_bot_rate_is_honoured() -> None:
    """messages_per_second = 0.5 is one message per two seconds, not one per second."""
    pacers = Pacers(per_second=0.5)
    limit, period = pacers.per_bot()
    window = pacers.window("bot:telegram", limit, period)
    window.record(100.0)
    assert window.wait_time(101.0) == pytest.approx(1.0)
    assert window.wait_time(102.0) == 0.0
    assert Pacers(per_second=2.5).per_bot() == (2, pytest.approx(0.8))
    assert Pacers(per_second=30).per_bot() == (30, 1.0)


class CountingQueue(QueueStore):
    """The real store, counting the commits of the send path (and failing one on request)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[str] = []
        self.fail_next_merge = False
        self.failing_finishes = 0
        self.lose_claim_answer = False
        self.failing_releases = 0

    def claim(self, *args: Any, **kwargs: Any) -> bool:
        self.calls.append("claim")
        took = super().claim(*args, **kwargs)
        if self.lose_claim_answer:
            self.lose_claim_answer = False
            raise OSError("connection lost after the commit")
        return took

    def finish(self, *args: Any, **kwargs: Any) -> bool:
        if self.failing_finishes:
            self.failing_finishes -= 1
            raise OSError("disk went away")
        self.calls.append("finish")
        return super().finish(*args, **kwargs)

    def release(self, *args: Any, **kwargs: Any) -> bool:
        if self.failing_releases:
            self.failing_releases -= 1
            raise OSError("disk went away")
        return super().release(*args, **kwargs)

    def published_then_claim(self, *args: Any, **kwargs: Any) -> tuple[bool, bool]:
        if self.fail_next_merge:
            self.fail_next_merge = False
            raise OSError("disk went away")
        self.calls.append("published+claim")
        return super().published_then_claim(*args, **kwargs)


def _counting(rig: Rig) -> CountingQueue:
    """Give the rig's dispatcher a counting store on the same database."""
    queue = CountingQueue(engine=rig.app.engine)
    rig.dispatcher.queue = queue
    return queue


def test_a_lane_commits_once_per_post(rig: Rig) -> None:
    """Three posts on one lane cost one commit each: the first claim alone, each later claim
    carrying the previous post's record, and the last record when the lane ends; every
    post ends published with its attempt recorded."""
    queue = _counting(rig)
    for n in (1, 2, 3):
        rig.add(n, targets=("tg",))
    assert rig.run() == 3
    assert queue.calls == ["claim", "published+claim", "published+claim", "finish"]
    for n in (1, 2, 3):
        assert rig.state(n, "tg") == (S.PUBLISHED, None)
        _, ds = rig.app.queue.get_article(n)
        assert [a.outcome for a in ds[0].history] == ["published"]
    assert rig.dispatcher.published == 3


def test_a_publish_waiting_for_its_record_is_not_recovered(rig: Rig) -> None:
    """While a lane's last publish waits to be recorded with the next claim, the periodic
    recovery of interrupted sends leaves it alone (it is published, not needs_review)."""
    for n in (1, 2):
        rig.add(n, targets=("tg",))
    pub = rig.pubs["tg"]
    inner = pub.publish
    recovered: list[int] = []

    async def publish(request: PublishRequest) -> PublishReceipt:
        if len(pub.sent) == 1:  # the second post: the first one is not recorded yet
            recovered.append(await rig.dispatcher.recover())
        return await inner(request)

    pub.publish = publish  # type: ignore[method-assign]
    assert rig.run() == 2
    assert recovered == [0]
    assert rig.state(1, "tg") == (S.PUBLISHED, None)
    assert rig.state(2, "tg") == (S.PUBLISHED, None)


def test_a_failed_merged_commit_still_records_the_publish(rig: Rig) -> None:
    """When the commit that records a publish and claims the next post fails, the publish is
    recorded on its own as the lane ends, and the next post stays pending for a later pass."""
    queue = _counting(rig)
    for n in (1, 2):
        rig.add(n, targets=("tg",))
    queue.fail_next_merge = True
    assert rig.run() == 1
    assert rig.state(1, "tg") == (S.PUBLISHED, None)
    assert rig.state(2, "tg")[0] is S.PENDING
    assert len(rig.pubs["tg"].sent) == 1
    assert rig.run() == 1
    assert rig.state(2, "tg") == (S.PUBLISHED, None)


def test_a_publish_the_database_failed_to_record_is_recorded_later(rig: Rig) -> None:
    """A post that went out but whose record the database refused (twice: as the lane ends,
    and on the first recovery pass) stays in hand: never settled as an interrupted send (no
    review, nothing sent again), and recorded as published once the database answers."""
    queue = _counting(rig)
    rig.add(1, targets=("tg",))
    queue.failing_finishes = 2
    rig.run()
    assert rig.state(1, "tg")[0] is S.SENDING
    assert asyncio.run(rig.dispatcher.recover()) == 0
    assert rig.state(1, "tg")[0] is S.SENDING, "the second try failed too: still in hand"
    assert asyncio.run(rig.dispatcher.recover()) == 0
    _, (d,) = rig.app.queue.get_article(1)
    assert (d.state, d.platform_post_id) == (S.PUBLISHED, "101")
    assert [a.outcome for a in d.history] == ["published"]
    assert len(rig.pubs["tg"].sent) == 1
    assert rig.dispatcher.published == 1


def test_a_platform_error_the_database_failed_to_take_is_applied_later(rig: Rig) -> None:
    """A post the platform refused (a 502: retried later) whose outcome the database did not
    take stays in hand with that error: the next recovery pass plans its retry, as if the
    database had answered; it never becomes an unknown outcome waiting for review."""
    queue = _counting(rig)
    rig.add(1, targets=("tg",))
    rig.pubs["tg"].script.append(TransientError("502 Bad Gateway"))
    queue.failing_finishes = 1
    rig.run()
    assert rig.state(1, "tg")[0] is S.SENDING
    assert asyncio.run(rig.dispatcher.recover()) == 0
    state, error = rig.state(1, "tg")
    assert state is S.PENDING and "502 Bad Gateway" in (error or "")
    _, (d,) = rig.app.queue.get_article(1)
    assert [(a.outcome, a.error_kind) for a in d.history] == [("transient", "transient")]
    rig.clock.advance(60)
    rig.run()
    assert rig.state(1, "tg") == (S.PUBLISHED, None)
    assert len(rig.pubs["tg"].sent) == 2


def test_a_claim_whose_answer_was_lost_is_given_back(rig: Rig) -> None:
    """A claim committed whose answer the database connection lost: nothing was sent, so the
    claim is given back (pending, its attempt not counted) instead of being settled as an
    unknown outcome — at once, or, while the database is still away, by the next recovery
    pass; the post then goes out once."""
    queue = _counting(rig)
    rig.add(1, targets=("tg",))
    queue.lose_claim_answer = True
    rig.run()
    _, (d,) = rig.app.queue.get_article(1)
    assert (d.state, d.attempts, d.last_error) == (S.PENDING, 0, None)
    assert rig.pubs["tg"].sent == []

    rig.add(2, targets=("tg",))
    rig.run()  # stories 1 and 2 go
    queue.lose_claim_answer, queue.failing_releases = True, 1  # the database stays away
    rig.add(3, targets=("tg",))
    rig.run()
    assert rig.state(3, "tg")[0] is S.SENDING
    assert asyncio.run(rig.dispatcher.recover()) == 0
    _, (d,) = rig.app.queue.get_article(3)
    assert (d.state, d.attempts) == (S.PENDING, 0)
    rig.run()
    assert [rig.state(n, "tg") for n in (1, 2, 3)] == [(S.PUBLISHED, None)] * 3
    assert sorted(r.delivery_id for r in rig.pubs["tg"].sent) == [1, 2, 3]


def test_a_publish_survives_its_database_connections_being_cut(tmp_path: Path,
                                                               postgres_url: str) -> None:
    """On PostgreSQL, every connection of the bot cut by the server right after the platform
    took a post (as a server restart or a failover does): the commit that would record it
    and claim the next fails, so does its own record as the lane ends, and the next passes
    record it and send the rest; each post goes out once and ends published, none in review."""
    from sqlalchemy import create_engine, text

    rig = Rig(tmp_path, database_url=emptied(postgres_url))
    admin = create_engine(postgres_url)
    pub = rig.pubs["tg"]
    inner = pub.publish

    async def publish(request: PublishRequest) -> PublishReceipt:
        receipt = await inner(request)
        if len(pub.sent) == 2:
            with admin.begin() as conn:
                conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        return receipt

    pub.publish = publish  # type: ignore[method-assign]
    try:
        rig.add(1, targets=("tg",))
        rig.run()  # one post alone: its record opens the connection for records too
        for n in (2, 3):
            rig.add(n, targets=("tg",))
        for _ in range(3):
            rig.run()
            asyncio.run(rig.dispatcher.recover())
        assert [rig.state(n, "tg") for n in (1, 2, 3)] == [(S.PUBLISHED, None)] * 3
        assert sorted(r.delivery_id for r in pub.sent) == sorted(set(
            r.delivery_id for r in pub.sent)), "nothing sent twice"
        assert len(pub.sent) == 3
    finally:
        rig.app.dispose()
        admin.dispose()


def test_a_story_with_an_image_is_claimed_after_the_record(rig: Rig) -> None:
    """Before a post with an image (fetched and uploaded before its claim), the previous
    publish is recorded on its own: no record waits on an image download."""
    queue = _counting(rig)
    rig.add(1, targets=("xa",))
    draft = ArticleDraft(url="https://a.example/2", title="Story 2", targets=("xa",),
                         text="First sentence here. Second one.",
                         image_url="https://img.example/2.jpg")
    rig.app.intake.add(draft)
    assert rig.run() == 2
    assert queue.calls == ["claim", "finish", "claim", "finish"]
    assert rig.state(2, "xa") == (S.PUBLISHED, None)


def test_a_lane_carries_on_while_its_horizon_is_refilled(rig: Rig) -> None:
    """Well into its batch a lane asks for its target's horizon to be refilled, and when
    the batch is done it carries on with what became due: forty stories behind a horizon of
    sixteen go out in one dispatch, in queue order, each once."""
    rig.app.planner.horizon = 16
    for n in range(1, 41):
        rig.add(n, targets=("tg",))
    asked: list[str] = []

    def plan_ahead(target: str) -> None:
        asked.append(target)
        rig.app.planner.replan([target])

    rig.dispatcher.on_running_low = plan_ahead
    rig.app.planner.replan()
    assert asyncio.run(rig.dispatcher.publish_due()) == 40
    assert [r.article_id for r in rig.pubs["tg"].sent] == list(range(1, 41))
    assert len(asked) >= 3 and set(asked) == {"tg"}
    assert asyncio.run(rig.dispatcher.publish_due()) == 0


def test_a_lane_without_planning_ahead_stops_at_its_batch(rig: Rig) -> None:
    """Without a refill the lane ends when its batch is done (nothing more is due), and the
    rest waits for the next planning pass; a short batch does not ask for one."""
    rig.app.planner.horizon = 8
    for n in range(1, 31):
        rig.add(n, targets=("tg",))
    rig.app.planner.replan()
    assert asyncio.run(rig.dispatcher.publish_due()) == 8
    asked: list[str] = []
    rig.dispatcher.on_running_low = asked.append
    rig.app.planner.horizon = 3
    rig.app.planner.replan(["tg"])
    assert asyncio.run(rig.dispatcher.publish_due()) == 3
    assert asked == []
