"""Small builders shared by the schedule tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.schedule import ScheduleConfig
from bot.domain.models import Priority
from bot.domain.schedule import PendingItem, ScheduleRules

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")


def rules(default_tz: str = "Europe/Kyiv", **keys: Any) -> ScheduleRules:
    """Rules built the way settings build them: through the config model."""
    return ScheduleConfig(**keys).to_rules(default_tz)


def never_posting_rules(default_tz: str = "Europe/Kyiv", **keys: Any) -> ScheduleRules:
    """Rules the config model refuses (they can never post), built without that last check so
    the pure planner's and reporter's handling of them stays tested."""
    return ScheduleConfig.model_construct(**keys).to_rules(default_tz)


def utc(*args: int) -> datetime:
    """A UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc, arg-type]


def local(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    """An aware local datetime converted to UTC."""
    return datetime(*args, tzinfo=tz, fold=fold).astimezone(UTC)  # type: ignore[misc, arg-type]


def item(
    delivery_id: int,
    queued_at: datetime,
    priority: Priority = Priority.NORMAL,
    **extra: Any,
) -> PendingItem:
    """A pending delivery."""
    return PendingItem(delivery_id=delivery_id, priority=priority, queued_at=queued_at, **extra)
