"""Review before publishing, in SQL: decisions on waiting deliveries, and the Telegram messages
approvers got about them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, insert, select, update
from sqlalchemy.engine import Engine

from bot.domain.approval import Decision, Settlement, Waiting
from bot.domain.models import DeliveryState, Post
from bot.store.desk import StaffNote, write_note
from bot.store.queue import _bump_revision
from bot.store.tables import approval_notices, deliveries

S = DeliveryState
_WAITING = S.AWAITING_APPROVAL.value


@dataclass(frozen=True)
class Notice:
    """The private message one approver got about one story (``message_id`` ``None``: it could
    not be sent, ``error`` says why)."""

    id: int
    article_id: int
    chat_id: int
    message_id: int | None
    shown: str | None
    open: bool
    error: str | None = None


def _decision_values(decision: Decision, *, by: str, via: str, now: datetime,
                     note: str | None) -> dict[str, object]:
    values: dict[str, object] = {
        "approval_decision": decision.value, "approval_by": by, "approval_via": via,
        "approval_at": now, "approval_note": note, "updated_at": now}
    if decision.publishes:
        # planned from this moment by the target's schedule; fresh for max_age from now
        values.update(state=S.PENDING.value, planned_at=None, plan_reason=None, retry_at=None,
                      requeued_at=now)
    elif decision is Decision.REJECTED:
        values.update(state=S.REJECTED.value, planned_at=None, error_kind="rejected",
                      last_error=f"rejected by {by}" + (f": {note}" if note else ""))
    else:
        values.update(state=S.EXPIRED.value, planned_at=None, error_kind="expired",
                      last_error=note or "nobody approved it in time")
    return values


class ApprovalStore:
    """Decisions on deliveries in ``awaiting_approval`` (each decided exactly once) and the
    approvers' messages; every method is one short transaction."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def decide(
        self,
        article_id: int,
        *,
        decision: Decision,
        by: str,
        via: str,
        now: datetime,
        targets: Sequence[str] | None = None,
        note: str | None = None,
        posts: Mapping[str, Post] | None = None,
        staff: StaffNote | None = None,
    ) -> list[str]:
        """Decide a story's waiting deliveries (all, or those on ``targets``); returns the
        targets decided now. A delivery someone else decided first is left as it is, so two
        editors never decide the same delivery twice. ``posts`` (edited text) replace the
        composed posts of their targets. ``staff``: noted in the story's staff actions for the
        deliveries decided, in the same commit (nothing when none was decided)."""
        cond = and_(deliveries.c.article_id == article_id, deliveries.c.state == _WAITING)
        if targets is not None:
            cond = and_(cond, deliveries.c.target.in_(list(targets)))
        base = _decision_values(decision, by=by, via=via, now=now, note=note)
        decided: list[str] = []
        ids: list[int] = []
        with self.engine.begin() as conn:
            rows = conn.execute(select(deliveries.c.id, deliveries.c.target).where(cond)).all()
            for did, target in rows:
                values = dict(base)
                post = (posts or {}).get(target)
                if post is not None:
                    values.update(parts=list(post.parts), image_url=post.image_url,
                                  parse_mode=post.parse_mode, sent_ids=[], plain_text=False,
                                  approval_decision=Decision.EDITED.value)
                n = conn.execute(update(deliveries).where(
                    deliveries.c.id == did, deliveries.c.state == _WAITING).values(**values)
                ).rowcount
                if n:
                    decided.append(target)
                    ids.append(int(did))
            if decided:
                _bump_revision(conn, now)
                if staff is not None:
                    write_note(conn, article_id, ids, staff, now)
        return decided

    def reword_rejection(self, article_id: int, *, targets: Sequence[str], by: str, was: str,
                         note: str, now: datetime,
                         staff: StaffNote | None = None) -> list[str]:
        """Give the rejection ``by`` made on ``targets`` the reason ``note`` in place of ``was``;
        returns the targets changed. Only a delivery still rejected by ``by`` with ``was`` as its
        reason changes, so a reason is given once, and never to another editor's decision.
        ``staff``: noted for the deliveries changed, in the same commit."""
        cond = and_(deliveries.c.article_id == article_id,
                    deliveries.c.target.in_(list(targets)),
                    deliveries.c.state == S.REJECTED.value,
                    deliveries.c.approval_decision == Decision.REJECTED.value,
                    deliveries.c.approval_by == by, deliveries.c.approval_note == was)
        with self.engine.begin() as conn:
            rows = conn.execute(update(deliveries).where(cond).values(
                approval_note=note, last_error=f"rejected by {by}: {note}", updated_at=now,
            ).returning(deliveries.c.target, deliveries.c.id)).all()
            if rows:
                _bump_revision(conn, now)
                if staff is not None:
                    write_note(conn, article_id, sorted(int(r[1]) for r in rows), staff, now)
        return sorted(str(r[0]) for r in rows)

    def waiting(self) -> list[Waiting]:
        """Every delivery waiting for an editor, with the time it began to wait."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.id, deliveries.c.approval_since, deliveries.c.created_at)
                .where(deliveries.c.state == _WAITING).order_by(deliveries.c.id)
            ).all()
        return [Waiting(r[0], r[1] or r[2]) for r in rows]

    def settle(self, settlements: Sequence[Settlement], now: datetime) -> list[int]:
        """Apply the timeout's decisions; returns the stories touched."""
        touched: set[int] = set()
        with self.engine.begin() as conn:
            for s in settlements:
                values = _decision_values(s.decision, by="timeout", via="daemon", now=now,
                                          note=s.reason)
                row = conn.execute(
                    update(deliveries)
                    .where(deliveries.c.id == s.delivery_id, deliveries.c.state == _WAITING)
                    .values(**values).returning(deliveries.c.article_id)
                ).first()
                if row is not None:
                    touched.add(int(row[0]))
            if touched:
                _bump_revision(conn, now)
        return sorted(touched)

    # -- approvers' messages ------------------------------------------------------------------
    def unnotified(self, limit: int = 20) -> list[int]:
        """Stories with a delivery waiting for review that no approver was told about yet."""
        told = exists().where(approval_notices.c.article_id == deliveries.c.article_id)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.article_id).where(deliveries.c.state == _WAITING, ~told)
                .group_by(deliveries.c.article_id).order_by(deliveries.c.article_id)
                .limit(limit)
            ).all()
        return [int(r[0]) for r in rows]

    def notices(self, article_id: int | None = None, *, open_only: bool = False) -> list[Notice]:
        """Approvers' messages (of one story, or all; only those still showing buttons)."""
        query = select(approval_notices).order_by(approval_notices.c.id)
        if article_id is not None:
            query = query.where(approval_notices.c.article_id == article_id)
        if open_only:
            query = query.where(approval_notices.c.open.is_(True))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [Notice(r["id"], r["article_id"], r["chat_id"], r["message_id"], r["shown"],
                       bool(r["open"]), r["error"]) for r in rows]

    def add_notice(self, article_id: int, chat_id: int, *, message_id: int | None,
                   shown: str | None, open_: bool, now: datetime,
                   error: str | None = None) -> None:
        """Remember the message sent to one approver about a story (or why it failed)."""
        with self.engine.begin() as conn:
            conn.execute(insert(approval_notices).values(
                article_id=article_id, chat_id=chat_id, message_id=message_id, shown=shown,
                open=open_, error=error, created_at=now, updated_at=now))

    def update_notice(self, notice_id: int, *, shown: str, open_: bool, now: datetime,
                      message_id: int | None = None, error: str | None = None) -> None:
        """The message now shows ``shown`` (a fingerprint); closed once nothing waits or it
        cannot be sent or edited (``error`` says why); ``message_id`` once a retry sent it."""
        values: dict[str, object] = {"shown": shown, "open": open_, "updated_at": now,
                                     "error": error}
        if message_id is not None:
            values["message_id"] = message_id
        with self.engine.begin() as conn:
            conn.execute(update(approval_notices).where(approval_notices.c.id == notice_id)
                         .values(**values))
