"""The exactly-once path in SQL: claim, record parts, finish, find interrupted sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.engine import Engine

from bot.domain.errors import NotFoundError
from bot.domain.models import Delivery, DeliveryState, PublishReceipt
from bot.store.rows import delivery_from_row
from bot.store.tables import articles, attempts, deliveries

S = DeliveryState


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
_CLAIM = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("did"), deliveries.c.state == S.PENDING.value,
           deliveries.c.planned_at <= bindparam("now"))
    .values(state=S.SENDING.value, attempt_id=bindparam("aid"),
            attempts=deliveries.c.attempts + 1, updated_at=bindparam("now"))
)
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


class SendLog:
    """Delivery state changes around each publish attempt."""

    engine: Engine
    durable_claims: bool

    # -- the exactly-once path --------------------------------------------------------------
    def claim(self, delivery_id: int, attempt_id: str, now: datetime) -> bool:
        """``pending`` → ``sending`` with a fresh attempt id, committed before any API call."""
        with self.engine.begin() as conn:
            if self.durable_claims and conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=FULL")  # survive a power loss too
            n = conn.execute(_CLAIM, {"did": delivery_id, "aid": attempt_id, "now": now}).rowcount
        return bool(n)

    def record_part(self, delivery_id: int, attempt_id: str, sent_ids: Sequence[str],
                    now: datetime) -> None:
        """Remember the ids of the parts sent so far (a thread resumes after them)."""
        with self.engine.begin() as conn:
            conn.execute(_PART, {"did": delivery_id, "aid": attempt_id,
                                 "ids": list(sent_ids), "now": now})

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
        if receipt is not None:
            stmt = _PUBLISHED
            params: dict[str, object] = key | {
                "pid": receipt.post_ids[0] if receipt.post_ids else None,
                "ids": list(receipt.post_ids), "link": receipt.permalink,
                "image_error": image_error or receipt.image_error,
                "media_id": receipt.media_ids[0] if receipt.media_ids else None}
        else:
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
                values["retries"] = deliveries.c.retries + 1
            stmt = update(deliveries).where(*_MINE).values(**values)
            params = key
        with self.engine.begin() as conn:
            if self.durable_claims and conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")  # losing this one is safe
            elif conn.dialect.name == "postgresql":
                # Only the claim must be durable before the API call. Should the server lose
                # this commit in a crash, the row stays `sending` and is reconciled: never resent.
                conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
            n = conn.execute(stmt, params).rowcount
            if n:
                conn.execute(insert(attempts), {
                    "delivery_id": delivery_id, "attempt_id": attempt_id,
                    "started_at": started_at or now, "finished_at": now, "outcome": outcome,
                    "error_kind": error_kind, "error": error})
        return bool(n)

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

