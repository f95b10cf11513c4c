"""Lateness: from a post's planned time to the publish call, in the running daemon.

Queues N stories whose ``not_before`` times are spread over the next ``--span`` seconds, runs the
daemon (APScheduler, real SQLite file, outbox publisher) and records, for each post, how late the
publish call came after the planned time. Baseline in the same run: APScheduler alone firing N
no-op jobs at the same kind of times (the floor any APScheduler-based daemon sits on).

    .venv/bin/python bench/lateness_bench.py [-n 300] [--span 30] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def daemon_lateness(n: int, span: float, tmp: Path) -> list[float]:
    """Seconds late for each of n posts published by the daemon."""
    from bot.config.settings import Settings
    from bot.domain.models import ArticleDraft
    from bot.domain.ports import PublishRequest
    from bot.wiring import build_app, build_daemon, build_dispatcher

    settings = Settings(database_url=f"sqlite:///{tmp}/late.db", outbox_dir=tmp / "outbox",
                        targets=[{"name": "tg", "platform": "telegram", "chat": "@news"}])
    app = build_app(settings)
    start = datetime.now(UTC) + timedelta(seconds=3)
    app.intake.on_change = None
    for i in range(n):
        when = start + timedelta(seconds=span * i / n)
        app.intake.add(ArticleDraft(url=f"https://late.example/{i}", title=f"Story {i}",
                                    text="One sentence. Two sentences.", not_before=when))
    app.planner.replan()
    dispatcher = build_dispatcher(app, echo=False)
    late: list[float] = []
    outbox = dispatcher.lanes["tg"].publisher
    # each story is due at its not_before (no pacing): lateness counts from there, whether the
    # planner gave it a time up front or, beyond its horizon, as places freed up
    planned = {d.id: a.not_before for d, a in app.queue.pending_for_planning()}
    original = outbox.publish

    async def timed(request: PublishRequest):  # type: ignore[no-untyped-def]
        at = planned[request.delivery_id]
        assert at is not None
        late.append((datetime.now(UTC) - at).total_seconds())
        return await original(request)

    outbox.publish = timed  # type: ignore[method-assign]
    daemon = build_daemon(app, echo=False)
    runner = asyncio.create_task(daemon.run())
    while len(late) < n:
        await asyncio.sleep(0.2)
    daemon.stop()
    await runner
    app.dispose()
    return late


async def apscheduler_lateness(n: int, span: float) -> list[float]:
    """Seconds late for n no-op APScheduler date jobs (the floor)."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    late: list[float] = []
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    start = datetime.now(UTC) + timedelta(seconds=1)

    async def job(at: datetime) -> None:
        late.append((datetime.now(UTC) - at).total_seconds())

    for i in range(n):
        when = start + timedelta(seconds=span * i / n)
        scheduler.add_job(job, DateTrigger(when), args=[when], misfire_grace_time=None)
    while len(late) < n:
        await asyncio.sleep(0.2)
    scheduler.shutdown(wait=False)
    return late


def main() -> None:
    """Run both and print p50/p99 medians over repeats."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--span", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, float, float]]] = {"apscheduler no-op job": [],
                                                         "crosspost daemon": []}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            base = asyncio.run(apscheduler_lateness(args.n, args.span))
            bot = asyncio.run(daemon_lateness(args.n, args.span, Path(tmp)))
        for name, vals in (("apscheduler no-op job", base), ("crosspost daemon", bot)):
            rows[name].append((pct(vals, 0.5), pct(vals, 0.99), max(vals)))
    print(f"n={args.n} posts over {args.span:.0f} s, {args.repeat} runs, medians of per-run values")
    print("| path | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, values in rows.items():
        p50 = statistics.median(v[0] for v in values) * 1000
        p99 = statistics.median(v[1] for v in values) * 1000
        mx = statistics.median(v[2] for v in values) * 1000
        print(f"| {name} | {p50:.1f} | {p99:.1f} | {mx:.1f} |")


if __name__ == "__main__":
    main()
