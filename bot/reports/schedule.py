"""``crosspost config check``: each target's next slots in local time, and warnings."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.config.settings import Settings
from bot.domain.schedule import next_slots, schedule_warnings
from bot.reports.views import local


def schedule_report(settings: Settings, config_file: Path, *,
                    now: datetime | None = None,
                    daily_volume: dict[str, float] | None = None) -> dict[str, Any]:
    """Per target: schedule name, mode, next 10 slots (local time) and warnings."""
    now = now or datetime.now(UTC)
    targets: list[dict[str, Any]] = []
    for target in settings.targets:
        schedule = settings.schedule_for(target)
        rules = schedule.to_rules(settings.timezone)
        tz = ZoneInfo(schedule.timezone or settings.timezone)
        slots = next_slots(rules, now=now, count=10)
        warnings = schedule_warnings(
            rules, now=now, recent_daily_volume=(daily_volume or {}).get(target.name)
        )
        if target.schedule != "default" and target.schedule not in settings.schedules:
            warnings.append(f"schedule {target.schedule!r} does not exist")
        targets.append({
            "target": target.name,
            "platform": target.platform.value,
            "enabled": target.enabled,
            "dry_run": settings.is_dry_run(target),
            "schedule": target.schedule,
            "timezone": str(tz),
            "next_slots": [s.astimezone(tz).isoformat() for s in slots],
            "warnings": warnings,
        })
    for name in settings.schedules:
        if not any(t.schedule == name for t in settings.targets):
            targets.append({"target": None, "schedule": name, "next_slots": [],
                            "warnings": [f"schedule {name!r} is not used by any target"]})
    targets += [{"target": None, "schedule": None, "next_slots": [], "warnings": [w]}
                for w in _sharing_warnings(settings)]
    return {"config": str(config_file), "ok": True, "targets": targets}


def _sharing_warnings(settings: Settings) -> list[str]:
    """Live targets that would post the same story twice to one place."""
    out = []
    live = [t for t in settings.targets if t.enabled and not settings.is_dry_run(t)]
    chats: dict[str, list[str]] = {}
    for t in live:
        if t.platform.value == "telegram" and t.chat:
            chats.setdefault(t.chat.lower(), []).append(t.name)
    for chat, names in chats.items():
        if len(names) > 1:
            out.append(f"targets {', '.join(names)} all post to Telegram chat {chat}: "
                       "followers would see each story more than once")
    xs = [t.name for t in live if t.platform.value == "x"]
    if len(xs) > 1:
        out.append(f"targets {', '.join(xs)} all post to the one [x] account: X refuses the "
                   "second copy as duplicate content")
    return out


def schedule_report_text(data: dict[str, Any]) -> str:
    """The report for people."""
    lines = [f"{data['config']}: OK"]
    for t in data["targets"]:
        if t["target"] is None:
            lines += [f"  warning: {w}" for w in t["warnings"]]
            continue
        mode = "dry-run → outbox" if t["dry_run"] else "live"
        off = "" if t["enabled"] else ", disabled"
        lines.append(f"{t['target']} [{t['platform']}, {mode}{off}] schedule "
                     f"{t['schedule']} ({t['timezone']})")
        slots = [f"{datetime.fromisoformat(s):%a} {local(datetime.fromisoformat(s), t['timezone'])}"
                 for s in t["next_slots"]]
        lines.append("  next: " + (", ".join(slots) if slots else "none in the coming weeks"))
        lines += [f"  warning: {w}" for w in t["warnings"]]
    return "\n".join(lines)
