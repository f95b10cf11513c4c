"""Publishing due deliveries exactly once: claim, send, record; one task per target lane.

Each target with due posts gets its own asyncio task (a *lane*), so one slow, paced, paused or
rate-limited target never holds up another. A lane sends its posts in planned order: claim
(``sending``, committed), the platform call, then ``published`` with the platform's id.
Failures go through the one retry policy (``bot.domain.retry``); an unknown outcome is
settled by asking the platform (reconciliation) or by review, never by a blind resend.
Corrections and takedowns of posts already out (revisions, ``bot.daemon.revising``) take the
same lanes, before the lane's new posts, under the same pacing, blocks and pauses.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.daemon.images import NOTHING, ImageStep, PreparedImage
from bot.daemon.revising import Reviser, RevisionLane, Step
from bot.domain.errors import (
    DuplicateContentError,
    PermanentError,
    PublishError,
    TransientError,
    UncertainError,
)
from bot.domain.models import Delivery, DeliveryState, Platform, PublishReceipt
from bot.domain.pacing import SlidingWindow
from bot.domain.ports import Clock, Publisher, PublishRequest
from bot.domain.retry import Action, RetryPolicy, decide
from bot.domain.revisions import DEFAULT_CORRECTION_TEMPLATE, Revision
from bot.store.queue import Published, QueueStore
from bot.store.state import StateStore

log = logging.getLogger("crosspost.dispatch")
S = DeliveryState
_PLAN_AHEAD_FROM = 8
"""A lane asks for its horizon to be refilled ahead only in batches at least this long."""


@dataclass(frozen=True)
class _Unrecorded:
    """A publish whose ``published`` record rides on its lane's next claim."""

    delivery: Delivery
    done: Published
    elapsed: float | None  # seconds from the start of the attempt to the platform's answer


@dataclass(frozen=True)
class Lane:
    """How one target is reached: its publisher, chat and options."""

    target: str
    platform: Platform
    chat: str
    publisher: Publisher
    link_preview: str = "small"
    on_uncertain: str = "review"
    pacer_key: str = ""
    per_minute: int | None = None
    on_image_error: str = "post-without"
    correction_template: str = DEFAULT_CORRECTION_TEMPLATE

    def for_revisions(self) -> RevisionLane:
        """What the reviser needs of this lane."""
        return RevisionLane(self.target, self.platform, self.chat, self.publisher,
                            self.link_preview, self.correction_template)


@dataclass
class Pacers:
    """Per-chat and per-bot sliding windows (Telegram: ~20/min per chat, ~30/s per bot)."""

    per_second: float = 30.0
    windows: dict[str, SlidingWindow] = field(default_factory=dict)

    def window(self, key: str, limit: int, period: float) -> SlidingWindow:
        """The window for ``key`` (created on first use) with the limit asked now: a config
        reload that changes a limit takes effect at once, the recent sends still counted."""
        found = self.windows.get(key)
        if found is None:
            found = self.windows[key] = SlidingWindow(limit, period)
        elif (found.limit, found.period) != (limit, period):
            found.limit, found.period = limit, period
        return found

    def per_bot(self) -> tuple[int, float]:
        """``per_second`` as a window: 30/s is 30 per 1 s, 2.5/s is 2 per 0.8 s, and a rate
        below one, such as 0.5/s, is 1 per 2 s (never rounded up to 1/s)."""
        limit = max(1, int(self.per_second))
        return limit, limit / self.per_second


class Dispatcher:
    """Starts one lane task per target with due posts; lanes run concurrently."""

    def __init__(
        self,
        *,
        queue: QueueStore,
        state: StateStore,
        lanes: Mapping[str, Lane],
        policy: RetryPolicy,
        clock: Clock,
        rand: Callable[[], float] = random.random,
        pacers: Pacers | None = None,
        on_published: Callable[[Delivery, float], None] | None = None,
        on_lane_done: Callable[[], None] | None = None,
        images: ImageStep | None = None,
        reviser: Reviser | None = None,
    ) -> None:
        self.queue = queue
        self.images = images
        self.state = state
        self.lanes = lanes
        self.policy = policy
        self.clock = clock
        self.rand = rand
        self.pacers = pacers or Pacers()
        self.on_published = on_published
        self.on_lane_done = on_lane_done
        self.on_running_low: Callable[[str], None] | None = None
        """Called (on the loop) when a lane is well into its batch: plan ahead for it."""
        self.reviser = reviser
        self.attempts = 0
        self.published = 0  # deliveries this dispatcher saw through to ``published``
        self._active: set[int] = set()
        self._unrecorded: dict[str, _Unrecorded] = {}  # target → its lane's last publish
        self._unsettled: dict[int, Callable[[], Awaitable[None]]] = {}
        """Deliveries a database failure left half-done (a platform error not written, a claim
        whose answer was lost), with what finishes them."""
        self._claimed: dict[int, datetime] = {}
        self._halted: set[str] = set()
        self._tasks: dict[str, asyncio.Task[int]] = {}
        self._wake: dict[str, float] = {}  # target → monotonic time its pacing allows a post
        self._stopping = asyncio.Event()
        self.owns: Callable[[str], bool] = lambda _target: True
        """Whether this worker may publish to a target now (its lease; always on SQLite)."""
        self.fence: str | None = None
        """This worker's id: a claim then also needs its unexpired lease on the target."""

    # -- lanes ----------------------------------------------------------------------------
    def blocked_targets(self, now: datetime) -> dict[str, str]:
        """Targets that may not send now, with the reason (paused, rate limited)."""
        out: dict[str, str] = {}
        for name, st in self.state.targets().items():
            if st.paused_reason:
                out[name] = st.paused_reason
            elif st.blocked_until and st.blocked_until > now:
                out[name] = st.blocked_reason or f"rate limited until {st.blocked_until}"
        return out

    @property
    def busy_targets(self) -> set[str]:
        """Targets whose lane is running now, or whose pacing holds them for a moment."""
        now = time.monotonic()
        return set(self._tasks) | {t for t, at in self._wake.items() if at > now}

    def next_wake(self) -> float | None:
        """Seconds until the earliest paced target may post again (None: none waits)."""
        now = time.monotonic()
        waits = [at - now for at in self._wake.values() if at > now]
        return min(waits) if waits else None

    async def run_due(self) -> int:
        """Start a lane for every target with posts due now (and no lane running yet);
        returns how many lanes were started. Lanes run on as tasks."""
        if self._stopping.is_set():
            return 0
        due, revisions_due = await asyncio.to_thread(self._due, self.clock.now(),
                                                     self.busy_targets)
        by_target: dict[str, list[Delivery]] = defaultdict(list)
        for d in due:
            if d.target in self.lanes and d.id not in self._active and self.owns(d.target):
                by_target[d.target].append(d)
        revisions: dict[str, list[Revision]] = defaultdict(list)
        if self.reviser is not None:
            for r in revisions_due:
                if (r.target in self.lanes and r.id not in self.reviser.active
                        and self.owns(r.target)):
                    revisions[r.target].append(r)
        started = {*by_target, *revisions}
        for target in started:
            task = asyncio.create_task(
                self._run_lane(self.lanes[target], by_target.get(target, []),
                               revisions.get(target, [])), name=f"lane:{target}")
            self._tasks[target] = task
            task.add_done_callback(functools.partial(self._lane_done, target))
        return len(started)

    def _due(self, now: datetime, busy: set[str]) -> tuple[list[Delivery], list[Revision]]:
        """What may go now on targets neither blocked nor busy: posts, then revisions (one
        trip to a worker thread for all three reads)."""
        exclude = [*self.blocked_targets(now), *busy]
        due = self.queue.due(now, exclude_targets=exclude)
        if self.reviser is None:
            return due, []
        return due, self.reviser.store.due(now, exclude_targets=exclude)

    async def publish_due(self) -> int:
        """Publish everything due now and wait for it; returns the attempts made."""
        before = self.attempts + self._revised()
        await self.run_due()
        await self.drain()
        return self.attempts + self._revised() - before

    def _revised(self) -> int:
        return self.reviser.applied if self.reviser is not None else 0

    def next_revision_at(self, *, exclude_targets: list[str]) -> datetime | None:
        """When the earliest pending correction or takedown is due (None: none waits)."""
        if self.reviser is None:
            return None
        return self.reviser.store.next_planned_at(exclude_targets=exclude_targets)

    async def drain(self) -> None:
        """Wait until every running lane has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            await asyncio.sleep(0)

    def stop(self) -> None:
        """Lanes finish the send in hand and start no other."""
        self._stopping.set()

    async def settle(self, targets: Collection[str]) -> None:
        """Wait until the lanes of ``targets`` have finished (they start no other send once
        ``owns`` says no): a target handed to another worker is left quiet."""
        tasks = [task for name, task in self._tasks.items() if name in targets]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _lane_done(self, target: str, task: asyncio.Task[int]) -> None:
        self._tasks.pop(target, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("lane failed", extra={"target": target, "error": repr(task.exception())})
        if self.on_lane_done is not None and not self._stopping.is_set():
            self.on_lane_done()

    async def _run_lane(self, lane: Lane, items: list[Delivery],
                        revisions: list[Revision] | None = None) -> int:
        """Apply due ``revisions``, then send ``items``, in order until done, halted or paced;
        a paced lane ends and comes back when its limit allows, with a fresh (breaking-first)
        list of what is due. The lane's last publish is recorded before it ends."""
        try:
            return await self._lane_steps(lane, items, revisions)
        finally:
            await self._record(lane.target)

    async def _lane_steps(self, lane: Lane, items: list[Delivery],
                          revisions: list[Revision] | None) -> int:
        """Batches of revisions then posts, until nothing more is due on the lane's target
        (each further batch is read fresh, breaking news first), or the lane must stop."""
        sent = 0
        self._halted.discard(lane.target)
        self._wake.pop(lane.target, None)
        while True:
            went, carry_on = await self._batch(lane, items, revisions or [])
            sent += went
            if not carry_on or not went or self._stopping.is_set():
                return sent
            items, revisions = await asyncio.to_thread(self._due_on, lane.target,
                                                       self.clock.now())
            if not items and not revisions:
                return sent

    async def _batch(self, lane: Lane, items: list[Delivery],
                     revisions: list[Revision]) -> tuple[int, bool]:
        """Apply ``revisions``, then send ``items``, in order; returns how many were applied
        or sent and whether the lane may carry on (not stopping, halted, paced or handed
        over). Three quarters through the posts the lane asks for its target's horizon to be
        refilled (``on_running_low``), so the next batch is planned while this one ends (late
        enough that the refill brings in most of a batch: each pass reads the waiting line)."""
        went = 0
        for r in revisions:
            if not self._may_go(lane):
                return went, False
            assert self.reviser is not None
            step = await self.reviser.apply(lane.for_revisions(), r)
            if step is not Step.SKIPPED:
                went += 1
            if step is Step.HALT:
                self._halted.add(lane.target)
            elif step is Step.DONE:
                await self._respect_budget(lane)
        # a batch of a few (the usual case: what just fell due) is planned when the lane ends
        running_low = (3 * len(items)) // 4 if len(items) >= _PLAN_AHEAD_FROM else -1
        for index, d in enumerate(items):
            if not self._may_go(lane):
                return went, False  # stopping, rate limited, paused, paced or handed over
            if await self.send(lane, d):
                went += 1
            if index == running_low and self.on_running_low is not None:
                self.on_running_low(lane.target)
        return went, self._may_go(lane, count=False)

    def _may_go(self, lane: Lane, *, count: bool = True) -> bool:
        """May the lane send one more now? (Counted against its pacing when it may.)"""
        if (self._stopping.is_set() or lane.target in self._halted
                or not self.owns(lane.target)):
            return False
        if not count:
            return True
        wait = self._pace(lane)
        if wait > 0:
            self._wake[lane.target] = time.monotonic() + wait
            return False
        return True

    def _due_on(self, target: str, now: datetime) -> tuple[list[Delivery], list[Revision]]:
        """What is due now on ``target`` alone (a lane's next batch)."""
        items = [d for d in self.queue.due(now, target=target) if d.id not in self._active]
        if self.reviser is None:
            return items, []
        revisions = [r for r in self.reviser.store.due(now, target=target)
                     if r.id not in self.reviser.active]
        return items, revisions

    def _pace(self, lane: Lane) -> float:
        """Seconds until the chat's and the bot's limits allow one more post (0: now, and
        the post is counted)."""
        if lane.platform is not Platform.TELEGRAM or lane.per_minute is None:
            return 0.0
        per_chat = self.pacers.window(f"chat:{lane.chat}", lane.per_minute, 60.0)
        per_bot = self.pacers.window(f"bot:{lane.pacer_key}", *self.pacers.per_bot())
        now = time.monotonic()
        wait = max(per_chat.wait_time(now), per_bot.wait_time(now))
        if wait <= 0:
            per_chat.record(now)
            per_bot.record(now)
        return max(0.0, wait)

    # -- one attempt ----------------------------------------------------------------------
    def _request(self, lane: Lane, d: Delivery, attempt_id: str,
                 image: PreparedImage = NOTHING) -> PublishRequest:
        sent: list[str] = list(d.sent_ids)
        last = len(d.parts) - 1

        async def part_sent(index: int, post_id: str) -> None:
            sent.append(post_id)
            if index < last:  # the last part's id is recorded with ``published``
                await asyncio.to_thread(self.queue.record_part, d.id, attempt_id, list(sent),
                                        self.clock.now())

        return PublishRequest(
            delivery_id=d.id, article_id=d.article_id, target=d.target, platform=d.platform,
            chat=lane.chat, url=d.article_url or "", post=d.post(), already_sent=d.sent_ids,
            plain_text=d.plain_text, link_preview=lane.link_preview, on_part_sent=part_sent,
            media_ids=image.media_ids, photo=image.photo, drop_image=image.failed,
        )

    async def _image(self, lane: Lane, d: Delivery) -> PreparedImage:
        """The delivery's image, fetched, fitted and uploaded before the claim (uploading is
        not posting, so it may be repeated freely)."""
        if self.images is None or not d.image_url or d.sent_ids:
            return NOTHING  # a resumed thread already has its first post (and its image)
        return await self.images.prepare(url=d.image_url, alt_text=d.image_alt,
                                         platform=lane.platform, publisher=lane.publisher)

    async def send(self, lane: Lane, d: Delivery) -> bool:
        """One attempt: commit ``sending`` first, then call the platform, then record.

        A publish is recorded together with the lane's next claim (one commit per post); the
        delivery stays in hand (``sending``, never recovered by this process) until then, and
        a lane records its last one before it ends. Returns False when the delivery could not
        be claimed (re-planned, cancelled or taken).
        """
        attempt_id = uuid.uuid4().hex
        started = time.perf_counter()
        if d.image_url:  # no publish waits to be recorded while an image is fetched
            await self._record(lane.target)
        image = await self._image(lane, d)
        claimed_at = self.clock.now()
        if not await self._claim(lane.target, d, attempt_id, claimed_at):
            return False
        self.attempts += 1
        self._active.add(d.id)
        self._claimed[d.id] = claimed_at
        held = False
        try:
            _log(d, "sending", attempt=attempt_id[:8])
            request = self._request(lane, d, attempt_id, image)
            try:
                if image.failed and lane.on_image_error == "fail":
                    kind = TransientError if image.transient else PermanentError
                    raise kind(f"image: {image.error}")
                receipt = await lane.publisher.publish(request)
            except PublishError as exc:
                await self._settle(lane, d, attempt_id, request, exc)
            except Exception as exc:  # a bug after the request may have left: treat as unknown
                log.exception("unexpected error while publishing", extra={"delivery": d.id})
                err = UncertainError(f"unexpected error: {exc!r}")
                await self._settle(lane, d, attempt_id, request, err)
            else:
                done = Published(d.id, attempt_id, receipt, self.clock.now(), claimed_at,
                                 image.error)
                self._unrecorded[lane.target] = _Unrecorded(d, done,
                                                            time.perf_counter() - started)
                held = True
                await self._respect_budget(lane)
        finally:
            if d.id not in self._unsettled:
                if not held:
                    self._active.discard(d.id)
                self._claimed.pop(d.id, None)
        return True

    async def _settle(self, lane: Lane, d: Delivery, attempt_id: str, request: PublishRequest,
                      error: PublishError) -> None:
        """Apply what a platform's error means (``_failed``). When the database fails on
        the way, the delivery stays in hand with the error it got, and the next recovery pass
        applies it again: a known outcome never becomes an unknown one."""
        try:
            await self._failed(lane, d, attempt_id, request, error)
        except Exception:
            self._unsettled[d.id] = functools.partial(self._failed, lane, d, attempt_id,
                                                      request, error)
            raise

    async def _claim(self, target: str, d: Delivery, attempt_id: str, now: datetime) -> bool:
        """Claim ``d``, in the same commit as the record of the lane's previous publish.

        When the database fails, the claim may still have been committed (its answer lost):
        nothing was sent, so it is given back at once, or by the next recovery pass while the
        database is away, rather than settled as an interrupted send."""
        prior = self._unrecorded.pop(target, None)
        try:
            if prior is None:
                return bool(await asyncio.to_thread(self.queue.claim, d.id, attempt_id, now,
                                                    worker=self.fence))
            try:
                recorded, took = await asyncio.to_thread(functools.partial(
                    self.queue.published_then_claim, prior.done, d.id, attempt_id, now,
                    worker=self.fence))
            except BaseException:
                self._unrecorded[target] = prior  # recorded alone when the lane ends
                raise
        except Exception:
            give_back = functools.partial(self._give_back, d, attempt_id)
            try:
                await give_back()
            except Exception:  # the database is still away: the next recovery pass does it
                self._active.add(d.id)
                self._unsettled[d.id] = give_back
            raise
        self._recorded(prior, recorded)
        return bool(took)

    async def _give_back(self, d: Delivery, attempt_id: str) -> None:
        """Undo a claim (if it was committed) whose post was never sent."""
        if await asyncio.to_thread(self.queue.release, d.id, attempt_id, self.clock.now()):
            _log(d, "claim given back", attempt=attempt_id[:8])

    async def _record(self, target: str) -> None:
        """Record the lane's publish that still waits for its record (its own commit).

        When the database fails, the publish stays in hand: it went out, so it is never
        settled as an interrupted send (no review, no asking the platform); the next claim on
        its target or the next recovery pass records it."""
        prior = self._unrecorded.pop(target, None)
        if prior is None:
            return
        done = prior.done
        try:
            recorded = await asyncio.to_thread(functools.partial(
                self.queue.finish, done.delivery_id, done.attempt_id, state=S.PUBLISHED,
                now=done.at, outcome=done.outcome, started_at=done.started_at,
                receipt=done.receipt, image_error=done.image_error))
        except BaseException:
            self._unrecorded.setdefault(target, prior)
            raise
        self._recorded(prior, recorded)

    async def _record_left(self) -> None:
        """Finish what a database failure held up: record publishes (on targets with no lane
        running: a running lane records its own), apply platform errors, give back claims
        whose post was never sent."""
        for target in [t for t in self._unrecorded if t not in self._tasks]:
            try:
                await self._record(target)
            except Exception as exc:
                log.warning("publish still not recorded; will try again",
                            extra={"target": target, "error": repr(exc)})
        for delivery_id, apply in list(self._unsettled.items()):
            try:
                await apply()
            except Exception as exc:
                log.warning("outcome still not recorded; will try again",
                            extra={"delivery": delivery_id, "error": repr(exc)})
                continue
            del self._unsettled[delivery_id]
            self._active.discard(delivery_id)
            self._claimed.pop(delivery_id, None)

    def _recorded(self, prior: _Unrecorded, recorded: bool) -> None:
        d, done = prior.delivery, prior.done
        self._active.discard(d.id)
        if not recorded:
            log.warning("attempt no longer owns its delivery; outcome not recorded",
                        extra={"article": d.article_id, "target": d.target, "delivery": d.id,
                               "attempt": done.attempt_id[:8]})
            return
        self.published += 1
        receipt = done.receipt
        _log(d, "published", post_id=receipt.post_ids[0] if receipt.post_ids else None,
             permalink=receipt.permalink)
        if self.on_published and prior.elapsed is not None:
            self.on_published(d, prior.elapsed)

    async def _respect_budget(self, lane: Lane) -> None:
        """Stop before the platform has to say 429: honour what its rate-limit headers say."""
        budget = getattr(lane.publisher, "budget_until", None)
        until = budget() if callable(budget) else None
        if isinstance(until, datetime) and until > self.clock.now():
            reason = f"posting budget used up until {until:%Y-%m-%d %H:%M:%S} UTC (rate-limit headers)"
            await asyncio.to_thread(self.state.block, lane.target, until, reason)
            self._halted.add(lane.target)
            log.info("target waits for its rate-limit window", extra={"target": lane.target,
                                                                       "until": until.isoformat()})

    async def _finish(self, d: Delivery, attempt_id: str, **kwargs: Any) -> bool:
        """Record the end of an attempt (its start time comes from the claim)."""
        started = self._claimed.get(d.id, d.updated_at)
        done = await asyncio.to_thread(functools.partial(
            self.queue.finish, d.id, attempt_id, started_at=started, **kwargs))
        if not done:
            log.warning("attempt no longer owns its delivery; outcome not recorded",
                        extra={"article": d.article_id, "target": d.target, "delivery": d.id,
                               "attempt": attempt_id[:8]})
        return done

    async def _published(self, d: Delivery, attempt_id: str, receipt: PublishReceipt,
                         outcome: str) -> None:
        """Record a publish found by reconciliation at once."""
        started = self._claimed.get(d.id, d.updated_at)
        done = Published(d.id, attempt_id, receipt, self.clock.now(), started, None, outcome)
        recorded = await asyncio.to_thread(functools.partial(
            self.queue.finish, d.id, attempt_id, state=S.PUBLISHED, now=done.at,
            outcome=outcome, started_at=started, receipt=receipt))
        self._recorded(_Unrecorded(d, done, None), recorded)

    # -- failures, reconciliation and recovery of interrupted sends ------------------------
    async def _failed(self, lane: Lane, d: Delivery, attempt_id: str, request: PublishRequest,
                      error: PublishError) -> None:
        now = self.clock.now()
        reconciles = lane.publisher.reconciles
        if isinstance(error, DuplicateContentError) and reconciles:
            # the platform has identical text: ours from an unknown-outcome attempt, or not
            await self._reconcile(lane, d, attempt_id, request, fallback=S.FAILED,
                                  reason=f"duplicate content, not retried: "
                                         f"{error.platform_message}")
            return
        decision = decide(error, attempts=d.retries + 1, now=now, policy=self.policy,
                          rand=self.rand(), can_reconcile=reconciles,
                          on_uncertain=lane.on_uncertain, plain_tried=d.plain_text,
                          reposted=d.error_kind == "uncertain")
        kind = error.kind
        fin = self._finish
        match decision.action:
            case Action.RETRY | Action.REPOST:
                await fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                          error=decision.reason, error_kind=kind, planned_at=decision.at)
            case Action.RETRY_PLAIN:
                await fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                          error=decision.reason, error_kind=kind, planned_at=now, plain_text=True)
            case Action.BLOCK_TARGET:
                assert decision.at is not None
                await asyncio.to_thread(self.state.block, d.target, decision.at, decision.reason)
                self._halted.add(d.target)
                await fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                          error=decision.reason, error_kind=kind, planned_at=decision.at)
            case Action.PAUSE_TARGET:
                # the target's own reason, without the delivery's "target paused: " prefix
                await asyncio.to_thread(self.state.pause, d.target,
                                        decision.reason.removeprefix("target paused: "), now)
                self._halted.add(d.target)
                await fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                          error=decision.reason, error_kind=kind, planned_at=d.planned_at)
                log.error("target paused", extra={"target": d.target, "reason": decision.reason})
            case Action.FAIL:
                await fin(d, attempt_id, state=S.FAILED, now=now, outcome=kind,
                          error=decision.reason, error_kind=kind)
            case Action.REVIEW:
                await fin(d, attempt_id, state=S.NEEDS_REVIEW, now=now, outcome=kind,
                          error=decision.reason, error_kind=kind)
            case Action.RECONCILE:
                await self._reconcile(lane, d, attempt_id, request, fallback=S.PENDING,
                                      reason=decision.reason)
                return
        _log(d, decision.action.value, reason=decision.reason, kind=kind)

    async def _reconcile(self, lane: Lane, d: Delivery, attempt_id: str, request: PublishRequest,
                         *, fallback: DeliveryState, reason: str) -> bool:
        """Ask the platform whether an unknown-outcome post exists; never resend blindly."""
        try:
            found = await lane.publisher.find_published(request)
        except (PublishError, NotImplementedError) as exc:
            log.warning("reconciliation failed; will ask again", extra={
                "delivery": d.id, "target": d.target, "error": str(exc)})
            return False  # stays ``sending``; recover() asks again later
        now = self.clock.now()
        if found is not None:
            await self._published(d, attempt_id, found, "reconciled")
            return True
        planned = now + timedelta(seconds=1) if fallback is S.PENDING else None
        await self._finish(d, attempt_id, state=fallback, now=now, outcome="not_found",
                                 error=f"{reason}; the platform does not have it",
                                 error_kind="uncertain", planned_at=planned)
        _log(d, fallback.value, reason="not found on the platform after an unknown outcome")
        return True

    async def recover(self, targets: Collection[str] | None = None) -> int:
        """Resolve deliveries (and revisions) left ``sending`` by a dead process (start-up,
        then periodically) on the targets this worker owns, or on ``targets`` (just taken
        over from another); first record this process's publishes, and apply the platform
        errors, that a database failure left unwritten."""
        def mine(target: str) -> bool:
            return target in targets if targets is not None else self.owns(target)

        await self._record_left()
        revised = 0
        if self.reviser is not None:
            revised = await self.reviser.recover(
                {name: lane.for_revisions() for name, lane in self.lanes.items() if mine(name)})
        stale = [d for d in await asyncio.to_thread(self.queue.in_flight)
                 if d.id not in self._active and mine(d.target)]
        for d in stale:
            lane = self.lanes.get(d.target)
            if lane is None or d.attempt_id is None:
                continue
            request = self._request(lane, d, d.attempt_id)
            err = UncertainError("the process stopped while sending")
            self._active.add(d.id)
            try:
                await self._failed(lane, d, d.attempt_id, request, err)
            finally:
                self._active.discard(d.id)
        return len(stale) + revised


def _log(d: Delivery, state: str, **fields: object) -> None:
    log.info(state, extra={"article": d.article_id, "target": d.target, "delivery": d.id,
                           **{k: v for k, v in fields.items() if v is not None}})
