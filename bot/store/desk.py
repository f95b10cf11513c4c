"""What the web desk reads and writes beyond the queue: paged story lists with filters, staff
actions (who did what, when), and edited post text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

from bot.domain.models import Article, Delivery, DeliveryState
from bot.store.rows import article_from_row, delivery_from_row
from bot.store.tables import articles, deliveries, staff_actions

EDITABLE = (DeliveryState.PENDING, DeliveryState.FAILED, DeliveryState.EXPIRED,
            DeliveryState.CANCELLED, DeliveryState.NEEDS_REVIEW)
"""States whose text may still change: not in flight, not out."""


@dataclass(frozen=True)
class StaffAction:
    """One thing a person did to a story or one of its deliveries."""

    article_id: int
    delivery_id: int | None
    at: datetime
    actor: str
    action: str
    detail: str | None


@dataclass(frozen=True)
class StaffNote:
    """What to note in a story's staff actions when an operation succeeds: who (with the door
    they used, e.g. ``web:erin``, ``cli:sam``, ``api``, ``telegram:111``), what, and a detail."""

    actor: str
    action: str
    detail: str | None = None


def write_note(conn: Connection, article_id: int, delivery_ids: Sequence[int | None],
               note: StaffNote, now: datetime) -> None:
    """Insert ``note`` for these deliveries (``None`` or none: the whole story) on ``conn``,
    inside the transaction of the operation it records."""
    rows = [{"article_id": article_id, "delivery_id": d, "at": now, "actor": note.actor[:200],
             "action": note.action, "detail": note.detail} for d in (delivery_ids or [None])]
    conn.execute(insert(staff_actions), rows)


@dataclass(frozen=True)
class Page:
    """One page of stories, newest first, and the cursor of the next (``None`` at the end)."""

    stories: list[tuple[Article, list[Delivery]]]
    next_before: int | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DeskStore:
    """Queries for the web desk; every method is one short transaction."""

    def __init__(self, *, engine: Engine) -> None:
        self.engine = engine

    def page(self, *, before: int | None = None, state: DeliveryState | None = None,
             target: str | None = None, text: str | None = None, limit: int = 50) -> Page:
        """Stories older than ``before`` (an article id), newest first; keyset paging, so a deep
        page costs what the first one does."""
        conds: list[ColumnElement[bool]] = []
        if state is not None or target is not None:
            key = deliveries.c.article_id
            if state is not None:
                conds.append(deliveries.c.state == state.value)
            if target is not None:
                conds.append(deliveries.c.target == target)
            query = select(key).distinct()
            if text:
                query = query.join(articles, articles.c.id == key)
        else:
            key = articles.c.id
            query = select(key)
        if before is not None:
            conds.append(key < before)
        if text:
            pattern = _like(text.strip())
            conds.append(or_(articles.c.title.ilike(pattern, escape="\\"),
                             articles.c.url.ilike(pattern, escape="\\")))
        if conds:
            query = query.where(and_(*conds))
        query = query.order_by(key.desc()).limit(limit + 1)
        with self.engine.connect() as conn:
            ids = [int(r[0]) for r in conn.execute(query)]
            more = len(ids) > limit
            ids = ids[:limit]
            if not ids:
                return Page([], None)
            arts = [article_from_row(r) for r in conn.execute(
                select(articles).where(articles.c.id.in_(ids)).order_by(articles.c.id.desc())
            ).mappings()]
            rows = conn.execute(
                select(deliveries).where(deliveries.c.article_id.in_(ids)).order_by(deliveries.c.id)
            ).mappings().all()
        grouped: dict[int, list[Delivery]] = {i: [] for i in ids}
        for r in rows:
            grouped[r["article_id"]].append(delivery_from_row(r))
        return Page([(a, grouped[a.id]) for a in arts], ids[-1] if more else None)

    def targets_in_use(self) -> list[str]:
        """Every target name any delivery has (for the filter's choices)."""
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(
                select(deliveries.c.target).distinct().order_by(deliveries.c.target))]

    def actions(self, article_id: int) -> list[StaffAction]:
        """What people did to a story, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(staff_actions).where(staff_actions.c.article_id == article_id)
                .order_by(staff_actions.c.id)
            ).mappings().all()
        return [StaffAction(article_id=r["article_id"], delivery_id=r["delivery_id"], at=r["at"],
                            actor=r["actor"], action=r["action"], detail=r["detail"])
                for r in rows]

    def set_parts(self, delivery_id: int, parts: Sequence[str], now: datetime,
                  note: StaffNote | None = None) -> bool:
        """Replace the text of a delivery that has not gone out and is not in flight; False
        when it is (its text is what went, or is going, out). ``note``: who did it, noted in
        the story's staff actions in the same commit (the new text as its detail)."""
        editable = deliveries.c.state.in_([s.value for s in EDITABLE])
        with self.engine.begin() as conn:
            sent = conn.execute(select(deliveries.c.sent_ids).where(
                deliveries.c.id == delivery_id)).scalar()
            if sent:  # a cut thread resumes with the parts that are already out
                return False
            moved = conn.execute(
                update(deliveries).where(deliveries.c.id == delivery_id, editable)
                .values(parts=list(parts), plain_text=False, updated_at=now)
                .returning(deliveries.c.article_id)
            ).all()
            if moved and note is not None:
                write_note(conn, int(moved[0][0]), [delivery_id], note, now)
        return bool(moved)
