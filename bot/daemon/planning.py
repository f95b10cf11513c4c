"""Gives every pending delivery a planned time (or expires it) from its target's schedule."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config.settings import Settings
from bot.domain.models import Article, Delivery
from bot.domain.ports import Clock
from bot.domain.schedule import PendingItem, ScheduleRules, plan_target
from bot.store.queue import QueueStore
from bot.store.state import StateStore

log = logging.getLogger("crosspost.planning")
HISTORY = timedelta(days=2)


@dataclass(frozen=True)
class PlanSummary:
    """What one planning pass did."""

    planned: int
    expired: int
    unplannable: int


class Planner:
    """Runs the pure schedule maths over the store's pending deliveries."""

    def __init__(self, *, queue: QueueStore, state: StateStore, settings: Settings,
                 clock: Clock) -> None:
        self.queue = queue
        self.state = state
        self.clock = clock
        self.rules: dict[str, ScheduleRules] = {}
        self._lock = threading.Lock()
        self.use(settings)

    def use(self, settings: Settings) -> None:
        """Plan with new settings from now on (hot reload); never mid-way through a plan."""
        rules = {t.name: settings.schedule_for(t).to_rules(settings.timezone)
                 for t in settings.targets}
        with self._lock:
            self.settings, self.rules = settings, rules

    def replan(self) -> PlanSummary:
        """Recompute planned times of every pending delivery; write only what changed.

        Serialized: the API and the staff chat queue stories from worker threads while the
        daemon plans in its event loop.
        """
        with self._lock:
            return self._replan()

    def _replan(self) -> PlanSummary:
        now = self.clock.now()
        by_target: dict[str, list[tuple[Delivery, Article]]] = defaultdict(list)
        for d, a in self.queue.pending_for_planning():
            by_target[d.target].append((d, a))
        states = self.state.targets()
        enabled = {t.name for t in self.settings.targets if t.enabled}
        changes: list[tuple[int, datetime | None, str]] = []
        expired = unplannable = planned = 0
        for target, items in by_target.items():
            current = {d.id: (d.planned_at, d.plan_reason) for d, _ in items}
            articles = {d.id: d.article_id for d, _ in items}
            if target not in enabled:
                reason = ("target is disabled in config" if target in self.rules
                          else "target is not in config")
                changes += [(d.id, None, reason) for d, _ in items
                            if current[d.id] != (None, reason)]
                unplannable += len(items)
                continue
            st = states.get(target)
            history = self.queue.published_times(target, now - HISTORY)
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
            for plan in plans:
                if plan.expired_reason:
                    if self.queue.expire(plan.delivery_id, plan.expired_reason, now):
                        expired += 1
                        log.info("expired", extra={"article": articles[plan.delivery_id],
                                                   "target": target,
                                                   "delivery": plan.delivery_id,
                                                   "reason": plan.expired_reason})
                    continue
                planned += 1
                reason = plan.reason
                if st and st.paused_reason:
                    reason = f"target paused: {st.paused_reason}"
                if current.get(plan.delivery_id) != (plan.planned_at, reason):
                    changes.append((plan.delivery_id, plan.planned_at, reason))
        self.queue.set_plans(changes)
        return PlanSummary(planned, expired, unplannable)


def _latest(*times: datetime | None) -> datetime | None:
    """The latest of the given times (``None`` when all are ``None``)."""
    present = [t for t in times if t is not None]
    return max(present) if present else None
