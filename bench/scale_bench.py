"""Scale: intake cost as the queue grows, and the daemon's event loop under a big import.

Four measurements, each in one run against a baseline measured in the same run:

* ``import``: ``queue import`` (``Intake.import_lines``, what the command runs) of 1,000, 4,000
  and 16,000 stories to two targets on a fresh database; milliseconds per story.
* ``add``: ``queue add`` (``Intake.add``: parse, dedupe, compose, store, plan) latency, p50 and
  p99 over ``--adds`` stories, with 0, 10,000 and 100,000 pending deliveries already stored
  (filled in bulk, then planned once), on SQLite and (with ``--postgres``) PostgreSQL.
* ``fanout``: ``queue add`` of one story (``queue_story``, what the command runs: parse, dedupe,
  compose, store, plan its targets) to 1, 10, 100 and 500 targets (Telegram and X in turn, in
  three desk styles), each target already holding ``--backlog`` pending stories (planned once);
  p50 per story and per target, on SQLite and (with ``--postgres``) PostgreSQL.
* ``stall``: the longest event-loop stall of a live daemon with the HTTP API serving (a probe
  task that sleeps 5 ms and measures how late it wakes) while ``queue import`` of 10,000 stories
  runs in another process against the same database and an HTTP client polls the API; baseline:
  the same probe in an idle process on the same machine.

Usage::

    .venv/bin/python bench/scale_bench.py import [--sizes 1000 4000 16000] [--postgres URL]
    .venv/bin/python bench/scale_bench.py add [--pending 0 10000 100000] [--postgres URL]
    .venv/bin/python bench/scale_bench.py fanout [--targets 1 10 100 500] [--backlog 20]
        [--adds 10] [--postgres URL]
    .venv/bin/python bench/scale_bench.py stall [-n 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from bot.config.settings import Settings  # noqa: E402
from bot.daemon.runtime import Runtime  # noqa: E402
from bot.domain.models import ArticleDraft  # noqa: E402
from bot.intake.stories import queue_story  # noqa: E402
from bot.store.tables import articles, deliveries  # noqa: E402
from bot.wiring import build_app, build_daemon  # noqa: E402

TARGETS = [{"name": "tg", "platform": "telegram", "chat": "@news"},
           {"name": "xa", "platform": "x"}]
TEXT = ("The city council approved the new budget on Tuesday after a long debate. "
        "Officials said the plan funds schools, roads and a new library. {i}")


def settings(root: Path, db: str, **more: Any) -> Settings:
    """Dry-run settings with two targets paced 10 minutes apart (a backlog builds up)."""
    return Settings(database_url=db, outbox_dir=root / "outbox", dry_run=True,
                    schedules={"default": {"min_interval": "10m"}}, targets=TARGETS, **more)


BENCH_DB = "crosspost_scale_bench"


def fresh_db(root: Path, postgres: str | None, name: str) -> str:
    """An empty database: a SQLite file, or PostgreSQL database ``crosspost_scale_bench`` on
    the server of ``postgres`` created anew (the database the URL names is left alone)."""
    if postgres is None:
        return f"sqlite:///{root / name}.db"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{BENCH_DB}"'))
    admin.dispose()
    return postgres.rsplit("/", 1)[0] + "/" + BENCH_DB


def lines(n: int, prefix: str) -> list[str]:
    """``n`` import lines."""
    return [json.dumps({"url": f"https://city.example/{prefix}-{i}", "title": f"Story {i}",
                        "text": TEXT.format(i=i)}) for i in range(n)]


def bench_import(sizes: list[int], postgres: str | None) -> None:
    """Per-story time of ``queue import`` by batch size."""
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            app = build_app(settings(root, fresh_db(root, postgres, f"imp{n}")))
            batch = lines(n, f"i{n}")
            started = time.perf_counter()
            result = app.intake.import_lines(batch)
            took = time.perf_counter() - started
            assert len(result.added) == n, result.errors[:3]
            app.dispose()
        rows.append((n, took, took / n * 1000))
        print(f"import {n:>6}: {took:7.2f} s  {took / n * 1000:6.3f} ms/story", flush=True)
    base = rows[0][2]
    for n, _, per in rows:
        print(f"  {n:>6}: {per / base:.2f}x the per-story time of {rows[0][0]}")


def fill(app: Runtime, stories: int, targets: list[dict[str, Any]] = TARGETS) -> None:
    """Store ``stories`` stories with a delivery on each target, in bulk, then plan once."""
    now = datetime.now(UTC)
    post = {"parts": ["A post."], "image_url": None, "parse_mode": None, "attempts": 0,
            "retries": 0, "sent_ids": [], "plain_text": False, "state": "pending",
            "created_at": now, "updated_at": now}
    step = 5000
    with app.engine.begin() as conn:
        for start in range(0, stories, step):
            chunk = range(start, min(stories, start + step))
            conn.execute(insert(articles), [{
                "id": i + 1, "url": f"https://fill.example/{i}",
                "canonical_url": f"https://fill.example/{i}", "title": f"Fill {i}",
                "text": "Body.", "priority": "normal", "source": "bench", "tags": [],
                "created_at": now, "updated_at": now} for i in chunk])
            conn.execute(insert(deliveries), [
                post | {"article_id": i + 1, "target": t["name"], "platform": t["platform"]}
                for i in chunk for t in targets])
        if app.engine.dialect.name == "postgresql" and stories:
            conn.execute(text("SELECT setval('articles_id_seq', :n)"), {"n": stories})
            conn.execute(text("ANALYZE"))
    app.planner.replan()


def bench_add(pending: list[int], adds: int, postgres: str | None) -> None:
    """``queue add`` latency percentiles by the number of pending deliveries."""
    backend = "postgresql" if postgres else "sqlite"
    results = []
    for n in pending:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            app = build_app(settings(root, fresh_db(root, postgres, f"add{n}")))
            fill(app, n // len(TARGETS))
            times = []
            for i in range(adds + 20):
                draft = ArticleDraft(url=f"https://new.example/{i}", title=f"New story {i}",
                                     text=TEXT.format(i=i))
                started = time.perf_counter()
                assert app.intake.add(draft).created
                if i >= 20:  # warm-up
                    times.append((time.perf_counter() - started) * 1000)
            app.dispose()
        times.sort()
        p50 = statistics.median(times)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        results.append((n, p50, p99))
        print(f"add {backend} pending {n:>7}: p50 {p50:6.2f} ms  p99 {p99:6.2f} ms", flush=True)
    base = results[0][2]
    for n, _, p99 in results:
        print(f"  pending {n:>7}: p99 {p99 / base:.2f}x the p99 at {results[0][0]}")


STYLES: list[dict[str, Any]] = [{}, {"summary_chars": 400}, {"hashtags": ["news"]}]
"""The desk styles targets come in (compose options beyond the platform)."""


def network(n: int) -> list[dict[str, Any]]:
    """``n`` targets: Telegram and X in turn, each in one of the desk ``STYLES`` in turn."""
    out = []
    for i in range(n):
        style = STYLES[(i // 2) % len(STYLES)]
        if i % 2:
            out.append({"name": f"x{i}", "platform": "x"} | style)
        else:
            out.append({"name": f"tg{i}", "platform": "telegram", "chat": f"@news{i}"} | style)
    return out


def bench_fanout(sizes: list[int], backlog: int, adds: int, postgres: str | None) -> None:
    """``queue add`` of one story by the number of targets it goes to."""
    backend = "postgresql" if postgres else "sqlite"
    results = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            targets = network(n)
            app = build_app(Settings(database_url=fresh_db(root, postgres, f"fan{n}"),
                                     outbox_dir=root / "outbox", dry_run=True,
                                     schedules={"default": {"min_interval": "10m"}},
                                     targets=targets))
            fill(app, backlog, targets)
            times = []
            for i in range(adds + 2):
                data = {"url": f"https://new.example/{i}", "title": f"New story {i}",
                        "text": TEXT.format(i=i)}
                started = time.perf_counter()
                added = queue_story(app.intake, data, source="cli")
                if i >= 2:  # warm-up
                    times.append((time.perf_counter() - started) * 1000)
                assert added.created and len(added.targets) == n
            app.dispose()
        p50 = statistics.median(times)
        results.append((n, p50))
        print(f"fanout {backend} {n:>4} targets: p50 {p50:8.2f} ms per story, "
              f"{p50 / n:6.3f} ms per target (max {max(times):8.2f} ms)", flush=True)
    base = results[0][1] / results[0][0]
    for n, p50 in results:
        print(f"  {n:>4} targets: {p50 / n / base:.2f}x the per-target time of {results[0][0]}")


PROBE = """
import asyncio, time, sys
async def main(seconds):
    worst, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        await asyncio.sleep(0.005)
        worst = max(worst, time.perf_counter() - t - 0.005)
    print(worst)
asyncio.run(main(float(sys.argv[1])))
"""

STALL_CONFIG = """
database_url = "sqlite:///{root}/stall.db"
outbox_dir = "{root}/outbox"
dry_run = true
[api]
enabled = true
port = {port}
[schedules.default]
min_interval = "10m"
[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
[[targets]]
name = "xa"
platform = "x"
"""


def bench_stall(n: int) -> None:
    """The longest event-loop stall of a live daemon with the API while ``queue import`` of
    ``n`` stories runs in another process; baseline: the same probe in an idle process."""
    import subprocess

    import httpx

    from bot.api.server import api_service
    from bot.config.load import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = 18000 + os.getpid() % 1000
        cfg_file = root / "crosspost.toml"
        cfg_file.write_text(STALL_CONFIG.format(root=root, port=port))
        (root / "stories.jsonl").write_text("\n".join(lines(n, "stall")))
        env = {**os.environ, "CROSSPOST_API__TOKEN": "bench-token", "PYTHONPATH": str(ROOT)}
        os.environ["CROSSPOST_API__TOKEN"] = "bench-token"
        app = build_app(load_settings(cfg_file, env_file=None))
        daemon = build_daemon(app, echo=False)
        service = api_service(app, daemon)
        assert service is not None
        daemon.services = [service]
        stalls: list[float] = []
        api_times: list[float] = []
        done = threading.Event()
        baseline: list[float] = []

        def importer() -> None:
            subprocess.run([sys.executable, "-m", "bot", "--config", str(cfg_file), "queue",
                            "import", str(root / "stories.jsonl")], env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            done.set()

        def idle_probe(seconds: float) -> None:
            out = subprocess.run([sys.executable, "-c", PROBE, str(seconds)], check=True,
                                 capture_output=True, text=True).stdout
            baseline.append(float(out))

        def client() -> None:
            headers = {"Authorization": "Bearer bench-token"}
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
                while not done.is_set():
                    started = time.perf_counter()
                    try:
                        http.get("/api/articles", params={"limit": 20}, timeout=5)
                        api_times.append(time.perf_counter() - started)
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.05)

        async def probe() -> None:
            while not done.is_set():
                started = time.perf_counter()
                await asyncio.sleep(0.005)
                stalls.append(time.perf_counter() - started - 0.005)

        async def scenario() -> float:
            runner = asyncio.create_task(daemon.run())
            while not daemon.alive:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            async with httpx.AsyncClient() as warm:  # the API's first answer builds its routes
                await warm.get(f"http://127.0.0.1:{port}/healthz")
            threads = [threading.Thread(target=importer), threading.Thread(target=client)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            await probe()
            took = time.perf_counter() - started
            for t in threads:
                await asyncio.to_thread(t.join)
            await asyncio.to_thread(idle_probe, min(took, 30.0))  # same machine, same minute
            daemon.stop()
            await runner
            return took

        took = asyncio.run(scenario())
        app.dispose()
    stalls.sort()
    print(f"stall: `queue import` of {n} stories took {took:.1f} s against a live daemon + API")
    print(f"  daemon loop probe: {len(stalls)} wake-ups, p50 late "
          f"{statistics.median(stalls) * 1000:.1f} ms, p99 {stalls[int(len(stalls) * 0.99)] * 1000:.1f}"
          f" ms, longest stall {stalls[-1] * 1000:.1f} ms")
    print(f"  baseline (idle process, same probe, right after): longest {baseline[0] * 1000:.1f} ms")
    if api_times:
        api_times.sort()
        print(f"  GET /api/articles: {len(api_times)} answers, p50 "
              f"{statistics.median(api_times) * 1000:.1f} ms, max {api_times[-1] * 1000:.1f} ms")


def main() -> None:
    """Run one of the benchmarks."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    imp = sub.add_parser("import")
    imp.add_argument("--sizes", type=int, nargs="+", default=[1000, 4000, 16000])
    imp.add_argument("--postgres")
    add = sub.add_parser("add")
    add.add_argument("--pending", type=int, nargs="+", default=[0, 10_000, 100_000])
    add.add_argument("--adds", type=int, default=200)
    add.add_argument("--postgres")
    fan = sub.add_parser("fanout")
    fan.add_argument("--targets", type=int, nargs="+", default=[1, 10, 100, 500])
    fan.add_argument("--backlog", type=int, default=20)
    fan.add_argument("--adds", type=int, default=10)
    fan.add_argument("--postgres")
    stall = sub.add_parser("stall")
    stall.add_argument("-n", type=int, default=10_000)
    args = parser.parse_args()
    if args.what == "import":
        bench_import(args.sizes, args.postgres)
    elif args.what == "add":
        bench_add(args.pending, args.adds, args.postgres)
    elif args.what == "fanout":
        bench_fanout(args.targets, args.backlog, args.adds, args.postgres)
    else:
        bench_stall(args.n)


if __name__ == "__main__":
    main()
