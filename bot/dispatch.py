"""Publishing due deliveries exactly once: claim, send, record; failures go through the policy."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import DuplicateContentError, PublishError, UncertainError
from bot.domain.models import Delivery, DeliveryState, Platform, PublishReceipt
from bot.domain.pacing import SlidingWindow
from bot.domain.ports import Clock, Publisher, PublishRequest
from bot.domain.retry import Action, RetryPolicy, decide
from bot.store.queue import QueueStore
from bot.store.state import StateStore

log = logging.getLogger("crosspost.dispatch")
S = DeliveryState


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


@dataclass
class Pacers:
    """Per-chat and per-bot sliding windows (Telegram: ~20/min per chat, ~30/s per bot)."""

    per_second: float = 30.0
    windows: dict[str, SlidingWindow] = field(default_factory=dict)

    def window(self, key: str, limit: int, period: float) -> SlidingWindow:
        """The window for ``key`` (created on first use)."""
        if key not in self.windows:
            self.windows[key] = SlidingWindow(limit, period)
        return self.windows[key]


class Dispatcher:
    """Sends what is due, one lane per target, lanes concurrently."""

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
    ) -> None:
        self.queue = queue
        self.state = state
        self.lanes = lanes
        self.policy = policy
        self.clock = clock
        self.rand = rand
        self.pacers = pacers or Pacers()
        self.on_published = on_published
        self._active: set[int] = set()
        self._claimed: dict[int, datetime] = {}
        self._halted: set[str] = set()

    def blocked_targets(self, now: datetime) -> dict[str, str]:
        """Targets that may not send now, with the reason (paused, rate limited, unknown)."""
        out: dict[str, str] = {}
        for name, st in self.state.targets().items():
            if st.paused_reason:
                out[name] = st.paused_reason
            elif st.blocked_until and st.blocked_until > now:
                out[name] = st.blocked_reason or f"rate limited until {st.blocked_until}"
        return out

    async def run_due(self) -> int:
        """Publish every delivery due now; returns how many attempts were made."""
        now = self.clock.now()
        blocked = self.blocked_targets(now)
        due = self.queue.due(now, exclude_targets=list(blocked))
        by_target: dict[str, list[Delivery]] = defaultdict(list)
        for d in due:
            if d.target in self.lanes and d.id not in self._active:
                by_target[d.target].append(d)
        if not by_target:
            return 0
        counts = await asyncio.gather(*(self._run_lane(self.lanes[t], ds)
                                        for t, ds in by_target.items()))
        return sum(counts)

    async def _run_lane(self, lane: Lane, items: list[Delivery]) -> int:
        sent = 0
        self._halted.discard(lane.target)
        for d in items:
            if lane.target in self._halted:
                break  # rate limited or paused mid-lane: the rest waits
            await self._pace(lane)
            await self.send(lane, d)
            sent += 1
        return sent

    async def _pace(self, lane: Lane) -> None:
        if lane.platform is not Platform.TELEGRAM or lane.per_minute is None:
            return
        per_chat = self.pacers.window(f"chat:{lane.chat}", lane.per_minute, 60.0)
        per_bot = self.pacers.window(f"bot:{lane.pacer_key}", max(1, int(self.pacers.per_second)),
                                     1.0)
        while True:
            now = time.monotonic()
            wait = max(per_chat.wait_time(now), per_bot.wait_time(now))
            if wait <= 0:
                per_chat.record(now)
                per_bot.record(now)
                return
            await asyncio.sleep(wait)

    def _request(self, lane: Lane, d: Delivery, attempt_id: str) -> PublishRequest:
        sent: list[str] = list(d.sent_ids)

        last = len(d.parts) - 1

        async def part_sent(index: int, post_id: str) -> None:
            sent.append(post_id)
            if index < last:  # the last part's id is recorded with ``published``
                self.queue.record_part(d.id, attempt_id, sent, self.clock.now())

        return PublishRequest(
            delivery_id=d.id, article_id=d.article_id, target=d.target, platform=d.platform,
            chat=lane.chat, url=d.article_url or "", post=d.post(), already_sent=d.sent_ids,
            plain_text=d.plain_text, link_preview=lane.link_preview, on_part_sent=part_sent,
        )

    async def send(self, lane: Lane, d: Delivery) -> None:
        """One attempt: commit ``sending`` first, then call the platform, then record."""
        attempt_id = uuid.uuid4().hex
        started = time.perf_counter()
        claimed_at = self.clock.now()
        if not self.queue.claim(d.id, attempt_id, claimed_at):
            return
        self._active.add(d.id)
        self._claimed[d.id] = claimed_at
        try:
            _log(d, "sending", attempt=attempt_id[:8])
            request = self._request(lane, d, attempt_id)
            try:
                receipt = await lane.publisher.publish(request)
            except PublishError as exc:
                await self._failed(lane, d, attempt_id, request, exc)
            except Exception as exc:  # a bug after the request may have left: treat as unknown
                log.exception("unexpected error while publishing", extra={"delivery": d.id})
                err = UncertainError(f"unexpected error: {exc!r}")
                await self._failed(lane, d, attempt_id, request, err)
            else:
                self._published(d, attempt_id, receipt, "published", started)
                self._respect_budget(lane)
        finally:
            self._active.discard(d.id)
            self._claimed.pop(d.id, None)

    def _respect_budget(self, lane: Lane) -> None:
        """Stop before the platform has to say 429: honour what its rate-limit headers say."""
        budget = getattr(lane.publisher, "budget_until", None)
        until = budget() if callable(budget) else None
        if isinstance(until, datetime) and until > self.clock.now():
            reason = f"posting budget used up until {until:%Y-%m-%d %H:%M:%S} UTC (rate-limit headers)"
            self.state.block(lane.target, until, reason)
            self._halted.add(lane.target)
            log.info("target waits for its rate-limit window", extra={"target": lane.target,
                                                                       "until": until.isoformat()})

    def _finish(self, d: Delivery, attempt_id: str, **kwargs: Any) -> bool:
        """Record the end of an attempt (its start time comes from the claim)."""
        started = self._claimed.get(d.id, d.updated_at)
        return self.queue.finish(d.id, attempt_id, started_at=started, **kwargs)

    def _published(self, d: Delivery, attempt_id: str, receipt: PublishReceipt, outcome: str,
                   started: float | None = None) -> None:
        self._finish(d, attempt_id, state=S.PUBLISHED, now=self.clock.now(),
                          outcome=outcome, receipt=receipt)
        _log(d, "published", post_id=receipt.post_ids[0] if receipt.post_ids else None,
             permalink=receipt.permalink)
        if self.on_published and started is not None:
            self.on_published(d, time.perf_counter() - started)

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
        decision = decide(error, attempts=d.attempts + 1, now=now, policy=self.policy,
                          rand=self.rand(), can_reconcile=reconciles,
                          on_uncertain=lane.on_uncertain, plain_tried=d.plain_text)
        kind = error.kind
        fin = self._finish
        match decision.action:
            case Action.RETRY | Action.REPOST:
                fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                    error=decision.reason, error_kind=kind, planned_at=decision.at)
            case Action.RETRY_PLAIN:
                fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                    error=decision.reason, error_kind=kind, planned_at=now, plain_text=True)
            case Action.BLOCK_TARGET:
                assert decision.at is not None
                self.state.block(d.target, decision.at, decision.reason)
                self._halted.add(d.target)
                fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                    error=decision.reason, error_kind=kind, planned_at=decision.at)
            case Action.PAUSE_TARGET:
                self.state.pause(d.target, decision.reason, now)
                self._halted.add(d.target)
                fin(d, attempt_id, state=S.PENDING, now=now, outcome=kind,
                    error=decision.reason, error_kind=kind, planned_at=d.planned_at)
                log.error("target paused", extra={"target": d.target, "reason": decision.reason})
            case Action.FAIL:
                fin(d, attempt_id, state=S.FAILED, now=now, outcome=kind,
                    error=decision.reason, error_kind=kind)
            case Action.REVIEW:
                fin(d, attempt_id, state=S.NEEDS_REVIEW, now=now, outcome=kind,
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
            self._published(d, attempt_id, found, "reconciled")
            return True
        planned = now + timedelta(seconds=1) if fallback is S.PENDING else None
        self._finish(d, attempt_id, state=fallback, now=now, outcome="not_found",
                          error=f"{reason}; the platform does not have it",
                          error_kind="uncertain", planned_at=planned)
        _log(d, fallback.value, reason="not found on the platform after an unknown outcome")
        return True

    async def recover(self) -> int:
        """Resolve deliveries left ``sending`` by a dead process (start-up, then periodically)."""
        stale = [d for d in self.queue.in_flight() if d.id not in self._active]
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
        return len(stale)


def _log(d: Delivery, state: str, **fields: object) -> None:
    log.info(state, extra={"article": d.article_id, "target": d.target, "delivery": d.id,
                           **{k: v for k, v in fields.items() if v is not None}})
