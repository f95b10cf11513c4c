"""The queue repository: articles and their deliveries, every state change, the exactly-once
send log (claim, parts, finish, interrupted sends) and the reporting queries over them."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Select,
    Update,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.domain.errors import NotFoundError
from bot.domain.models import (
    Article,
    ArticleDraft,
    Delivery,
    DeliveryState,
    Platform,
    Post,
    Priority,
    PublishReceipt,
)
from bot.store.desk import StaffNote, write_note
from bot.store.listen import notify
from bot.store.revision import bump_revision, read_revision
from bot.store.rows import article_from_row, attempt_from_row, delivery_from_row
from bot.store.sending import SendPath
from bot.store.tables import UTCDateTime, articles, attempts, deliveries, leases

S = DeliveryState


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to create with its article: target name, platform and rendered post;
    ``waits_for`` (why it needs an editor's approval) makes it wait in ``awaiting_approval``."""

    target: str
    platform: Platform
    post: Post
    waits_for: str | None = None


@dataclass(frozen=True)
class Pending:
    """A pending delivery as the planner reads it: what places it in line and what its plan
    is written against, not its post (a pass reads a horizon per target, a story queued to
    many targets many horizons)."""

    id: int
    article_id: int
    target: str
    planned_at: datetime | None
    plan_reason: str | None
    created_at: datetime
    updated_at: datetime
    retry_at: datetime | None
    requeued_at: datetime | None


_PENDING = [deliveries.c[f.name] for f in dataclasses.fields(Pending)]


@dataclass(frozen=True)
class Rank:
    """What the planner needs of a pending delivery's story: its priority and the times that
    gate and rank it (not its text: a pass reads a horizon of these per target)."""

    id: int
    priority: Priority
    not_before: datetime | None
    published_at: datetime | None
    created_at: datetime


_RANK = [articles.c[f.name] for f in dataclasses.fields(Rank)]


@dataclass(frozen=True)
class Published:
    """A post the platform took, to be recorded as ``published`` by the attempt that sent it."""

    delivery_id: int
    attempt_id: str
    receipt: PublishReceipt
    at: datetime
    started_at: datetime
    image_error: str | None = None
    outcome: str = "published"

    def values(self) -> dict[str, object]:
        """The parameters of the ``published`` update."""
        r = self.receipt
        return {"did": self.delivery_id, "aid": self.attempt_id, "now": self.at,
                "pid": r.post_ids[0] if r.post_ids else None, "ids": list(r.post_ids),
                "link": r.permalink, "image_error": self.image_error or r.image_error,
                "media_id": r.media_ids[0] if r.media_ids else None}


def with_url() -> Select[Any]:
    """Deliveries joined with their story's URL."""
    return select(deliveries, articles.c.url.label("article_url"),
                  articles.c.image_alt.label("image_alt")).join(
        articles, articles.c.id == deliveries.c.article_id
    )


_MINE = (
    deliveries.c.id == bindparam("did"),
    deliveries.c.attempt_id == bindparam("aid"),
    deliveries.c.state == S.SENDING.value,
)
def claim_statement(p: str = "", *, leased: bool = False) -> Update:
    """``pending`` → ``sending`` for delivery ``{p}did`` with attempt ``{p}aid`` at ``{p}now``
    (``p`` prefixes the parameter names, for use beside another statement). ``leased``: with
    several workers the claim also needs the claiming worker's (``{p}worker``) unexpired lease
    on the target (a fence: a worker that lost its lease, paused or cut off, can no longer
    start a send)."""
    now = bindparam(f"{p}now", type_=deliveries.c.updated_at.type)
    stmt = (
        update(deliveries)
        .where(deliveries.c.id == bindparam(f"{p}did"), deliveries.c.state == S.PENDING.value,
               deliveries.c.planned_at <= now)
        .values(state=S.SENDING.value, attempt_id=bindparam(f"{p}aid"),
                attempts=deliveries.c.attempts + 1, updated_at=now)
    )
    if leased:
        stmt = stmt.where(exists(
            select(leases.c.target).where(
                leases.c.target == deliveries.c.target,
                leases.c.worker == bindparam(f"{p}worker"),
                leases.c.expires_at > func.timezone("utc", func.now()))))
    return stmt


_PART = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("did"), deliveries.c.attempt_id == bindparam("aid"))
    .values(sent_ids=bindparam("ids", type_=deliveries.c.sent_ids.type),
            updated_at=bindparam("now"))
)
_PUBLISHED = (
    update(deliveries)
    .where(*_MINE)
    .values(state=S.PUBLISHED.value, updated_at=bindparam("now"), published_at=bindparam("now"),
            retries=0,
            platform_post_id=bindparam("pid"),
            sent_ids=bindparam("ids", type_=deliveries.c.sent_ids.type),
            permalink=bindparam("link"), last_error=None, error_kind=None,
            image_error=bindparam("image_error"), media_id=bindparam("media_id"))
)


# A claim whose platform call never started (its commit's answer was lost): the delivery waits
# again as it was, and the attempt it never made is not counted.
_RELEASE = (
    update(deliveries)
    .where(*_MINE)
    .values(state=S.PENDING.value, attempt_id=None, attempts=deliveries.c.attempts - 1,
            updated_at=bindparam("now"))
)


_SET_PLAN = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("did"), deliveries.c.state == S.PENDING.value)
    .values(planned_at=bindparam("at", type_=deliveries.c.planned_at.type),
            plan_reason=bindparam("why"))
)
# Optimistic concurrency: a plan computed from a snapshot is written only if the delivery has
# not changed since (every state change, retry time and requeue moves ``updated_at``).
_SET_PLAN_SEEN = _SET_PLAN.where(
    deliveries.c.updated_at == bindparam("seen", type_=deliveries.c.updated_at.type))
# Any real time is after this; ``planned_at >= _EPOCH`` is ``IS NOT NULL`` as an index range.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _urgency(a: Any) -> Any:
    """Breaking, high, normal priority as 0, 1, 2 (of the articles table or an alias)."""
    return case({Priority.BREAKING.value: 0, Priority.HIGH.value: 1, Priority.NORMAL.value: 2},
                value=a.c.priority, else_=3)


def _story_time(d: Any, a: Any) -> Any:
    """When a story counts from: published (else queued), or when staff sent it again on
    purpose (of a delivery ``d`` and its story ``a``, tables or aliases)."""
    base = func.coalesce(a.c.published_at, a.c.created_at)
    return case((d.c.requeued_at > base, d.c.requeued_at), else_=base)


_URGENCY = _urgency(articles)
_STORY_TIME = _story_time(deliveries, articles)


def _line(d: Any, a: Any, now: datetime) -> list[tuple[Any, bool]]:
    """The order waiting deliveries (``d``, their story ``a``) get places in, as sort keys,
    each with ``True`` when later values sort first: those that may go now before those held
    by ``not_before`` (soonest first), then breaking, high, normal priority, then the newest
    story, then the oldest delivery."""
    held = and_(a.c.not_before.is_not(None), a.c.not_before > now)
    soonest = case((held, a.c.not_before), else_=literal(_EPOCH, UTCDateTime()))
    return [(case((held, 1), else_=0), False), (soonest, False), (_urgency(a), False),
            (_story_time(d, a), True), (d.c.id, False)]


def _order(now: datetime) -> list[Any]:
    """``_line`` as an ``ORDER BY`` of deliveries and their stories."""
    return [key.desc() if later_first else key
            for key, later_first in _line(deliveries, articles, now)]


def _ahead(one: Sequence[tuple[Any, bool]], other: Sequence[tuple[Any, bool]]) -> Any:
    """SQL truth of "``one`` sorts before ``other``" for two rows' ``_line`` keys."""
    before: Any = None
    for (mine, later_first), (theirs, _) in zip(reversed(one), reversed(other), strict=True):
        first = mine > theirs if later_first else mine < theirs
        before = first if before is None else or_(first, and_(mine == theirs, before))
    return before


def _history() -> Select[Any]:
    """Posts out, in flight or maybe out (at their last update) of some targets since a time;
    built once, as the planner asks on every pass."""
    when = func.coalesce(deliveries.c.published_at, deliveries.c.updated_at)
    return (select(deliveries.c.target, when)
            .where(deliveries.c.target.in_(bindparam("targets", expanding=True)),
                   deliveries.c.state.in_([S.PUBLISHED.value, S.SENDING.value,
                                           S.NEEDS_REVIEW.value]),
                   when >= bindparam("since", type_=UTCDateTime()))
            .order_by(when))


_HISTORY = _history()


class QueueStore:
    """Articles and deliveries in SQL; every method is one short transaction."""

    def __init__(self, *, engine: Engine, durable_claims: bool = True) -> None:
        self.engine = engine
        self.durable_claims = durable_claims
        self.sends = SendPath(engine=engine, durable_claims=durable_claims,
                              claim=claim_statement, part=_PART, published=_PUBLISHED,
                              release=_RELEASE, mine=_MINE)

    def close(self) -> None:
        """Release the connections held for the send path."""
        self.sends.close()

    # -- articles -------------------------------------------------------------------------
    def add_article(
        self,
        draft: ArticleDraft,
        *,
        canonical_url: str,
        deliveries_: Sequence[NewDelivery],
        now: datetime,
        content_hash: str | None = None,
        staff: StaffNote | None = None,
    ) -> tuple[int, bool]:
        """Store a story and its deliveries; returns ``(id, created)``.

        The same canonical URL again returns the existing story's id and ``created=False`` (the
        unique canonical URL refuses the insert; callers look it up first to skip composing).
        ``staff``: who queued it, noted in the story's staff actions in the same commit (not
        for a story that was there already).
        """
        try:
            with self.engine.begin() as conn:
                key = conn.execute(
                    insert(articles).values(
                        url=draft.url,
                        canonical_url=canonical_url,
                        title=draft.title,
                        text=draft.text,
                        image_url=draft.image_url,
                        image_alt=draft.image_alt,
                        language=draft.language,
                        priority=draft.priority.value,
                        source=draft.source,
                        tags=list(draft.tags),
                        content_hash=content_hash,
                        not_before=draft.not_before,
                        published_at=draft.published_at,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key
                assert key is not None
                article_id = key[0]
                if deliveries_:
                    conn.execute(
                        insert(deliveries),
                        [_new_delivery_row(article_id, d, now) for d in deliveries_],
                    )
                if staff is not None:
                    ids = [int(r[0]) for r in conn.execute(
                        select(deliveries.c.id).where(deliveries.c.article_id == article_id)
                        .order_by(deliveries.c.id))]
                    write_note(conn, int(article_id), ids, staff, now)
                _bump_revision(conn, now)
        except IntegrityError:
            existing = self.find_by_canonical(canonical_url)
            if existing is None:
                raise
            return existing, False
        return int(article_id), True

    def find_by_canonical(self, canonical_url: str) -> int | None:
        """The id of the story with this canonical URL, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(articles.c.id).where(articles.c.canonical_url == canonical_url)
            ).first()
        return None if row is None else int(row[0])

    def get_article(self, article_id: int) -> tuple[Article, list[Delivery]]:
        """A story with its deliveries and their attempt history."""
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(articles.c.id == article_id)).mappings().first()
            if row is None:
                raise NotFoundError(f"no story with id {article_id}")
            rows = conn.execute(
                select(deliveries).where(deliveries.c.article_id == article_id)
                .order_by(deliveries.c.id)
            ).mappings().all()
            found = [delivery_from_row(r) for r in rows]
            hist = conn.execute(
                select(attempts, deliveries.c.id.label("did"))
                .join(deliveries, deliveries.c.id == attempts.c.delivery_id)
                .where(deliveries.c.article_id == article_id)
                .order_by(attempts.c.id)
            ).mappings().all()
        by_id = {d.id: d for d in found}
        for h in hist:
            by_id[h["did"]].history.append(attempt_from_row(h))
        return article_from_row(row), found

    def list_articles(
        self, *, state: DeliveryState | None = None, limit: int = 200
    ) -> list[tuple[Article, list[Delivery]]]:
        """Newest stories first, each with its deliveries; ``state`` keeps stories with a
        delivery in that state."""
        with self.engine.connect() as conn:
            query = select(articles).order_by(articles.c.id.desc()).limit(limit)
            if state is not None:
                query = query.where(
                    articles.c.id.in_(
                        select(deliveries.c.article_id).where(deliveries.c.state == state.value)
                    )
                )
            arts = [article_from_row(r) for r in conn.execute(query).mappings()]
            ids = [a.id for a in arts]
            rows = conn.execute(
                select(deliveries).where(deliveries.c.article_id.in_(ids)).order_by(deliveries.c.id)
            ).mappings().all() if ids else []
        grouped: dict[int, list[Delivery]] = {i: [] for i in ids}
        for r in rows:
            grouped[r["article_id"]].append(delivery_from_row(r))
        return [(a, grouped[a.id]) for a in arts]

    def set_state(
        self,
        article_id: int,
        *,
        from_states: Iterable[DeliveryState],
        to: DeliveryState,
        now: datetime,
        reason: str | None = None,
        targets: Sequence[str] | None = None,
        staff: StaffNote | None = None,
    ) -> int:
        """Move a story's deliveries between states (cancel, retry); returns how many moved.
        ``staff``: noted for the deliveries moved, in the same commit (nothing when none
        moved)."""
        self.get_article(article_id)  # raises NotFoundError
        values: dict[str, object] = {"state": to.value, "updated_at": now}
        if to is S.PENDING:
            values.update(planned_at=None, retry_at=None, attempts=0, retries=0, attempt_id=None,
                          error_kind=None, requeued_at=now)
        if reason is not None:
            values["last_error"] = reason
        cond = and_(
            deliveries.c.article_id == article_id,
            deliveries.c.state.in_([s.value for s in from_states]),
        )
        if targets is not None:
            cond = and_(cond, deliveries.c.target.in_(list(targets)))
        with self.engine.begin() as conn:
            moved = [int(r[0]) for r in conn.execute(
                update(deliveries).where(cond).values(**values).returning(deliveries.c.id))]
            _bump_revision(conn, now)
            if moved and staff is not None:
                write_note(conn, article_id, sorted(moved), staff, now)
        return len(moved)

    def rerender(self, delivery_id: int, post: Post, now: datetime) -> None:
        """Replace the rendered text of a delivery that is not in flight or out (retry after a
        config change); a delivery being sent or published keeps the text that went out."""
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries).where(
                    deliveries.c.id == delivery_id,
                    deliveries.c.state.not_in([S.SENDING.value, S.PUBLISHED.value]),
                ).values(
                    parts=list(post.parts), image_url=post.image_url, parse_mode=post.parse_mode,
                    sent_ids=[], plain_text=False, updated_at=now,
                )
            )

    # -- planning -------------------------------------------------------------------------
    def pending_for_planning(self) -> list[tuple[Pending, Rank]]:
        """Every pending delivery with its story's rank (a full listing; the planner reads
        less)."""
        return self._planning_rows(deliveries.c.state == S.PENDING.value)

    def planned(self, targets: Collection[str]) -> list[tuple[Pending, Rank]]:
        """Pending deliveries of ``targets`` that have a planned time (the planning horizon)."""
        if not targets:
            return []
        return self._planning_rows(and_(
            deliveries.c.state == S.PENDING.value, deliveries.c.planned_at >= _EPOCH,
            deliveries.c.target.in_(list(targets))))

    def pending_of(self, article_ids: Collection[int], targets: Collection[str]
                   ) -> list[tuple[Pending, Rank]]:
        """Pending deliveries of these stories on ``targets`` (a story just queued or requeued)."""
        if not article_ids or not targets:
            return []
        return self._planning_rows(and_(
            deliveries.c.state == S.PENDING.value,
            deliveries.c.article_id.in_(list(article_ids)),
            deliveries.c.target.in_(list(targets))))

    def waiting(self, target: str, now: datetime, limit: int) -> list[tuple[Pending, Rank]]:
        """Up to ``limit`` pending deliveries of ``target`` without a planned time, best first:
        those that may go now (breaking, high, normal priority, then the newest story: the order
        the planner gives places in), then those held by ``not_before``, soonest first.

        The line is ranked on its keys alone (a narrow sort) and only the chosen rows are read
        whole: ranking full rows would carry every story's text through the sort."""
        best = (
            select(deliveries.c.id)
            .join(articles, articles.c.id == deliveries.c.article_id)
            .where(deliveries.c.state == S.PENDING.value, deliveries.c.target == target,
                   deliveries.c.planned_at.is_(None))
            .order_by(*_order(now))
            .limit(limit)
        )
        with self.engine.connect() as conn:
            ids = list(conn.execute(best).scalars())
        if not ids:
            return []
        place = {did: i for i, did in enumerate(ids)}
        return sorted(self._planning_rows(deliveries.c.id.in_(ids)), key=lambda r: place[r[0].id])

    def waiting_of(self, targets: Collection[str], now: datetime, limit: int
                   ) -> list[tuple[Pending, Rank]]:
        """``waiting`` of each of ``targets`` in one query: up to ``limit`` per target, each
        target's best first (targets in name order); ranked on the keys alone as well."""
        names = sorted(set(targets))
        if len(names) <= 1:
            return [row for name in names for row in self.waiting(name, now, limit)]
        place = func.row_number().over(partition_by=deliveries.c.target,
                                       order_by=_order(now)).label("place")
        ranked = (select(deliveries.c.id, place)
                  .join(articles, articles.c.id == deliveries.c.article_id)
                  .where(deliveries.c.state == S.PENDING.value,
                         deliveries.c.target.in_(names), deliveries.c.planned_at.is_(None))
                  .subquery())
        return self._planning_rows(
            deliveries.c.id.in_(select(ranked.c.id).where(ranked.c.place <= limit)),
            order=[deliveries.c.target, *_order(now)])

    def place_in_line(self, delivery_id: int, now: datetime) -> tuple[int, int] | None:
        """Where a pending delivery without a planned time stands on its target: its place
        among the waiting ones (1: the next to get a time), in the order the planner pulls
        them in (``waiting``), and how many of the target's pending deliveries hold a planned
        time; ``None`` when it is not waiting. One counting query, nothing listed."""
        me, mine = deliveries.alias("me"), articles.alias("mine")
        ahead = _ahead(_line(deliveries, articles, now), _line(me, mine, now))
        timed = deliveries.c.planned_at >= _EPOCH
        query = (
            select(func.count(case((timed, 1))),
                   func.count(case((and_(deliveries.c.planned_at.is_(None), ahead), 1))),
                   func.count(case((deliveries.c.id == me.c.id, 1))))
            .select_from(deliveries.join(articles, articles.c.id == deliveries.c.article_id))
            .join(me, and_(me.c.target == deliveries.c.target, me.c.id == delivery_id))
            .join(mine, mine.c.id == me.c.article_id)
            .where(deliveries.c.state == S.PENDING.value, me.c.state == S.PENDING.value,
                   me.c.planned_at.is_(None)))
        with self.engine.connect() as conn:
            planned, before, found = conn.execute(query).one()
        return (int(before) + 1, int(planned)) if found else None

    def waiting_by(self, target: str, until: datetime) -> bool:
        """Whether a pending delivery of ``target`` without a planned time may go by ``until``
        (its story's ``not_before`` and its retry time, if any, are not later)."""
        query = (select(deliveries.c.id)
                 .join(articles, articles.c.id == deliveries.c.article_id)
                 .where(deliveries.c.state == S.PENDING.value, deliveries.c.target == target,
                        deliveries.c.planned_at.is_(None),
                        or_(articles.c.not_before.is_(None), articles.c.not_before <= until),
                        or_(deliveries.c.retry_at.is_(None), deliveries.c.retry_at <= until))
                 .limit(1))
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def _planning_rows(self, where: Any, *, order: Sequence[Any] = (), limit: int | None = None
                       ) -> list[tuple[Pending, Rank]]:
        """Pending deliveries with their stories' ranks, in one query; a story's ``Rank`` read
        once however many of its deliveries come (a story queued to many targets)."""
        query = (select(*_PENDING, *_RANK)
                 .join(articles, articles.c.id == deliveries.c.article_id).where(where))
        if order:
            query = query.order_by(*order)
        if limit is not None:
            query = query.limit(limit)
        split = len(_PENDING)
        ranks: dict[int, Rank] = {}
        out: list[tuple[Pending, Rank]] = []
        with self.engine.connect() as conn:
            for r in conn.execute(query):
                rank = ranks.get(r[split])
                if rank is None:
                    story = r[split:]
                    rank = ranks[r[split]] = Rank(story[0], Priority(story[1]), *story[2:])
                out.append((Pending(*r[:split]), rank))
        return out

    def pending_targets(self) -> set[str]:
        """The targets that have pending deliveries."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(deliveries.c.target).distinct()
                                .where(deliveries.c.state == S.PENDING.value)).all()
        return {r[0] for r in rows}

    def set_plans(self, plans: Sequence[tuple[int, datetime | None, str]], *,
                  seen: Mapping[int, datetime] | None = None) -> int:
        """Write planned times (and their reasons) of pending deliveries; returns how many.

        With ``seen`` (delivery id → its ``updated_at`` when the plan was computed) a delivery
        that changed since keeps its newer state and times: the stale plan is dropped.
        """
        if not plans:
            return 0
        with self.engine.begin() as conn:
            if seen is None:
                rows = [{"did": d, "at": at, "why": why} for d, at, why in plans]
                return int(conn.execute(_SET_PLAN, rows).rowcount)
            rows = [{"did": d, "at": at, "why": why, "seen": seen[d]} for d, at, why in plans]
            return int(conn.execute(_SET_PLAN_SEEN, rows).rowcount)

    def unplan(self, targets: Collection[str], reason: str, *, exclude: bool = False) -> int:
        """Take the planned time off every pending delivery of ``targets`` (every target but
        them with ``exclude``) with ``reason``; rows that already say so are left alone."""
        target = (deliveries.c.target.not_in(list(targets)) if exclude
                  else deliveries.c.target.in_(list(targets)))
        if not targets and not exclude:
            return 0
        with self.engine.begin() as conn:
            n = conn.execute(
                update(deliveries).where(
                    deliveries.c.state == S.PENDING.value, target,
                    or_(deliveries.c.planned_at.is_not(None), deliveries.c.plan_reason.is_(None),
                        deliveries.c.plan_reason != reason))
                .values(planned_at=None, plan_reason=reason)).rowcount
        return int(n)

    def expire(self, delivery_id: int, reason: str, now: datetime, *,
               seen: datetime | None = None) -> bool:
        """Mark a pending delivery ``expired`` with the reason (only if it is unchanged since
        ``seen``, its ``updated_at`` when the decision was made)."""
        cond = [deliveries.c.id == delivery_id, deliveries.c.state == S.PENDING.value]
        if seen is not None:
            cond.append(deliveries.c.updated_at == seen)
        with self.engine.begin() as conn:
            n = conn.execute(
                update(deliveries).where(*cond)
                .values(state=S.EXPIRED.value, last_error=reason, error_kind="expired",
                        planned_at=None, updated_at=now)
            ).rowcount
        return bool(n)

    def expire_waiting(self, target: str, story_before: datetime, reason: str,
                       now: datetime) -> int:
        """Expire the unplanned pending deliveries of ``target`` whose story is older than
        ``story_before`` (``max_age`` passed while they waited for a place)."""
        return self.expire_waiting_of([target], story_before, reason, now).get(target, 0)

    def expire_waiting_of(self, targets: Collection[str], story_before: datetime, reason: str,
                          now: datetime) -> dict[str, int]:
        """``expire_waiting`` on each of ``targets`` (the same ``max_age``) in one statement;
        how many expired per target (targets with none left out)."""
        if not targets:
            return {}
        stale = select(deliveries.c.id).join(
            articles, articles.c.id == deliveries.c.article_id).where(
            deliveries.c.state == S.PENDING.value, deliveries.c.target.in_(list(targets)),
            deliveries.c.planned_at.is_(None), story_before > _STORY_TIME)
        with self.engine.begin() as conn:
            rows = conn.execute(
                update(deliveries).where(deliveries.c.id.in_(stale.scalar_subquery()),
                                         deliveries.c.state == S.PENDING.value)
                .values(state=S.EXPIRED.value, last_error=reason, error_kind="expired",
                        planned_at=None, updated_at=now)
                .returning(deliveries.c.target)).all()
        counts: dict[str, int] = {}
        for (target,) in rows:
            counts[target] = counts.get(target, 0) + 1
        return counts

    def due(self, now: datetime, *, exclude_targets: Sequence[str] = (), limit: int = 500,
            target: str | None = None) -> list[Delivery]:
        """Pending deliveries whose planned time has come (of ``target`` only, if given):
        breaking news first, then by plan."""
        query = (
            with_url()
            .where(deliveries.c.state == S.PENDING.value, deliveries.c.planned_at <= now)
            .order_by(_URGENCY, deliveries.c.planned_at, deliveries.c.id)
            .limit(limit)
        )
        if target is not None:
            query = query.where(deliveries.c.target == target)
        if exclude_targets:
            query = query.where(deliveries.c.target.not_in(list(exclude_targets)))
        with self.engine.connect() as conn:
            return [delivery_from_row(r) for r in conn.execute(query).mappings()]

    def next_planned_at(self, *, exclude_targets: Sequence[str] = ()) -> datetime | None:
        """The earliest planned time among pending deliveries."""
        query = select(func.min(deliveries.c.planned_at)).where(
            deliveries.c.state == S.PENDING.value
        )
        if exclude_targets:
            query = query.where(deliveries.c.target.not_in(list(exclude_targets)))
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return UTCDateTime().process_result_value(value, self.engine.dialect)

    def published_times(self, target: str, since: datetime) -> list[datetime]:
        """When posts went out on ``target`` since ``since`` (for quotas and min_interval).

        A post in flight, or waiting for review because it may have gone out, counts too (at
        its last update), so an uncertain post never lets the next one come too soon.
        """
        return self.published_times_of([target], since).get(target, [])

    def published_times_of(self, targets: Collection[str], since: datetime, *,
                           last: int | None = None) -> dict[str, list[datetime]]:
        """``published_times`` of each of ``targets`` in one query (targets with none left
        out), each target's times in order; with ``last``, only each target's ``last`` newest
        (all a schedule's quotas and pacing can look at)."""
        if not targets:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(_HISTORY, {"targets": list(targets), "since": since}).all()
        conv = UTCDateTime().process_result_value
        out: dict[str, list[datetime]] = {}
        for target, raw in rows:
            at = conv(raw, self.engine.dialect)
            if at is not None:
                out.setdefault(target, []).append(at)
        if last is not None:
            keep = max(1, last)
            out = {target: times[-keep:] for target, times in out.items()}
        return out

    def published_counts_since(self, since: datetime) -> dict[str, int]:
        """Posts per target since ``since``."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.target, func.count())
                .where(deliveries.c.state == S.PUBLISHED.value, deliveries.c.published_at >= since)
                .group_by(deliveries.c.target)
            ).all()
        return {r[0]: int(r[1]) for r in rows}

    # -- the exactly-once path --------------------------------------------------------------
    def claim(self, delivery_id: int, attempt_id: str, now: datetime, *,
              worker: str | None = None) -> bool:
        """``pending`` → ``sending`` with a fresh attempt id, committed before any API call;
        with ``worker`` (PostgreSQL, several workers) only while it holds the target's lease."""
        params = {"did": delivery_id, "aid": attempt_id, "now": now}
        if worker is not None:
            return self.sends.claim(params | {"worker": worker}, leased=True)
        return self.sends.claim(params, leased=False)

    def release(self, delivery_id: int, attempt_id: str, now: datetime) -> bool:
        """Undo a claim whose platform call was never started (``sending`` → ``pending``,
        planned as before): whether the claim was there to undo."""
        return self.sends.release({"did": delivery_id, "aid": attempt_id, "now": now})

    def record_part(self, delivery_id: int, attempt_id: str, sent_ids: Sequence[str],
                    now: datetime) -> None:
        """Remember the ids of the parts sent so far (a thread resumes after them)."""
        self.sends.record_part({"did": delivery_id, "aid": attempt_id, "ids": list(sent_ids),
                                "now": now})

    def finish(
        self,
        delivery_id: int,
        attempt_id: str,
        *,
        state: DeliveryState,
        now: datetime,
        outcome: str,
        started_at: datetime | None = None,
        receipt: PublishReceipt | None = None,
        error: str | None = None,
        error_kind: str | None = None,
        planned_at: datetime | None = None,
        plain_text: bool | None = None,
        image_error: str | None = None,
    ) -> bool:
        """End an attempt: the delivery's new state and the attempt's record, in one commit.

        Only the attempt that claimed the delivery (same attempt id, still ``sending``) can
        finish it, so a late or duplicate finish changes nothing.
        """
        key = {"did": delivery_id, "aid": attempt_id, "now": now}
        attempt = _attempt(delivery_id, attempt_id, started_at or now, now, outcome,
                           error_kind, error)
        if receipt is not None:
            done = Published(delivery_id, attempt_id, receipt, now, started_at or now,
                             image_error, outcome)
            return self.sends.finish(done.values(), {}, key, attempt)
        values: dict[str, object] = {"state": state.value, "updated_at": now}
        if error is not None:
            values.update(last_error=error, error_kind=error_kind)
        if image_error is not None:
            values["image_error"] = image_error
        if state is S.PENDING:
            values.update(planned_at=planned_at, retry_at=planned_at)
        if plain_text is not None:
            values["plain_text"] = plain_text
        if error_kind == "transient":  # only these count towards retry.max_attempts
            values["retries"] = None  # the statement adds one
        return self.sends.finish(None, values, key, attempt)

    def published_then_claim(self, done: Published, delivery_id: int, attempt_id: str,
                             now: datetime, *, worker: str | None = None) -> tuple[bool, bool]:
        """``finish`` for a publish (``done``) and ``claim`` for the next delivery, in one
        commit as durable as a claim: a lane's posts cost one commit each. Returns whether
        the publish was recorded and whether the claim took."""
        claim = {"did": delivery_id, "aid": attempt_id, "now": now}
        if worker is not None:
            claim["worker"] = worker
        attempt = _attempt(done.delivery_id, done.attempt_id, done.started_at, done.at,
                           done.outcome, None, None)
        return self.sends.published_then_claim(done.values(), attempt, claim,
                                               leased=worker is not None)

    def in_flight(self) -> list[Delivery]:
        """Deliveries left ``sending`` (the process died mid-send): outcome unknown."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                with_url().where(deliveries.c.state == S.SENDING.value)
            ).mappings().all()
        return [delivery_from_row(r) for r in rows]

    def get_delivery(self, delivery_id: int) -> Delivery:
        """One delivery by id."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(deliveries).where(deliveries.c.id == delivery_id)
            ).mappings().first()
        if row is None:
            raise NotFoundError(f"no delivery with id {delivery_id}")
        return delivery_from_row(row)

    # -- reporting ------------------------------------------------------------------------
    def counts(self) -> dict[tuple[str, str], int]:
        """Deliveries per (target, state)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.target, deliveries.c.state, func.count())
                .group_by(deliveries.c.target, deliveries.c.state)
            ).all()
        return {(r[0], r[1]): int(r[2]) for r in rows}

    def expired_since(self, since: datetime) -> dict[str, int]:
        """Deliveries per target that expired at or after ``since`` (expiry is their last change)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.target, func.count())
                .where(deliveries.c.state == S.EXPIRED.value, deliveries.c.updated_at >= since)
                .group_by(deliveries.c.target)
            ).all()
        return {r[0]: int(r[1]) for r in rows}

    def last_published(self) -> dict[str, datetime]:
        """The last publish time per target."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries.c.target, func.max(deliveries.c.published_at))
                .where(deliveries.c.state == S.PUBLISHED.value)
                .group_by(deliveries.c.target)
            ).all()
        conv = UTCDateTime().process_result_value
        out: dict[str, datetime] = {}
        for r in rows:
            when = conv(r[1], self.engine.dialect)
            if when is not None:
                out[r[0]] = when
        return out

    def revision(self) -> int:
        """A counter bumped by every queue change made outside the daemon's send path."""
        with self.engine.connect() as conn:
            return read_revision(conn)

    def attention(self, limit: int = 20) -> list[Delivery]:
        """Deliveries staff must look at: failed or needing review, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(deliveries)
                .where(or_(deliveries.c.state == S.NEEDS_REVIEW.value,
                           deliveries.c.state == S.FAILED.value))
                .order_by(deliveries.c.updated_at.desc()).limit(limit)
            ).mappings().all()
        return [delivery_from_row(r) for r in rows]


def _attempt(delivery_id: int, attempt_id: str, started_at: datetime, now: datetime,
             outcome: str, error_kind: str | None, error: str | None) -> dict[str, object]:
    return {"delivery_id": delivery_id, "attempt_id": attempt_id, "started_at": started_at,
            "finished_at": now, "outcome": outcome, "error_kind": error_kind, "error": error}


def _new_delivery_row(article_id: int, d: NewDelivery, now: datetime) -> dict[str, object]:
    return {
        "article_id": article_id,
        "target": d.target,
        "platform": d.platform.value,
        "state": S.PENDING.value if d.waits_for is None else S.AWAITING_APPROVAL.value,
        "approval_wait": d.waits_for,
        "approval_since": now if d.waits_for is not None else None,
        "parts": list(d.post.parts),
        "image_url": d.post.image_url,
        "parse_mode": d.post.parse_mode,
        "attempts": 0,
        "retries": 0,
        "sent_ids": [],
        "plain_text": False,
        "created_at": now,
        "updated_at": now,
    }


def _bump_revision(conn: Connection, now: datetime) -> None:
    """Tell a running daemon that the queue changed: a notification on PostgreSQL, a counter
    it watches on SQLite (and every process re-plans when the counter moves)."""
    notify(conn)
    bump_revision(conn)
