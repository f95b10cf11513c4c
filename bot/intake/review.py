"""Review before publishing: which deliveries wait for an editor, and the editors' decisions.

Every door decides through ``Review``: the staff chat's buttons, ``crosspost queue approve`` /
``reject`` and the HTTP API. A decision names who made it and where; each waiting delivery is
decided once (the first decision wins, a later one gets ``ConflictError`` saying who was first).
The daemon calls ``settle_timeouts`` to apply ``[approval] timeout``.

Every decision is noted in the story's staff actions (``staff_actions``) in the commit that makes
it, naming the editor with their door (``staff_actor``); a refused decision notes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from bot.compose.edits import edited_post
from bot.config.settings import Settings, TargetConfig
from bot.domain.approval import (
    Decision,
    OnTimeout,
    approval_reasons,
    settle_timeouts,
    source_kind,
)
from bot.domain.errors import ConflictError, InputError
from bot.domain.models import ArticleDraft, Delivery, DeliveryState, Post
from bot.domain.ports import Clock
from bot.domain.schedule.parse import parse_duration
from bot.store.approvals import ApprovalStore
from bot.store.desk import StaffNote
from bot.store.queue import QueueStore

log = logging.getLogger("crosspost.review")
S = DeliveryState


def waits_for(settings: Settings, draft: ArticleDraft, target: TargetConfig) -> str | None:
    """Why ``draft`` on ``target`` must wait for an editor (``None``: it need not)."""
    feeds = {f.name: f for f in settings.feeds}
    feed = feeds.get(draft.source)
    reasons = approval_reasons(
        target=target.name,
        target_requires=target.approval,
        source=draft.source,
        kind=source_kind(draft.source, feeds),
        kinds_requiring=settings.approval.sources,
        feed_requires=bool(feed and feed.approval),
        story_asks=draft.needs_approval,
    )
    return "; ".join(reasons) or None


def staff_actor(by: str, via: str) -> str:
    """Who did something, with the door they used, as the staff actions name them:
    ``web:erin``, ``api:dana``; a name that already says its door (``cli:sam``,
    ``Ann (@ann, telegram:111)``) stays as it is."""
    by = by.strip()
    if not by or by == via:
        return via
    return by if f"{via}:" in by else f"{via}:{by}"


@dataclass(frozen=True)
class Decided:
    """What one decision did: the story and the targets it decided."""

    article_id: int
    decision: Decision
    targets: list[str]


class Review:
    """Editors' decisions on a story's waiting deliveries, and the timeout's."""

    def __init__(self, *, approvals: ApprovalStore, queue: QueueStore, settings: Settings,
                 clock: Clock, on_change: Callable[..., object] | None = None) -> None:
        self.approvals = approvals
        self.queue = queue
        self.settings = settings
        self.clock = clock
        self.on_change = on_change

    def approve(self, article_id: int, *, by: str, via: str, target: str | None = None,
                text: str | None = None) -> Decided:
        """Approve the story's waiting deliveries (or the one on ``target``); with ``text``, the
        editor's text (checked against the platform's limits) replaces the composed post."""
        waiting = self._waiting(article_id, target)
        posts: dict[str, Post] = {}
        if text is not None:
            if len(waiting) != 1:
                names = ", ".join(d.target for d in waiting)
                raise InputError(f"edited text needs a target: story {article_id} waits on "
                                 f"{names}")
            d = waiting[0]
            posts[d.target] = self._edited(d, text)
        decision = Decision.EDITED if posts else Decision.APPROVED
        return self._decide(article_id, decision, by=by, via=via,
                            targets=[d.target for d in waiting], posts=posts)

    def reject(self, article_id: int, *, by: str, via: str, target: str | None = None,
               reason: str | None = None) -> Decided:
        """Reject the story's waiting deliveries (or the one on ``target``), with a reason."""
        waiting = self._waiting(article_id, target)
        note = _reason(reason) if reason else None
        return self._decide(article_id, Decision.REJECTED, by=by, via=via,
                            targets=[d.target for d in waiting], note=note)

    def give_reason(self, article_id: int, *, by: str, via: str, targets: Sequence[str],
                    was: str, reason: str) -> tuple[list[str], str]:
        """Replace the reason ``was`` of a rejection ``by`` made on ``targets`` (the staff
        chat's buttons reject at once and ask why after); returns the targets changed and the
        reason as kept (on one line).

        ``InputError`` for an empty or too long reason; ``ConflictError`` when those deliveries
        are no longer rejected by ``by`` with ``was`` (a reason was given already)."""
        note = _reason(reason)
        if not note:
            raise InputError("the reason is empty")
        done = self.approvals.reword_rejection(
            article_id, targets=targets, by=by, was=was, note=note, now=self.clock.now(),
            staff=StaffNote(staff_actor(by, via), "gave the reason", note))
        if not done:
            raise ConflictError(f"story {article_id} is no longer rejected by {by} with the "
                                f"reason {was!r}")
        log.info("rejection reason given", extra={"article": article_id, "by": by,
                                                  "targets": ",".join(done)})
        return done, note

    def check_text(self, delivery: Delivery, text: str) -> Post:
        """The post ``text`` makes for ``delivery``; ``InputError`` saying what is wrong."""
        return self._edited(delivery, text)

    def settle_timeouts(self) -> list[int]:
        """Apply ``[approval] timeout`` to what nobody decided; returns the stories touched."""
        cfg = self.settings.approval
        if cfg.timeout is None:
            return []
        now = self.clock.now()
        settlements = settle_timeouts(self.approvals.waiting(), now=now,
                                      timeout=parse_duration(cfg.timeout),
                                      on_timeout=OnTimeout(cfg.on_timeout))
        if not settlements:
            return []
        touched = self.approvals.settle(settlements, now)
        for s in settlements:
            log.info("approval timed out", extra={"delivery": s.delivery_id,
                                                  "decision": s.decision.value})
        if touched:
            targets = {d.target for a in touched for d in self.queue.get_article(a)[1]}
            self._changed(targets, touched)
        return touched

    # -- helpers --------------------------------------------------------------------------
    def _waiting(self, article_id: int, target: str | None) -> list[Delivery]:
        _, found = self.queue.get_article(article_id)  # NotFoundError
        if target is not None and target not in {d.target for d in found}:
            names = ", ".join(d.target for d in found) or "none"
            raise InputError(f"story {article_id} has no delivery to target {target!r} "
                             f"(its targets: {names})")
        chosen = [d for d in found if target is None or d.target == target]
        waiting = [d for d in chosen if d.state is S.AWAITING_APPROVAL]
        if not waiting:
            raise ConflictError(_nothing_waits(article_id, target, chosen))
        return waiting

    def _edited(self, delivery: Delivery, text: str) -> Post:
        try:
            cfg = self.settings.target(delivery.target)
            max_length = cfg.max_length
        except KeyError:
            max_length = 280
        try:
            return edited_post(delivery.post(), text, max_length=max_length)
        except ValueError as exc:
            raise InputError(f"text for {delivery.target}: {exc}") from None

    def _decide(self, article_id: int, decision: Decision, *, by: str, via: str,
                targets: Sequence[str], posts: dict[str, Post] | None = None,
                note: str | None = None) -> Decided:
        kind = Decision.APPROVED if decision is Decision.EDITED else decision
        action = {Decision.APPROVED: "approved", Decision.EDITED: "approved with edited text",
                  Decision.REJECTED: "rejected"}.get(decision, decision.value)
        done = self.approvals.decide(article_id, decision=kind, by=by, via=via,
                                     now=self.clock.now(), targets=targets, note=note,
                                     posts=posts,
                                     staff=StaffNote(staff_actor(by, via), action, note))
        if not done:  # another editor was quicker
            _, found = self.queue.get_article(article_id)
            raise ConflictError(_nothing_waits(article_id, None,
                                               [d for d in found if d.target in targets]))
        log.info("decided", extra={"article": article_id, "decision": decision.value,
                                   "targets": ",".join(done), "by": by, "via": via})
        self._changed(done, [article_id])
        return Decided(article_id, decision, done)

    def _changed(self, targets: Collection[str], articles: Collection[int]) -> None:
        """Have the decided stories planned on their targets only (an approved delivery
        against its target's horizon), not the whole queue."""
        if self.on_change is not None:
            self.on_change(targets=sorted(targets), articles=list(articles))


def _reason(reason: str) -> str:
    """A rejection's reason on one line; ``InputError`` past 1000 characters."""
    note = " ".join(reason.split())
    if len(note) > 1000:
        raise InputError("the reason is longer than 1000 characters")
    return note


def decision_line(d: Delivery) -> str:
    """``approved by Ann (telegram:111) via telegram``, or the state when nobody decided."""
    a = d.approval
    if a is None or a.decision is None:
        return d.state.value.replace("_", " ")
    what = "approved with edited text" if a.decision is Decision.EDITED else a.decision.value
    by = f" by {a.by}" if a.by else ""
    via = f" via {a.via}" if a.via else ""
    note = f": {a.note}" if a.note and a.decision is Decision.REJECTED else ""
    return f"{what}{by}{via}{note}"


def _nothing_waits(article_id: int, target: str | None, found: Sequence[Delivery]) -> str:
    where = f" on {target}" if target else ""
    found = [d for d in found if d.approval is not None]
    if not found:
        return f"story {article_id} has nothing waiting for approval{where} (none of its " \
               "deliveries needs approval)"
    decided = "; ".join(f"{d.target}: {decision_line(d)}" for d in found)
    return f"story {article_id} has nothing waiting for approval{where} ({decided})"
