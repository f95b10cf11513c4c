"""What follows a failed or unknown-outcome attempt: the policy's decision, carried out."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.domain.errors import DuplicateContentError, PublishError, UncertainError
from bot.domain.models import Delivery, DeliveryState, PublishReceipt
from bot.domain.ports import PublishRequest
from bot.domain.retry import Action, RetryPolicy, decide

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.dispatch import Lane
    from bot.domain.ports import Clock
    from bot.store.queue import QueueStore
    from bot.store.state import StateStore

log = logging.getLogger("crosspost.dispatch")
S = DeliveryState


class FailureHandling:
    """Mixin of ``Dispatcher``: failures, reconciliation and recovery of interrupted sends."""

    queue: QueueStore
    state: StateStore
    clock: Clock
    policy: RetryPolicy
    rand: Callable[[], float]
    lanes: Any
    _active: set[int]
    _halted: set[str]

    def _finish(self, d: Delivery, attempt_id: str, **kwargs: Any) -> bool:
        raise NotImplementedError

    def _published(self, d: Delivery, attempt_id: str, receipt: PublishReceipt, outcome: str,
                   started: float | None = None, image_error: str | None = None) -> None:
        raise NotImplementedError

    def _request(self, lane: Lane, d: Delivery, attempt_id: str,
                 image: Any = None) -> PublishRequest:
        raise NotImplementedError

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
