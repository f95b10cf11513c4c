"""``[schedules.NAME]``: one schedule as written in config, checked key by key.

Every key is optional; an empty table posts as soon as a story is queued. The semantics of the
keys and of their combinations live in ``bot.domain.schedule`` and the modules it names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.errors import ConfigError
from bot.domain.schedule import schedule_error
from bot.domain.schedule.parse import check_cron, parse_duration, parse_ranges, parse_slots
from bot.domain.schedule.rules import ScheduleRules, load_zone


def _as_list(value: Any) -> Any:
    """A single string where a list is expected is taken as a list of one."""
    return [value] if isinstance(value, str) else value


class ScheduleConfig(BaseModel):
    """One ``[schedules.NAME]`` table; ``to_rules`` turns it into the pure planning form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str | None = Field(default=None, description="IANA zone; default: the global one")
    min_interval: str | None = Field(default=None, description='e.g. "10m", "90s", "1h30m"')
    windows: list[str] | None = Field(default=None, description='e.g. ["07:00-23:00"]')
    slots: list[str] | dict[str, list[str]] | None = Field(
        default=None, description='["08:00", "12:30"] or {"mon-fri" = [...], "sat,sun" = [...]}'
    )
    max_per_hour: int | None = Field(default=None, ge=1)
    max_per_day: int | None = Field(default=None, ge=1)
    quiet_hours: list[str] | None = Field(default=None, description='e.g. ["23:00-07:00"]')
    cron: str | None = Field(default=None, description='e.g. "0 9-18/3 * * mon-fri"')
    max_age: str | None = Field(default=None, description='e.g. "12h"')
    breaking_ignores_quiet_hours: bool = False

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None:
            load_zone(value)
        return value

    @field_validator("min_interval")
    @classmethod
    def _interval(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("max_age")
    @classmethod
    def _age(cls, value: str | None) -> str | None:
        if value is not None and not parse_duration(value):
            raise ValueError(f'"{value}" would expire every story; leave max_age out for no limit')
        return value

    @field_validator("windows", "quiet_hours", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return _as_list(value)

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            parse_ranges("windows", value)
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            parse_ranges("quiet_hours", value)
        return value

    @field_validator("slots")
    @classmethod
    def _slots(cls, value: list[str] | dict[str, list[str]] | None) -> Any:
        if value is not None:
            parse_slots(value)
        return value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is not None:
            check_cron(value)
        return value

    @model_validator(mode="after")
    def _combination(self) -> ScheduleConfig:
        if self.slots is not None and self.cron is not None:
            raise ValueError(
                "slots and cron are both set; a schedule takes its posting times from one of "
                "them (use windows to restrict cron times)"
            )
        try:
            rules = self.to_rules(self.timezone or "UTC")
        except ConfigError:
            return self  # reported by the key's own check
        never = schedule_error(rules, now=datetime.now(UTC))
        if never is not None:
            raise ValueError(f"this schedule can never post: {never}")
        return self

    def to_rules(self, default_tz: str) -> ScheduleRules:
        """The pure planning form; ``default_tz`` applies when ``timezone`` is not set."""
        try:
            return ScheduleRules.build(
                timezone=self.timezone or default_tz,
                min_interval=self.min_interval,
                windows=self.windows,
                slots=self.slots,
                max_per_hour=self.max_per_hour,
                max_per_day=self.max_per_day,
                quiet_hours=self.quiet_hours,
                cron=self.cron,
                max_age=self.max_age,
                breaking_ignores_quiet_hours=self.breaking_ignores_quiet_hours,
            )
        except ValueError as exc:
            raise ConfigError(str(exc), key=str(exc).split(":", 1)[0]) from exc
