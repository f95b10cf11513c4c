"""The exactly-once path in SQL: claim, record parts, finish, find interrupted sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.engine import Engine

from bot.domain.errors import NotFoundError
from bot.domain.models import Delivery, DeliveryState, PublishReceipt
from bot.store.rows import delivery_from_row
from bot.store.tables import articles, attempts, deliveries

S = DeliveryState


def with_url() -> Select[Any]:
    """Deliveries joined with their story's URL."""
    return select(deliveries, articles.c.url.label("article_url")).join(
        articles, articles.c.id == deliveries.c.article_id
    )


class SendLog:
    """Delivery state changes around each publish attempt."""

    engine: Engine

    # -- the exactly-once path --------------------------------------------------------------
    def claim(self, delivery_id: int, attempt_id: str, now: datetime) -> bool:
        """``pending`` → ``sending`` with a fresh attempt id, committed before any API call."""
        with self.engine.begin() as conn:
            n = conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.state == S.PENDING.value)
                .values(state=S.SENDING.value, attempt_id=attempt_id,
                        attempts=deliveries.c.attempts + 1, updated_at=now)
            ).rowcount
            if n:
                conn.execute(insert(attempts).values(
                    delivery_id=delivery_id, attempt_id=attempt_id, started_at=now,
                    outcome="sending",
                ))
        return bool(n)

    def record_part(self, delivery_id: int, attempt_id: str, sent_ids: Sequence[str],
                    now: datetime) -> None:
        """Remember the ids of the parts sent so far (a thread resumes after them)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.attempt_id == attempt_id)
                .values(sent_ids=list(sent_ids), updated_at=now)
            )

    def finish(
        self,
        delivery_id: int,
        attempt_id: str,
        *,
        state: DeliveryState,
        now: datetime,
        outcome: str,
        receipt: PublishReceipt | None = None,
        error: str | None = None,
        error_kind: str | None = None,
        planned_at: datetime | None = None,
        plain_text: bool | None = None,
    ) -> bool:
        """End an attempt: the delivery's new state and the attempt's outcome, in one commit."""
        values: dict[str, object] = {"state": state.value, "updated_at": now}
        if receipt is not None:
            values.update(
                platform_post_id=receipt.post_ids[0] if receipt.post_ids else None,
                sent_ids=list(receipt.post_ids),
                permalink=receipt.permalink,
                published_at=now,
                last_error=None,
                error_kind=None,
            )
        if error is not None:
            values.update(last_error=error, error_kind=error_kind)
        if state is S.PENDING:
            values["planned_at"] = planned_at
            values["retry_at"] = planned_at
        if plain_text is not None:
            values["plain_text"] = plain_text
        with self.engine.begin() as conn:
            n = conn.execute(
                update(deliveries)
                .where(deliveries.c.id == delivery_id, deliveries.c.attempt_id == attempt_id,
                       deliveries.c.state == S.SENDING.value)
                .values(**values)
            ).rowcount
            conn.execute(
                update(attempts)
                .where(attempts.c.delivery_id == delivery_id, attempts.c.attempt_id == attempt_id)
                .values(finished_at=now, outcome=outcome, error_kind=error_kind, error=error)
            )
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

