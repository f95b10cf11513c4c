"""Row ↔ domain conversions for the store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.domain.approval import Approval, Decision
from bot.domain.models import (
    Article,
    AttemptRecord,
    Delivery,
    DeliveryState,
    Platform,
    Priority,
)


def article_from_row(row: Mapping[Any, Any]) -> Article:
    """An ``Article`` from an ``articles`` row."""
    return Article(
        id=row["id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        title=row["title"],
        text=row["text"],
        image_url=row["image_url"],
        language=row["language"],
        priority=Priority(row["priority"]),
        source=row["source"],
        created_at=row["created_at"],
        published_at=row["published_at"],
        not_before=row["not_before"],
        tags=tuple(row["tags"] or ()),
    )


def delivery_from_row(row: Mapping[Any, Any]) -> Delivery:
    """A ``Delivery`` from a ``deliveries`` row (history not loaded)."""
    return Delivery(
        id=row["id"],
        article_id=row["article_id"],
        target=row["target"],
        platform=Platform(row["platform"]),
        state=DeliveryState(row["state"]),
        planned_at=row["planned_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        parts=tuple(row["parts"] or ()),
        attempts=row["attempts"],
        retries=row["retries"],
        last_error=row["last_error"],
        error_kind=row["error_kind"],
        platform_post_id=row["platform_post_id"],
        permalink=row["permalink"],
        published_at=row["published_at"],
        attempt_id=row["attempt_id"],
        sent_ids=tuple(row["sent_ids"] or ()),
        plain_text=bool(row["plain_text"]),
        image_url=row["image_url"],
        parse_mode=row["parse_mode"],
        plan_reason=row["plan_reason"],
        retry_at=row["retry_at"],
        requeued_at=row["requeued_at"],
        article_url=row.get("article_url"),
        approval=approval_from_row(row),
    )


def approval_from_row(row: Mapping[Any, Any]) -> Approval | None:
    """A delivery's ``Approval`` (``None`` when it never needed one)."""
    if row.get("approval_wait") is None:
        return None
    decision = row["approval_decision"]
    return Approval(
        waits_for=row["approval_wait"],
        since=row["approval_since"],
        decision=Decision(decision) if decision else None,
        by=row["approval_by"],
        via=row["approval_via"],
        at=row["approval_at"],
        note=row["approval_note"],
    )


def attempt_from_row(row: Mapping[Any, Any]) -> AttemptRecord:
    """An ``AttemptRecord`` from an ``attempts`` row."""
    return AttemptRecord(
        attempt_id=row["attempt_id"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        outcome=row["outcome"],
        error_kind=row["error_kind"],
        error=row["error"],
    )
