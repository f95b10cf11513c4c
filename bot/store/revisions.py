"""Revisions in SQL: story edits, takedowns and confirmations, and the exactly-once path of the
platform calls they lead to (claim, record progress, finish), like deliveries have."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.expression import ColumnElement

from bot.domain.errors import InputError, NotFoundError
from bot.domain.models import Delivery, DeliveryState, Platform
from bot.domain.revisions import (
    DeliveryChange,
    Revision,
    RevisionKind,
    RevisionState,
    StoryChange,
    edit_kind,
)
from bot.store.desk import StaffNote, write_note
from bot.store.rows import delivery_from_row
from bot.store.tables import articles, deliveries, revisions, runtime

S = DeliveryState
R = RevisionState
K = RevisionKind

_OUT_OR_SENDING = (S.PUBLISHED.value, S.SENDING.value)
_MINE = (
    revisions.c.id == bindparam("rid"),
    revisions.c.attempt_id == bindparam("aid"),
    revisions.c.state == R.SENDING.value,
)


def revision_from_row(row: Mapping[Any, Any]) -> Revision:
    """A ``Revision`` from a ``revisions`` row."""
    return Revision(
        id=row["id"], delivery_id=row["delivery_id"], article_id=row["article_id"],
        target=row["target"], platform=Platform(row["platform"]), kind=RevisionKind(row["kind"]),
        state=RevisionState(row["state"]), created_at=row["created_at"],
        updated_at=row["updated_at"], planned_at=row["planned_at"],
        finished_at=row["finished_at"], parts=tuple(row["parts"] or ()),
        changed=tuple(row["changed"] or ()), requested_by=row["requested_by"],
        reason=row["reason"], attempt_id=row["attempt_id"], attempts=row["attempts"],
        retries=row["retries"], done_ids=tuple(row["done_ids"] or ()),
        result_ids=tuple(row["result_ids"] or ()), outcome=row["outcome"], error=row["error"],
        error_kind=row["error_kind"],
    )


def _new(d: Mapping[Any, Any], kind: RevisionKind, state: RevisionState, now: datetime, *,
         parts: Sequence[str] = (), changed: Sequence[str] = (), by: str | None = None,
         reason: str | None = None, outcome: str | None = None) -> dict[str, Any]:
    done = state in (R.DONE, R.SUPERSEDED)
    return {
        "delivery_id": d["id"], "article_id": d["article_id"], "target": d["target"],
        "platform": d["platform"], "kind": kind.value, "state": state.value,
        "parts": list(parts), "changed": list(changed), "requested_by": by, "reason": reason,
        "planned_at": None if done else now, "attempts": 0, "retries": 0, "done_ids": [],
        "result_ids": [], "outcome": outcome, "created_at": now, "updated_at": now,
        "finished_at": now if done else None,
    }


def _supersede(conn: Connection, delivery_id: int, now: datetime, why: str) -> None:
    """Pending edits and replies of a delivery that a newer change makes moot."""
    conn.execute(
        update(revisions).where(
            revisions.c.delivery_id == delivery_id, revisions.c.state == R.PENDING.value,
            revisions.c.kind.in_([K.EDIT.value, K.REPLY.value]),
        ).values(state=R.SUPERSEDED.value, outcome=why, updated_at=now, finished_at=now,
                 planned_at=None)
    )


def _bump(conn: Connection, now: datetime) -> None:
    """Tell a running daemon the queue changed (as the queue store does)."""
    current = conn.execute(select(runtime.c.value).where(runtime.c.key == "queue_revision")).scalar()
    if current is None:
        conn.execute(insert(runtime).values(key="queue_revision", value=1, updated_at=now))
    else:
        conn.execute(update(runtime).where(runtime.c.key == "queue_revision")
                     .values(value=int(current) + 1, updated_at=now))


class RevisionStore:
    """Revisions of deliveries in SQL; every method is one short transaction."""

    def __init__(self, *, engine: Engine, durable_claims: bool = True) -> None:
        self.engine = engine
        self.durable_claims = durable_claims

    # -- what staff ask for ---------------------------------------------------------------
    def edit_story(self, article_id: int, change: StoryChange,
                   deliveries_: Sequence[DeliveryChange], now: datetime,
                   content_hash: str | None = None,
                   staff: StaffNote | None = None) -> list[Revision]:
        """Store a story's new fields and every delivery's new post, in one commit.

        A delivery not out yet just carries the new text (recorded as ``record``). One that is
        out, or being sent, gets a pending revision of its target's kind; older pending edits of
        it are superseded. Photos stay as they went out (only text and captions are edited).
        ``staff``: noted in the story's staff actions in the same commit.
        """
        values: dict[str, Any] = {k: getattr(change, k) for k in change.changed}
        if "image_url" in values:
            values["image_url"] = values["image_url"] or None
        if content_hash is not None:
            values["content_hash"] = content_hash
        with self.engine.begin() as conn:
            found = conn.execute(update(articles).where(articles.c.id == article_id)
                                 .values(updated_at=now, **values)).rowcount
            if not found:
                raise NotFoundError(f"no story with id {article_id}")
            rows = {r["id"]: r for r in conn.execute(
                select(deliveries).where(deliveries.c.article_id == article_id)).mappings()}
            created: list[int] = []
            touched: list[int] = []
            for item in deliveries_:
                d = rows.get(item.delivery_id)
                if d is None or d["state"] == S.WITHDRAWN.value:
                    continue
                state = S(d["state"])
                in_flight = state is S.SENDING
                kind = edit_kind(state, item.on_edit, in_flight=in_flight)
                same = tuple(d["parts"] or ()) == item.post.parts
                if same and state is S.PUBLISHED:
                    kind = K.RECORD  # the post on this target reads the same: nothing to correct
                post_values: dict[str, Any] = {"parts": list(item.post.parts), "updated_at": now}
                if state not in (S.PUBLISHED, S.SENDING):
                    post_values.update(image_url=item.post.image_url,
                                       parse_mode=item.post.parse_mode)
                conn.execute(update(deliveries).where(deliveries.c.id == d["id"])
                             .values(**post_values))
                _supersede(conn, d["id"], now, "superseded by a newer edit")
                if kind is K.RECORD:
                    outcome = ("recorded: not out yet, carries the new text"
                               if state not in (S.PUBLISHED, S.SENDING)
                               else "recorded: the post reads the same" if same
                               else "recorded: on_edit = none")
                    row = _new(d, kind, R.DONE, now, parts=item.post.parts,
                               changed=change.changed, by=change.requested_by, outcome=outcome)
                else:
                    parts = (item.correction,) if kind is K.REPLY else item.post.parts
                    row = _new(d, kind, R.PENDING, now, parts=parts, changed=change.changed,
                               by=change.requested_by)
                key = conn.execute(insert(revisions).values(**row)).inserted_primary_key
                assert key is not None
                created.append(int(key[0]))
                touched.append(int(d["id"]))
            _bump(conn, now)
            if staff is not None:
                write_note(conn, article_id, touched, staff, now)
        return self._by_ids(created)

    def takedown(self, article_id: int, *, requested_by: str, reason: str | None,
                 now: datetime, staff: StaffNote | None = None) -> list[Revision]:
        """Withdraw a story: what is not out is withdrawn at once; what is out (or being sent,
        or partly sent) gets a pending ``delete`` revision; pending edits are superseded.
        ``staff``: noted for the deliveries taken down, in the same commit (nothing when none
        was left to take down)."""
        created: list[int] = []
        touched: list[int] = []
        with self.engine.begin() as conn:
            if conn.execute(select(articles.c.id).where(articles.c.id == article_id)).first() is None:
                raise NotFoundError(f"no story with id {article_id}")
            rows = conn.execute(select(deliveries).where(deliveries.c.article_id == article_id)
                                .order_by(deliveries.c.id)).mappings().all()
            for d in rows:
                if d["state"] == S.WITHDRAWN.value or self._open_delete(conn, d["id"]):
                    continue
                _supersede(conn, d["id"], now, "superseded by the takedown")
                out = d["state"] in _OUT_OR_SENDING or bool(d["sent_ids"]) or self._replies(
                    conn, d["id"])
                if d["state"] not in _OUT_OR_SENDING:
                    note = "withdrawn before it went out"
                    if d["state"] == S.NEEDS_REVIEW.value:
                        note = ("withdrawn; the last send's outcome was unknown, so a post the "
                                "platform cannot be asked about may remain")
                    conn.execute(update(deliveries).where(deliveries.c.id == d["id"]).values(
                        state=S.WITHDRAWN.value, planned_at=None, last_error=note,
                        error_kind="withdrawn", updated_at=now))
                if out:
                    row = _new(d, K.DELETE, R.PENDING, now, by=requested_by, reason=reason)
                else:
                    row = _new(d, K.DELETE, R.DONE, now, by=requested_by, reason=reason,
                               outcome="nothing was out: withdrawn")
                key = conn.execute(insert(revisions).values(**row)).inserted_primary_key
                assert key is not None
                created.append(int(key[0]))
                touched.append(int(d["id"]))
            _bump(conn, now)
            if staff is not None and touched:
                write_note(conn, article_id, touched, staff, now)
        return self._by_ids(created)

    def confirm(self, article_id: int, target: str, *, post_id: str | None,
                permalink: str | None, not_posted: bool, requested_by: str,
                now: datetime, staff: StaffNote | None = None) -> Revision:
        """Settle a ``needs_review`` delivery: published (with the id and link given), or with
        ``not_posted`` back to ``pending`` to be sent again on purpose. ``staff``: noted in the
        story's staff actions in the same commit."""
        with self.engine.begin() as conn:
            d = conn.execute(select(deliveries).where(
                deliveries.c.article_id == article_id, deliveries.c.target == target)
            ).mappings().first()
            if d is None:
                raise NotFoundError(f"story {article_id} has no delivery to target {target!r}")
            if d["state"] != S.NEEDS_REVIEW.value:
                raise InputError(f"story {article_id} on {target} is {d['state']}, not "
                                 "needs_review: only a post whose outcome is unknown is confirmed")
            if not_posted:
                values: dict[str, Any] = {
                    "state": S.PENDING.value, "planned_at": None, "retry_at": None,
                    "attempt_id": None, "error_kind": None, "requeued_at": now, "updated_at": now,
                    "last_error": f"confirmed not posted by {requested_by}; sent again"}
                outcome = "not posted: sent again"
            else:
                ids = list(d["sent_ids"] or [])
                if post_id and post_id not in ids:
                    ids.append(post_id)
                values = {"state": S.PUBLISHED.value, "published_at": d["updated_at"],
                          "platform_post_id": ids[0] if ids else None, "sent_ids": ids,
                          "permalink": permalink or d["permalink"], "last_error": None,
                          "error_kind": None, "updated_at": now}
                outcome = f"confirmed published{f' as {post_id}' if post_id else ''}"
            conn.execute(update(deliveries).where(deliveries.c.id == d["id"]).values(**values))
            row = _new(d, K.CONFIRM, R.DONE, now, by=requested_by, outcome=outcome)
            if post_id:
                row["result_ids"] = [post_id]
            key = conn.execute(insert(revisions).values(**row)).inserted_primary_key
            assert key is not None
            _bump(conn, now)
            if staff is not None:
                write_note(conn, article_id, [int(d["id"])], staff, now)
        return self._by_ids([int(key[0])])[0]

    @staticmethod
    def _open_delete(conn: Connection, delivery_id: int) -> bool:
        return conn.execute(select(revisions.c.id).where(
            revisions.c.delivery_id == delivery_id, revisions.c.kind == K.DELETE.value,
            revisions.c.state.in_([R.PENDING.value, R.SENDING.value]))).first() is not None

    @staticmethod
    def _replies(conn: Connection, delivery_id: int) -> list[str]:
        """Correction replies a delivery's revisions posted (and that might be posted)."""
        rows = conn.execute(select(revisions.c.result_ids).where(
            revisions.c.delivery_id == delivery_id, revisions.c.kind == K.REPLY.value)).all()
        return [str(i) for r in rows for i in (r[0] or ())]

    # -- the exactly-once path ------------------------------------------------------------
    @staticmethod
    def _ready(exclude_targets: Sequence[str]) -> list[ColumnElement[bool]]:
        """Pending revisions that may run once due: none of a delivery being sent or with
        another revision in flight (they wait for it to end), none of an excluded target."""
        other = revisions.alias("other")
        busy = exists().where(other.c.delivery_id == revisions.c.delivery_id,
                              other.c.state == R.SENDING.value)
        sending = exists().where(deliveries.c.id == revisions.c.delivery_id,
                                 deliveries.c.state == S.SENDING.value)
        cond: list[ColumnElement[bool]] = [revisions.c.state == R.PENDING.value, ~busy, ~sending]
        if exclude_targets:
            cond.append(revisions.c.target.not_in(list(exclude_targets)))
        return cond

    def due(self, now: datetime, *, exclude_targets: Sequence[str] = (),
            limit: int = 500, target: str | None = None) -> list[Revision]:
        """Pending revisions whose time has come (of ``target`` only, if given), oldest first
        (see ``_ready``)."""
        cond = [*self._ready(exclude_targets), revisions.c.planned_at <= now]
        if target is not None:
            cond.append(revisions.c.target == target)
        query = select(revisions).where(and_(*cond)).order_by(revisions.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [revision_from_row(r) for r in conn.execute(query).mappings()]

    def next_planned_at(self, *, exclude_targets: Sequence[str] = ()) -> datetime | None:
        """The earliest planned time among revisions that may run (see ``_ready``)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(revisions.c.planned_at).where(
                and_(*self._ready(exclude_targets))).order_by(revisions.c.planned_at).limit(1)
            ).first()
        return None if row is None else row[0]

    def claim(self, revision_id: int, attempt_id: str, now: datetime) -> bool:
        """``pending`` → ``sending`` with a fresh attempt id, committed before any API call."""
        with self.engine.begin() as conn:
            if self.durable_claims and conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=FULL")
            n = conn.execute(update(revisions).where(
                revisions.c.id == revision_id, revisions.c.state == R.PENDING.value,
                revisions.c.planned_at <= now,
            ).values(state=R.SENDING.value, attempt_id=attempt_id,
                     attempts=revisions.c.attempts + 1, updated_at=now)).rowcount
        return bool(n)

    def record_step(self, revision_id: int, attempt_id: str, done_ids: Sequence[str],
                    now: datetime) -> None:
        """Remember which posts this revision has handled so far (it resumes after them)."""
        with self.engine.begin() as conn:
            conn.execute(update(revisions).where(*_MINE).values(done_ids=list(done_ids),
                                                                 updated_at=now),
                         {"rid": revision_id, "aid": attempt_id})

    def finish(self, revision_id: int, attempt_id: str, *, state: RevisionState, now: datetime,
               outcome: str, error: str | None = None, error_kind: str | None = None,
               planned_at: datetime | None = None, result_ids: Sequence[str] | None = None,
               new_post_ids: Sequence[str] | None = None, withdraw: bool = False,
               kind: RevisionKind | None = None, parts: Sequence[str] | None = None,
               retried: bool = False) -> bool:
        """End an attempt: the revision's new state and, in the same commit, what it did to its
        delivery (new post ids after an X edit; ``withdrawn`` after a takedown). Only the
        attempt that claimed the revision can finish it."""
        values: dict[str, Any] = {"state": state.value, "outcome": outcome, "updated_at": now,
                                  "error": error, "error_kind": error_kind}
        if state is R.PENDING:
            values["planned_at"] = planned_at
        else:
            values["finished_at"] = now
        if result_ids is not None:
            values["result_ids"] = list(result_ids)
        if kind is not None:
            values.update(kind=kind.value, done_ids=[])
        if parts is not None:
            values["parts"] = list(parts)
        if retried:
            values["retries"] = revisions.c.retries + 1
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            n = conn.execute(update(revisions).where(*_MINE).values(**values),
                             {"rid": revision_id, "aid": attempt_id}).rowcount
            if n and (new_post_ids is not None or withdraw):
                delivery_id = conn.execute(select(revisions.c.delivery_id).where(
                    revisions.c.id == revision_id)).scalar_one()
                self._apply_to_delivery(conn, delivery_id, new_post_ids, withdraw, now)
            if n:
                _bump(conn, now)
        return bool(n)

    @staticmethod
    def _apply_to_delivery(conn: Connection, delivery_id: int,
                           new_post_ids: Sequence[str] | None, withdraw: bool,
                           now: datetime) -> None:
        d = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).mappings().one()
        values: dict[str, Any] = {"updated_at": now}
        if new_post_ids:
            old = d["platform_post_id"]
            values.update(sent_ids=list(new_post_ids), platform_post_id=new_post_ids[0])
            link = d["permalink"]
            if link and old and link.endswith(str(old)):
                values["permalink"] = link[: -len(str(old))] + new_post_ids[0]
        if withdraw:
            values.update(state=S.WITHDRAWN.value, planned_at=None, error_kind="withdrawn",
                          last_error="taken down: every post deleted")
        conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(**values))

    def in_flight(self) -> list[Revision]:
        """Revisions left ``sending`` by a dead process: outcome unknown."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(revisions).where(
                revisions.c.state == R.SENDING.value).order_by(revisions.c.id)).mappings().all()
        return [revision_from_row(r) for r in rows]

    def delivery(self, delivery_id: int) -> Delivery:
        """The delivery a revision changes (with its story's URL)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(deliveries, articles.c.url.label("article_url"), articles.c.title)
                .join(articles, articles.c.id == deliveries.c.article_id)
                .where(deliveries.c.id == delivery_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no delivery with id {delivery_id}")
        return delivery_from_row(row)

    def story_title(self, article_id: int) -> tuple[str, str]:
        """A story's title and URL (for the correction reply)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(articles.c.title, articles.c.url).where(
                articles.c.id == article_id)).first()
        if row is None:
            raise NotFoundError(f"no story with id {article_id}")
        return str(row[0]), str(row[1])

    def posts_to_delete(self, delivery_id: int) -> tuple[str, ...]:
        """Every post of a delivery: its parts, then any correction replies."""
        d = self.delivery(delivery_id)
        with self.engine.connect() as conn:
            replies = self._replies(conn, delivery_id)
        ids = list(d.sent_ids) or ([d.platform_post_id] if d.platform_post_id else [])
        return tuple(dict.fromkeys([*ids, *replies]))

    # -- reading --------------------------------------------------------------------------
    def _by_ids(self, ids: Sequence[int]) -> list[Revision]:
        if not ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(select(revisions).where(revisions.c.id.in_(list(ids)))
                                .order_by(revisions.c.id)).mappings().all()
        return [revision_from_row(r) for r in rows]

    def get(self, revision_id: int) -> Revision:
        """One revision by id."""
        found = self._by_ids([revision_id])
        if not found:
            raise NotFoundError(f"no revision with id {revision_id}")
        return found[0]

    def for_articles(self, article_ids: Sequence[int]) -> dict[int, list[Revision]]:
        """Every revision of these stories' deliveries, by delivery id, oldest first."""
        if not article_ids:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(revisions).where(
                revisions.c.article_id.in_(list(article_ids))).order_by(revisions.c.id)
            ).mappings().all()
        out: dict[int, list[Revision]] = {}
        for r in rows:
            out.setdefault(r["delivery_id"], []).append(revision_from_row(r))
        return out

    def counts(self) -> dict[tuple[str, str], int]:
        """Revisions per (target, state), for ``status``."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(revisions.c.target, revisions.c.state, func.count())
                                .group_by(revisions.c.target, revisions.c.state)).all()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def attention(self, limit: int = 20) -> list[Revision]:
        """Open and failed revisions, oldest first (what ``status`` lists)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(revisions).where(revisions.c.state.in_(
                [R.PENDING.value, R.SENDING.value, R.FAILED.value])).order_by(revisions.c.id)
                .limit(limit)).mappings().all()
        return [revision_from_row(r) for r in rows]
