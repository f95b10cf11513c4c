"""The stable JSON shapes the CLI and the HTTP API report, and their readable forms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.horizon import place_reason, waits_for_place
from bot.domain.models import Article, Delivery
from bot.domain.revisions import Revision
from bot.store.desk import StaffAction
from bot.store.queue import QueueStore

Revisions = Mapping[int, Sequence[Revision]]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, or ``None``."""
    return value.isoformat() if value else None


def revision_json(r: Revision) -> dict[str, Any]:
    """One revision of a delivery: what changed, when, on which platform, and the outcome."""
    return {
        "id": r.id, "kind": r.kind.value, "state": r.state.value, "platform": r.platform.value,
        "changed": list(r.changed), "requested_by": r.requested_by, "reason": r.reason,
        "created_at": iso(r.created_at), "planned_at": iso(r.planned_at),
        "finished_at": iso(r.finished_at), "attempts": r.attempts, "outcome": r.outcome,
        "error": r.error, "error_kind": r.error_kind, "parts": list(r.parts),
        "done_ids": list(r.done_ids), "result_ids": list(r.result_ids),
    }


def delivery_json(d: Delivery, revisions: Sequence[Revision] = ()) -> dict[str, Any]:
    """One delivery as reported by ``queue show --json`` (with its revisions)."""
    return {
        "id": d.id,
        "target": d.target,
        "platform": d.platform.value,
        "state": d.state.value,
        "planned_at": iso(d.planned_at),
        "plan_reason": d.plan_reason,
        "text": d.text,
        "parts": list(d.parts),
        "image_url": d.image_url,
        "image_error": d.image_error,
        "media_id": d.media_id,
        "attempts": d.attempts,
        "error": d.last_error,
        "error_kind": d.error_kind,
        "platform_post_id": d.platform_post_id,
        "post_ids": list(d.sent_ids),
        "permalink": d.permalink,
        "published_at": iso(d.published_at),
        "updated_at": iso(d.updated_at),
        "outlook": outlook(d, "UTC"),
        "approval": approval_json(d),
        "history": [
            {"attempt_id": h.attempt_id, "started_at": iso(h.started_at),
             "finished_at": iso(h.finished_at), "outcome": h.outcome,
             "error_kind": h.error_kind, "error": h.error}
            for h in d.history
        ],
        "revisions": [revision_json(r) for r in revisions],
    }


def in_line(queue: QueueStore, deliveries: list[Delivery], now: datetime) -> list[Delivery]:
    """``deliveries`` as staff read them one story at a time: each waiting beyond its target's
    planning horizon says its place in line, counted now (one counting query per such
    delivery), instead of the fixed reason the planner stored. For detail views; lists show
    the stored reason."""
    out = []
    for d in deliveries:
        where = queue.place_in_line(d.id, now) if waits_for_place(d) else None
        out.append(replace(d, plan_reason=place_reason(d.target, *where)) if where else d)
    return out


def approval_json(d: Delivery) -> dict[str, Any] | None:
    """A delivery's review: what it waits (or waited) for and the decision (who, when, where)."""
    a = d.approval
    if a is None:
        return None
    return {"waits_for": a.waits_for, "since": iso(a.since),
            "decision": a.decision.value if a.decision else None, "by": a.by, "via": a.via,
            "at": iso(a.at), "note": a.note}


def article_state(deliveries: list[Delivery]) -> str:
    """A story's overall state: the least advanced of its deliveries."""
    order = ["sending", "needs_review", "awaiting_approval", "pending", "failed", "expired",
             "published", "rejected", "cancelled", "withdrawn"]
    states = {d.state.value for d in deliveries}
    for state in order:
        if state in states:
            return state
    return "no_targets"


def article_json(article: Article, deliveries: list[Delivery],
                 revisions: Revisions | None = None) -> dict[str, Any]:
    """One story with its deliveries (and their revisions, by delivery id), as
    ``queue show --json`` and the API report it."""
    revisions = revisions or {}
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "state": article_state(deliveries),
        "priority": article.priority.value,
        "source": article.source,
        "image_url": article.image_url,
        "image_alt": article.image_alt,
        "language": article.language,
        "not_before": iso(article.not_before),
        "created_at": iso(article.created_at),
        "deliveries": [delivery_json(d, revisions.get(d.id, ())) for d in deliveries],
    }


def with_staff_actions(data: dict[str, Any], actions: list[StaffAction]) -> dict[str, Any]:
    """One story's JSON with what people did to it, whatever door they used: each delivery gets
    ``staff_actions``, and the story gets those not tied to one delivery."""

    def entry(a: StaffAction) -> dict[str, Any]:
        return {"at": iso(a.at), "actor": a.actor, "action": a.action, "detail": a.detail}

    for d in data["deliveries"]:
        d["staff_actions"] = [entry(a) for a in actions if a.delivery_id == d["id"]]
    data["staff_actions"] = [entry(a) for a in actions if a.delivery_id is None]
    return data


def approval_text(d: Delivery, tz: str) -> str:
    """``queue show``'s review line: what a delivery waits for, or who decided and where."""
    a = d.approval
    assert a is not None
    if a.decision is None:
        return (f"      waits for approval since {local(a.since, tz)}: {a.waits_for} "
                f"(crosspost queue approve {d.article_id} --target {d.target})")
    what = "approved with edited text" if a.decision.value == "edited" else a.decision.value
    note = f": {a.note}" if a.note else ""
    return (f"      review: {what} by {a.by} via {a.via} at {local(a.at, tz)}{note} "
            f"(waited for: {a.waits_for})")


def local(value: datetime | None, tz: str) -> str:
    """A time in the config's timezone for people, the same in every command:
    ``2026-01-05 09:00 EET`` (the zone's own abbreviation, never ``UTC+02:00``)."""
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def outlook(d: Delivery, tz: str) -> str:
    """What will happen to a delivery, in one line: when it posts and why then, or that it
    will not post (expired, failed, cancelled) and why, or when it went out."""
    state = d.state.value
    if state == "pending":
        if d.planned_at is not None:
            return f"posts {local(d.planned_at, tz)}" + (f" ({d.plan_reason})" if d.plan_reason else "")
        return f"not planned yet: {d.plan_reason or 'the daemon plans it when it runs'}"
    if state == "published":
        return f"published {local(d.published_at, tz)}"
    if state == "expired":
        return f"will not post: expired ({d.last_error or 'too old'})"
    if state in ("failed", "cancelled"):
        return f"will not post: {state}" + (f" ({d.last_error})" if d.last_error else "")
    return state.replace("_", " ") + (f" ({d.last_error})" if d.last_error else "")


def article_text(article: Article, deliveries: list[Delivery], tz: str,
                 actions: list[StaffAction] | None = None,
                 revisions: Revisions | None = None) -> str:
    """``queue show`` for people."""
    revisions = revisions or {}
    lines = [f"#{article.id} {article.title}", f"  url: {article.url}",
             f"  priority: {article.priority.value}  source: {article.source}  "
             f"queued: {local(article.created_at, tz)}"]
    for d in deliveries:
        lines.append(f"  - {d.target} ({d.platform.value}): {d.state.value}")
        lines.append(f"      {outlook(d, tz)}")
        if d.approval is not None:
            lines.append(approval_text(d, tz))
        if d.permalink or d.platform_post_id:
            lines.append(f"      post: {d.permalink or d.platform_post_id}")
        if d.last_error:
            lines.append(f"      why: {d.last_error}")
        if d.media_id:
            lines.append(f"      image: attached (media id {d.media_id})")
        if d.image_error:
            lines.append(f"      image: not attached — {d.image_error}")
        if d.attempts:
            lines.append(f"      attempts: {d.attempts}")
        for i, part in enumerate(d.parts):
            prefix = "      text: " if i == 0 else f"      part {i + 1}: "
            lines.append(prefix + part.replace("\n", "\n            "))
        for a in actions or []:
            if a.delivery_id == d.id:
                lines.append(f"      {action_text(a, tz)}")
        for r in revisions.get(d.id, ()):
            who = f" by {r.requested_by}" if r.requested_by else ""
            why = f" ({r.reason})" if r.reason else ""
            said = r.error if r.state.value == "failed" and r.error else r.outcome or ""
            lines.append(f"      {r.kind.value}{who}{why} {local(r.created_at, tz)}: "
                         f"{r.state.value}{' — ' + said if said else ''}")
    story_wide = [a for a in actions or [] if a.delivery_id is None]
    if story_wide:
        lines.append("  staff actions on the story:")
        lines.extend(f"    {action_text(a, tz)}" for a in story_wide)
    return "\n".join(lines)


def action_text(a: StaffAction, tz: str) -> str:
    """One staff action for people: when, what, who (with their door) and the detail (an
    edited text is in the delivery's text, not repeated)."""
    detail = f": {in_one_line(a.detail)}" if a.detail and a.action != "edited text" else ""
    return f"{local(a.at, tz)}: {a.action} by {a.actor}{detail}"


def in_one_line(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut at ``limit`` characters."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
