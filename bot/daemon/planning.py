"""Gives every pending delivery a planned time (or expires it) from its target's schedule."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config.settings import Settings
from bot.domain.horizon import waiting_reason
from bot.domain.ports import Clock
from bot.domain.schedule import PendingItem, ScheduleRules, plan_target
from bot.domain.schedule.parse import format_duration
from bot.store.queue import Pending, QueueStore, Rank
from bot.store.state import StateStore, TargetState

__all__ = ["HORIZON", "PlanSummary", "Planner", "waiting_reason"]

log = logging.getLogger("crosspost.planning")
HISTORY = timedelta(days=2)


HORIZON = 32
"""How many places per target get a real time; the rest wait in rank order for a place."""


@dataclass(frozen=True)
class PlanSummary:
    """What one planning pass did."""

    planned: int
    expired: int
    unplannable: int


@dataclass
class _Tally:
    planned: int = 0
    expired: int = 0
    unplannable: int = 0


class Planner:
    """Runs the pure schedule maths over what changed, one target at a time.

    Planning is proportional to the change, not to the queue: per target only the next
    ``horizon`` places carry a real time (the *horizon*); further pending deliveries wait
    without one, with a reason, and are pulled in best-first (the planner's own order) as the
    horizon drains. A new story (an editor's decision, a correction) is planned against its
    targets' horizon only; a pass over a target reads its horizon, and the waiting ones only
    when the horizon runs low, when one of them may go before the horizon's last planned time
    (the daemon's pass after a lane: the horizon is refilled before it runs dry) or on a full
    pass (start-up, config reload). Plans are written with optimistic concurrency: a plan from
    a snapshot never overwrites a delivery that changed since.
    """

    def __init__(self, *, queue: QueueStore, state: StateStore, settings: Settings,
                 clock: Clock, horizon: int = HORIZON) -> None:
        self.queue = queue
        self.state = state
        self.clock = clock
        self.horizon = max(1, horizon)
        self.rules: dict[str, ScheduleRules] = {}
        self._lock = threading.Lock()
        self.use(settings)

    def use(self, settings: Settings) -> None:
        """Plan with new settings from now on (hot reload); never mid-way through a plan."""
        rules = {t.name: settings.schedule_for(t).to_rules(settings.timezone)
                 for t in settings.targets}
        with self._lock:
            self.settings, self.rules = settings, rules

    def enabled(self) -> list[str]:
        """The names of the enabled targets (what a pass over "every target" plans)."""
        return [t.name for t in self.settings.targets if t.enabled]

    def replan(self, targets: Collection[str] | None = None, *,
               articles: Collection[int] = (), refill: bool = False) -> PlanSummary:
        """Plan the pending deliveries of ``targets`` (``None``: every target, a full pass);
        ``articles`` are stories just queued or requeued, planned against the horizon;
        ``refill`` ranks every waiting delivery of ``targets`` against the horizon too (a
        batch import), as a full pass does.

        Serialized: the API and the staff chat queue stories from worker threads while the
        daemon plans in its own.
        """
        with self._lock:
            return self._replan(targets, articles, refill)

    def _replan(self, targets: Collection[str] | None, articles: Collection[int],
                refill: bool) -> PlanSummary:
        now = self.clock.now()
        tally = _Tally()
        configured = {t.name for t in self.settings.targets}
        enabled = [t.name for t in self.settings.targets if t.enabled]
        disabled = sorted(configured - set(enabled))
        full = targets is None or refill
        if targets is None:
            tally.unplannable += self.queue.unplan(configured, "target is not in config",
                                                   exclude=True)
            names = enabled
        else:
            disabled = [t for t in disabled if t in targets]
            unknown = [t for t in targets if t not in configured]
            tally.unplannable += self.queue.unplan(unknown, "target is not in config")
            names = [t for t in enabled if t in targets]
        tally.unplannable += self.queue.unplan(disabled, "target is disabled in config")
        if not names:
            return PlanSummary(tally.planned, tally.expired, tally.unplannable)
        by_target: dict[str, dict[int, tuple[Pending, Rank]]] = defaultdict(dict)
        for d, a in [*self.queue.planned(names), *self.queue.pending_of(articles, names)]:
            by_target[d.target][d.id] = (d, a)
        states = self.state.targets()
        low = self.horizon // 2 + 1
        self._refill([t for t in names if full or len(by_target[t]) < low or (
            not articles and self._sooner(t, by_target[t], now))], by_target, now, tally)
        # One read of the history and one write of the plans for all targets of the pass;
        # the maths stays per target.
        planning = [t for t in names if by_target[t]]
        # only the posts a schedule can look at: its newest few, within its longest span
        rules = [self.rules[t] for t in planning]
        history = self.queue.published_times_of(
            planning, now - min(HISTORY, max(r.history_span for r in rules)),
            last=max(r.history_needed for r in rules)) if planning else {}
        changes: list[tuple[int, datetime | None, str]] = []
        seen: dict[int, datetime] = {}
        for target in planning:
            changes += self._plan(target, list(by_target[target].values()), states.get(target),
                                  history.get(target, []), now, tally, seen)
        self.queue.set_plans(changes, seen=seen)
        return PlanSummary(tally.planned, tally.expired, tally.unplannable)

    def _sooner(self, target: str, items: dict[int, tuple[Pending, Rank]],
                now: datetime) -> bool:
        """Might a waiting delivery go before the horizon's last planned time? Asked on a
        daemon pass when too few in the horizon may go now (it holds stories scheduled for
        later): a waiting story may then be due sooner than some of them. One query that
        stops at the first such delivery, instead of ranking the waiting ones on every pass."""
        low = self.horizon // 2 + 1
        if sum(_ready(d, a, now) for d, a in items.values()) >= low:
            return False
        until = max((d.planned_at for d, _ in items.values() if d.planned_at), default=now)
        return self.queue.waiting_by(target, max(until, now))

    def _refill(self, targets: list[str],
                by_target: dict[str, dict[int, tuple[Pending, Rank]]], now: datetime,
                tally: _Tally) -> None:
        """Pull the best waiting deliveries of ``targets`` into their horizons (expiring stale
        ones first): one statement per distinct ``max_age``, one read for all targets."""
        if not targets:
            return
        by_age: dict[timedelta, list[str]] = defaultdict(list)
        for target in targets:
            max_age = self.rules[target].max_age
            if max_age is not None:
                by_age[max_age].append(target)
        for max_age, aged in by_age.items():
            expired = self.queue.expire_waiting_of(
                aged, now - max_age, f"older than max_age {format_duration(max_age)} "
                "while it waited for a place", now)
            for target in aged:
                if expired.get(target):
                    tally.expired += expired[target]
                    log.info("expired", extra={"target": target, "deliveries": expired[target],
                                               "reason": "max_age passed while waiting"})
        for d, a in self.queue.waiting_of(targets, now, self.horizon):
            by_target[d.target].setdefault(d.id, (d, a))

    def _plan(self, target: str, items: list[tuple[Pending, Rank]],
              st: TargetState | None, history: list[datetime], now: datetime, tally: _Tally,
              seen: dict[int, datetime]) -> list[tuple[int, datetime | None, str]]:
        """The plan changes of one target (written by the caller, with ``seen``, for every
        target of the pass at once); expiries are written here."""
        current = {d.id: (d.planned_at, d.plan_reason) for d, _ in items}
        seen.update({d.id: d.updated_at for d, _ in items})
        articles = {d.id: d.article_id for d, _ in items}
        pending = [
            PendingItem(
                delivery_id=d.id, priority=a.priority, queued_at=d.created_at,
                not_before=_latest(a.not_before, d.retry_at),
                # a story staff sent again on purpose is as fresh as that moment
                story_time=_latest(a.published_at or a.created_at, d.requeued_at),
            )
            for d, a in items
        ]
        plans = plan_target(self.rules[target], now=now, history=history, pending=pending,
                            blocked_until=st.blocked_until if st else None)
        changes: list[tuple[int, datetime | None, str]] = []
        timed = 0
        for plan in plans:
            if plan.expired_reason:
                if self.queue.expire(plan.delivery_id, plan.expired_reason, now,
                                     seen=seen[plan.delivery_id]):
                    tally.expired += 1
                    log.info("expired", extra={"article": articles[plan.delivery_id],
                                               "target": target,
                                               "delivery": plan.delivery_id,
                                               "reason": plan.expired_reason})
                continue
            at, reason = plan.planned_at, plan.reason
            if at is not None:
                timed += 1
                if timed > self.horizon:  # beyond the horizon: waits for a place
                    at, reason = None, waiting_reason(self.horizon)
                else:
                    tally.planned += 1
            if at is not None and st and st.paused_reason:
                reason = f"target paused: {st.paused_reason}"
            was = current.get(plan.delivery_id)
            if was != (at, reason) and not _still_due(was, at, reason, now):
                changes.append((plan.delivery_id, at, reason))
        return changes


def _ready(d: Pending, a: Rank, now: datetime) -> bool:
    """May this delivery go at ``now`` as far as ``not_before`` and retry times go?"""
    gate = _latest(a.not_before, d.retry_at)
    return gate is None or gate <= now


def _still_due(was: tuple[datetime | None, str | None] | None, at: datetime | None,
               reason: str, now: datetime) -> bool:
    """A delivery already due, planned to go now again for the same reason, keeps its plan:
    rewriting it with the later ``now`` would change nothing but the row (a pass while a
    backlog drains would otherwise rewrite its whole horizon)."""
    return (was is not None and was[0] is not None and was[0] <= now and at == now
            and was[1] == reason)


def _latest(*times: datetime | None) -> datetime | None:
    """The latest of the given times (``None`` when all are ``None``)."""
    present = [t for t in times if t is not None]
    return max(present) if present else None
