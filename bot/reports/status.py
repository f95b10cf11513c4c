"""What ``crosspost status`` reports: counts per state and target, last publish, problems."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.config.settings import Settings
from bot.domain.ports import Clock
from bot.reports.views import iso, local
from bot.store.queue import QueueStore
from bot.store.revisions import RevisionStore
from bot.store.state import StateStore

_CORRECTION_STATES = ("pending", "sending", "failed")


def status_data(*, settings: Settings, clock: Clock, queue: QueueStore, state: StateStore,
                engine: Engine, revisions: RevisionStore | None = None,
                config_error: str | None = None) -> dict[str, Any]:
    """The status report as a stable JSON shape (with ``revisions``: each target's pending
    and failed corrections and takedowns, and the failed ones among the problems). With
    ``config_error`` (the config file on disk is broken) it still reports from the database,
    saying so first."""
    now = clock.now()
    counts = queue.counts()
    revised = revisions.counts() if revisions is not None else {}
    last = queue.last_published()
    states = state.targets()
    configured = {t.name: t for t in settings.targets}
    names = sorted(set(configured) | {t for t, _ in counts} | {t for t, _ in revised})
    targets = []
    problems: list[str] = []
    for name in names:
        cfg = configured.get(name)
        st = states.get(name)
        by_state = {s: n for (t, s), n in counts.items() if t == name}
        entry: dict[str, Any] = {
            "name": name,
            "platform": cfg.platform.value if cfg else None,
            "enabled": bool(cfg and cfg.enabled),
            "dry_run": settings.is_dry_run(cfg) if cfg else None,
            "counts": by_state,
            "corrections": {s: n for (t, s), n in revised.items()
                            if t == name and s in _CORRECTION_STATES},
            "last_published_at": iso(last.get(name)),
            "paused": st.paused_reason.removeprefix("target paused: ")
            if st and st.paused_reason else None,
            "blocked_until": iso(st.blocked_until) if st and st.blocked_until and
            st.blocked_until > now else None,
        }
        targets.append(entry)
        if cfg is None and config_error is None:
            problems.append(f"target {name}: has deliveries but is not in config")
        if entry["paused"]:
            problems.append(f"target {name}: paused: {entry['paused']} "
                            f"(fix it, then `crosspost targets resume {name}`)")
        if entry["blocked_until"]:
            problems.append(f"target {name}: rate limited until {entry['blocked_until']}")
    expired = queue.expired_since(now - timedelta(hours=24))
    for name, n in sorted(expired.items()):
        problems.append(f"target {name}: {n} {'story' if n == 1 else 'stories'} expired in the last "
                        f"24 hours without posting (`crosspost queue list --state expired`)")
    for d in queue.attention():
        problems.append(f"story {d.article_id} on {d.target}: {d.state.value}: {d.last_error}")
    for r in revisions.attention() if revisions is not None else ():
        if r.state.value == "failed":
            problems.append(f"story {r.article_id} on {r.target}: {r.kind.value} failed: "
                            f"{r.error}")
    from bot.reports.feeds import feed_problems
    from bot.store.feeds import FeedStore
    from bot.store.lock import PublisherLock

    running = PublisherLock(engine).held_elsewhere()
    stuck = sum(n for (_, s), n in counts.items() if s == "sending")
    if stuck and not running:
        problems.append(f"{stuck} deliver{'y was' if stuck == 1 else 'ies were'} left `sending` by "
                        "a stopped process; `crosspost run` resolves them when it starts "
                        "(X: checked on the platform; Telegram: needs_review)")

    waiting = sum(n for (_, s), n in counts.items() if s == "awaiting_approval")
    if waiting:
        problems.append(f"{waiting} deliver{'y waits' if waiting == 1 else 'ies wait'} for an "
                        "editor's approval (`crosspost queue list --state awaiting_approval`)")
    problems += feed_problems(settings.feeds, FeedStore(engine=engine))
    refused = state.get("config_refused")
    if refused:
        problems.append(f"config change refused at {refused['at']}: {refused['error']}")
    if config_error is not None:
        problems.insert(0, f"the config file is broken ({config_error}); a running daemon keeps "
                           "its last good config; fix the file")
    totals: dict[str, int] = {}
    for (_, s), n in counts.items():
        totals[s] = totals.get(s, 0) + n
    from bot.store.leases import live_workers

    workers = [{"id": w.id, "host": w.host, "pid": w.pid, "started_at": iso(w.started_at),
                "heartbeat_age": w.heartbeat_age, "targets": w.targets}
               for w in live_workers(engine, settings.workers.lease_seconds)]
    return {"now": iso(now), "publisher_running": running, "totals": totals, "targets": targets,
            "problems": problems, "next_planned_at": iso(queue.next_planned_at()),
            "config_refused": refused, "config_error": config_error,
            "expired_24h": expired, "workers": workers}


def status_text(data: dict[str, Any], tz: str) -> str:
    """The status report for people."""
    from datetime import datetime

    def t(v: str | None) -> str:
        return local(datetime.fromisoformat(v), tz) if v else "-"

    lines = ["publisher: " + ("running" if data["publisher_running"] else "not running"),
             "totals: " + (", ".join(f"{k} {v}" for k, v in sorted(data["totals"].items()))
                           or "queue is empty"),
             f"next planned post: {t(data['next_planned_at'])}"]
    workers = data.get("workers") or []
    if workers:
        lines.append(f"workers: {len(workers)} live")
        lines += [f"  {w['host']} pid {w['pid']}: heartbeat {w['heartbeat_age']}s ago; "
                  f"targets {', '.join(w['targets']) or 'none yet'}" for w in workers]
    lines.append("targets:")
    for e in data["targets"]:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(e["counts"].items())) or "nothing yet"
        mode = "dry-run → outbox" if e["dry_run"] else "live"
        flag = "" if e["enabled"] else " (disabled)"
        lines.append(f"  {e['name']} [{e['platform']}, {mode}]{flag}: {counts}; "
                     f"last post {t(e['last_published_at'])}")
        if e.get("corrections"):
            lines.append("    corrections: " + ", ".join(
                f"{k} {v}" for k, v in sorted(e["corrections"].items())))
    if data["problems"]:
        lines.append("problems:")
        lines += [f"  - {p}" for p in data["problems"]]
    else:
        lines.append("problems: none")
    return "\n".join(lines)
