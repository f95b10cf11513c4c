"""Parsing schedule text and checking the config model: clear messages for every mistake."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.config.schedule import ScheduleConfig
from bot.domain.errors import ConfigError
from bot.domain.schedule import parse_duration
from bot.domain.schedule.parse import format_duration, parse_range, parse_slots, parse_weekdays

from .helpers import rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("0s", timedelta(0)),
        ("10m", timedelta(minutes=10)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        (" 1h 5s ", timedelta(hours=1, seconds=5)),
    ],
)
def test_parse_duration_accepts_compact_forms(text: str, expected: timedelta) -> None:
    """Durations read as number+unit pieces, largest unit first or not."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "10", "-5m", "5 minutes", "1h1h", "m", "1.5h"])
def test_parse_duration_refuses_bad_text(text: str) -> None:
    """Unitless, negative, repeated or foreign text is refused, quoting the text."""
    with pytest.raises(ValueError, match=r"duration|repeats"):
        parse_duration(text)


def test_unitless_duration_hints_at_units() -> None:
    """A bare number gets a hint to add a unit."""
    with pytest.raises(ValueError, match="add a unit"):
        parse_duration("10")


def test_format_duration_round_trips() -> None:
    """Reasons print durations in the same compact form config uses."""
    for text in ("0s", "90s", "10m", "1h30m", "2d", "1d2h3m4s"):
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)
    assert format_duration(timedelta(minutes=90)) == "1h30m"


def test_range_crossing_midnight_splits_in_two() -> None:
    """A window like 22:00-02:00 covers the end of one day and the start of the next."""
    assert parse_range("22:00-02:00") == ((22 * 3600, 86400), (0, 2 * 3600))
    assert parse_range("00:00-24:00") == ((0, 86400),)
    assert parse_range("22:00-00:00") == ((22 * 3600, 86400),)


def test_empty_range_is_refused() -> None:
    """A range that starts where it ends is ambiguous and refused."""
    with pytest.raises(ValueError, match="00:00-24:00"):
        parse_range("07:00-07:00")


def test_weekday_groups() -> None:
    """Weekday groups take ranges (also wrapping), lists, long names and aliases."""
    assert parse_weekdays("mon-fri") == (0, 1, 2, 3, 4)
    assert parse_weekdays("sat,sun") == (5, 6)
    assert parse_weekdays("fri-mon") == (0, 4, 5, 6)
    assert parse_weekdays("Saturday") == (5,)
    assert parse_weekdays("daily") == tuple(range(7))
    with pytest.raises(ValueError, match="not a day name"):
        parse_weekdays("mon-fry")


def test_slots_per_weekday_group() -> None:
    """Slot tables give each weekday its own sorted times."""
    week = parse_slots({"mon-fri": ["18:00", "08:00"], "sat,sun": ["10:00"]})
    assert week[0] == (8 * 3600, 18 * 3600)
    assert week[6] == (10 * 3600,)


def test_window_error_names_the_index() -> None:
    """A bad window is reported with its index and text, as the issue asks."""
    with pytest.raises(ValidationError) as info:
        ScheduleConfig(windows=["07:00-23:00", "25:00-26:00"])
    assert 'windows[1]: "25:00-26:00" is not HH:MM-HH:MM' in str(info.value)


def test_slot_error_names_group_and_index() -> None:
    """A bad slot time names its weekday group and position."""
    with pytest.raises(ValidationError, match=r'slots\."mon-fri"\[1\]: "8:0" is not HH:MM'):
        ScheduleConfig(slots={"mon-fri": ["08:00", "8:0"]})


def test_day_in_two_slot_groups_is_refused() -> None:
    """Two slot groups may not both claim a weekday."""
    with pytest.raises(ValidationError, match='fri is in both "mon-fri" and "fri,sat"'):
        ScheduleConfig(slots={"mon-fri": ["08:00"], "fri,sat": ["09:00"]})


def test_duplicate_slot_is_refused() -> None:
    """The same slot twice is a typo: each slot carries one post."""
    with pytest.raises(ValidationError, match="listed twice"):
        ScheduleConfig(slots=["08:00", "08:00"])


def test_numeric_day_of_week_is_refused_with_the_monday_trap() -> None:
    """Numeric cron weekdays are refused with a message explaining Monday=0."""
    with pytest.raises(ValidationError) as info:
        ScheduleConfig(cron="0 9 * * 1-5")
    message = str(info.value)
    assert "Monday as 0" in message and "mon-fri" in message


@pytest.mark.parametrize("cron", ["0 9 * * 0", "0 9 * * mon,3", "0 9 * * */2x"])
def test_other_bad_day_of_week_is_refused(cron: str) -> None:
    """Any digit or unknown token in day_of_week is refused."""
    with pytest.raises(ValidationError, match="day_of_week"):
        ScheduleConfig(cron=cron)


def test_cron_with_day_names_is_accepted() -> None:
    """Crontab with day names (and steps) passes."""
    assert ScheduleConfig(cron="0 9-18/3 * * mon-fri").cron == "0 9-18/3 * * mon-fri"
    assert ScheduleConfig(cron="*/30 8-20 * * *").cron


@pytest.mark.parametrize("cron", ["0 9 * *", "0 25 * * mon", "x 9 * * mon"])
def test_broken_cron_is_refused(cron: str) -> None:
    """A cron with the wrong field count or out-of-range values is refused."""
    with pytest.raises(ValidationError, match="cron"):
        ScheduleConfig(cron=cron)


def test_slots_and_cron_together_are_refused() -> None:
    """Slots and cron are both slot sources: a schedule takes one."""
    with pytest.raises(ValidationError, match="slots and cron are both set"):
        ScheduleConfig(slots=["08:00"], cron="0 9 * * mon")


def test_unknown_keys_and_bad_values_are_refused() -> None:
    """Typos in keys, zero quotas, unknown zones and zero max_age are refused."""
    for keys in (
        {"max_per_dya": 3},
        {"max_per_day": 0},
        {"timezone": "Europe/Kiev2"},
        {"max_age": "0s"},
        {"quiet_hours": ["23:00-7"]},
    ):
        with pytest.raises(ValidationError):
            ScheduleConfig(**keys)


def test_single_string_window_is_a_list_of_one() -> None:
    """``windows = "07:00-23:00"`` is read as a list of one window."""
    assert ScheduleConfig(windows="07:00-23:00").windows == ["07:00-23:00"]  # type: ignore[arg-type]


def test_to_rules_uses_the_default_zone() -> None:
    """Without ``timezone`` the global zone applies; with it, the schedule's own."""
    assert rules("America/New_York").timezone == "America/New_York"
    assert rules("UTC", timezone="Europe/Kyiv").timezone == "Europe/Kyiv"


def test_to_rules_refuses_a_bad_default_zone() -> None:
    """A bad global zone surfaces as a ConfigError naming the key."""
    with pytest.raises(ConfigError, match="timezone"):
        ScheduleConfig().to_rules("Mars/Olympus")


def test_rules_parse_every_key() -> None:
    """The parsed rules carry every key in typed form."""
    r = rules(
        min_interval="10m", windows=["07:00-23:00"], quiet_hours=["23:30-06:00"],
        max_per_hour=4, max_per_day=17, max_age="12h", cron="0 9-18/3 * * mon-fri",
        breaking_ignores_quiet_hours=True,
    )
    assert r.min_interval == timedelta(minutes=10)
    assert r.max_age == timedelta(hours=12)
    assert r.has_slots and r.max_per_hour == 4 and r.breaking_ignores_quiet_hours


def test_rules_built_without_the_config_model_name_the_key() -> None:
    """The pure builder reports mistakes with the key first, for callers outside settings."""
    from bot.domain.schedule import ScheduleRules

    for keys, prefix in (
        ({"cron": "0 9 * * 1"}, "cron: "),
        ({"min_interval": "soon"}, "min_interval: "),
        ({"timezone": "Nowhere/City"}, "timezone: "),
        ({"windows": ["7-23"]}, "windows[0]: "),
        ({"slots": ["08:00"], "cron": "0 9 * * mon"}, "slots and cron"),
    ):
        with pytest.raises(ValueError) as info:
            ScheduleRules.build(**{"timezone": "UTC", **keys})  # type: ignore[arg-type]
        assert str(info.value).startswith(prefix)
