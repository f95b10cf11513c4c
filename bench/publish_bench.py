"""Publishing throughput: the bot's dispatcher through the real adapters vs the raw clients.

Starts the fake Telegram Bot API and fake X API v2 as separate processes (so their CPU is not the
bot's), then, per platform and in one run:

* ceiling: the same client library (python-telegram-bot ``Bot.send_message`` / tweepy
  ``Client.create_tweet``) sending N posts one at a time, no bot: the posts the bot composes
  for the same kind of stories, with the options it sends, so the fake server does the same work
  per request;
* floor: the raw client plus one durable single-row commit before each post (SQLite with
  ``synchronous=FULL``; PostgreSQL), the least any publisher pays that commits a claim before
  every platform call;
* bot: N stories queued, then the daemon's ``run_once`` publishing them through the real adapters
  with the full exactly-once bookkeeping, on SQLite and (when a URL is given) PostgreSQL.

Reports deliveries/s, the bot's CPU time per delivery and the ratios to the ceiling and to the
floor of the same database; medians over ``--repeat`` runs. Usage::

    .venv/bin/python bench/publish_bench.py [-n 500] [--repeat 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "123456:TEST-TOKEN"
X_CREDS = {"consumer_key": "test-consumer-key", "consumer_secret": "test-consumer-secret",
           "access_token": "1000-test-access-token", "access_token_secret": "test-access-secret"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_fake(module: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Run a fake server module as a process; return it and its URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", str(port), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    return proc, url


def reset(url: str) -> None:
    """Forget what a fake recorded (keeps memory flat across runs)."""
    import httpx

    httpx.post(f"{url}/_fake/reset")


def drafts(n: int, run: int, tag: str) -> list[Any]:
    """The n stories of one run (``tag`` keeps the ceiling's posts apart from the bot's)."""
    from bot.domain.models import ArticleDraft

    return [ArticleDraft(url=f"https://bench.example/{run}/{tag}/{i}", title=f"Story {run}-{i}",
                         text=f"Event {run}-{i} happened today. It was confirmed.")
            for i in range(n)]


def posts(settings: Any, n: int, run: int, tag: str = "raw") -> list[str]:
    """The texts the bot sends for the run's stories (composed as the bot composes them), so
    that the ceiling sends the same requests and the fake does the same work for both."""
    from bot.intake.queueing import compose_post

    target = settings.targets[0]
    return [compose_post(d, target).parts[0] for d in drafts(n, run, tag)]


async def ceiling_telegram(url: str, texts: list[str]) -> float:
    """Raw python-telegram-bot: the posts one at a time, with the options the bot sends
    (HTML, small link preview); returns messages/s."""
    from telegram import Bot, LinkPreviewOptions
    from telegram.request import HTTPXRequest

    preview = LinkPreviewOptions(prefer_small_media=True)
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=HTTPXRequest(connection_pool_size=4))
    async with bot:
        start = time.perf_counter()
        for text in texts:
            await bot.send_message("@news", text, parse_mode="HTML", link_preview_options=preview)
        return len(texts) / (time.perf_counter() - start)


def ceiling_x(url: str, texts: list[str]) -> float:
    """Raw tweepy: the posts one at a time (its host redirected as the adapter does); posts/s."""
    from bot.publish.x import XPublisher

    pub = XPublisher(api_base_url=url, **X_CREDS)
    client = pub._client  # the same tweepy Client and session the adapter uses
    start = time.perf_counter()
    for text in texts:
        client.create_tweet(text=text, user_auth=True)
    return len(texts) / (time.perf_counter() - start)


class DurableCommit:
    """One single-row ``UPDATE`` committed durably per post, on the raw driver (SQLite WAL with
    ``synchronous=FULL``, or PostgreSQL with its default synchronous commit): the least any
    publisher pays that commits a claim before each platform call. With the raw client it
    gives the *floor* rows."""

    def __init__(self, db_url: str, n: int) -> None:
        from sqlalchemy.engine import make_url

        url = make_url(db_url)
        self.postgres = url.get_backend_name() == "postgresql"
        if self.postgres:
            import psycopg

            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn: Any = psycopg.connect(dsn, autocommit=True)
            self.conn.execute("DROP TABLE IF EXISTS bench_floor")
            self.conn.execute("CREATE TABLE bench_floor (id int PRIMARY KEY, state text)")
            self.conn.execute("INSERT INTO bench_floor SELECT g, 'pending' "
                              "FROM generate_series(0, %s) g", (n,))
        else:
            import sqlite3

            self.conn = sqlite3.connect(url.database or ":memory:", isolation_level=None,
                                        check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("CREATE TABLE bench_floor (id int PRIMARY KEY, state text)")
            self.conn.executemany("INSERT INTO bench_floor VALUES (?, 'pending')",
                                  [(i,) for i in range(n + 1)])

    def __call__(self, i: int) -> None:
        if self.postgres:
            self.conn.execute("UPDATE bench_floor SET state = 'sending' WHERE id = %s", (i,))
        else:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("UPDATE bench_floor SET state = 'sending' WHERE id = ?", (i,))
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


async def floor_telegram(url: str, texts: list[str], commit: DurableCommit) -> float:
    """The raw client with a durable commit on a worker thread before each post; posts/s."""
    from telegram import Bot, LinkPreviewOptions
    from telegram.request import HTTPXRequest

    preview = LinkPreviewOptions(prefer_small_media=True)
    bot = Bot(TOKEN, base_url=f"{url}/bot", request=HTTPXRequest(connection_pool_size=4))
    async with bot:
        start = time.perf_counter()
        for i, text in enumerate(texts):
            await asyncio.to_thread(commit, i)
            await bot.send_message("@news", text, parse_mode="HTML", link_preview_options=preview)
        return len(texts) / (time.perf_counter() - start)


def floor_x(url: str, texts: list[str], commit: DurableCommit) -> float:
    """Raw tweepy with a durable commit before each post (both on this thread); posts/s."""
    from bot.publish.x import XPublisher

    pub = XPublisher(api_base_url=url, **X_CREDS)
    client = pub._client
    start = time.perf_counter()
    for i, text in enumerate(texts):
        commit(i)
        client.create_tweet(text=text, user_auth=True)
    return len(texts) / (time.perf_counter() - start)


def bench_settings(platform: str, url: str, db_url: str, tmp: Path, durable: bool = True) -> Any:
    """Settings with one live target on ``platform``, pointed at the fake at ``url``."""
    from bot.config.settings import Settings

    target: dict[str, Any] = {"name": "t", "platform": platform, "dry_run": False}
    extra: dict[str, Any] = {}
    if platform == "telegram":
        target["chat"] = "@news"
        extra["telegram"] = {"bot_token": TOKEN, "api_base_url": url,
                             "messages_per_chat_per_minute": 10**9,
                             "messages_per_second": 10**9}
    else:
        extra["x"] = {"api_key": X_CREDS["consumer_key"], "api_secret": X_CREDS["consumer_secret"],
                      "access_token": X_CREDS["access_token"],
                      "access_token_secret": X_CREDS["access_token_secret"], "api_base_url": url}
    return Settings(database_url=db_url, outbox_dir=tmp / "outbox", dry_run=False,
                    targets=[target], sqlite_durable_claims=durable, **extra)


def bot_run(platform: str, url: str, db_url: str, n: int, run: int, tmp: Path,
            durable: bool = True) -> dict[str, float]:
    """Queue n stories for one live target, then publish them with run_once."""
    from bot.wiring import build_app, build_daemon, build_dispatcher

    app = build_app(bench_settings(platform, url, db_url, tmp, durable))
    app.intake.on_change = None  # plan once below, not after each story
    for draft in drafts(n, run, "bot"):
        app.intake.add(draft)
    build_dispatcher(app, echo=False)
    daemon = build_daemon(app, echo=False)

    async def go() -> int:
        try:
            return await daemon.run_once()
        finally:
            await app.aclose()

    cpu0, t0 = time.process_time(), time.perf_counter()
    sent = asyncio.run(go())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    app.dispose()
    assert sent == n, f"sent {sent} of {n}"
    return {"rate": n / wall, "cpu_ms": 1000 * cpu / n}


def main() -> None:
    """Run every measurement and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("CROSSPOST_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    tg_proc, tg_url = start_fake("tests.fakes.telegram_server", "--any-chat")
    x_proc, x_url = start_fake("tests.fakes.x_server")
    results: dict[str, list[dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            for run in range(args.repeat):
                for platform, url in (("telegram", tg_url), ("x", x_url)):
                    reset(url)
                    texts = posts(bench_settings(platform, url, "sqlite://", tmp), args.n, run)
                    if platform == "telegram":
                        rate = asyncio.run(ceiling_telegram(url, texts))
                    else:
                        rate = ceiling_x(url, texts)
                    results.setdefault(f"{platform} ceiling", []).append({"rate": rate})
                    floors = [("sqlite", f"sqlite:///{tmp}/floor-{platform}-{run}.db")]
                    if args.postgres:
                        floors.append(("postgresql", _fresh_pg(args.postgres)))
                    for name, db_url in floors:
                        reset(url)
                        texts = posts(bench_settings(platform, url, "sqlite://", tmp), args.n,
                                      run, f"floor-{name}")
                        commit = DurableCommit(db_url, args.n)
                        try:
                            floor = (asyncio.run(floor_telegram(url, texts, commit))
                                     if platform == "telegram" else floor_x(url, texts, commit))
                        finally:
                            commit.close()
                        results.setdefault(f"{platform} floor {name}", []).append(
                            {"rate": floor})
                    dbs = [("sqlite", f"sqlite:///{tmp}/bench-{platform}-{run}.db", True),
                           ("sqlite (sqlite_durable_claims = false)",
                            f"sqlite:///{tmp}/bench-{platform}-{run}-fast.db", False)]
                    if args.postgres:
                        dbs.append(("postgresql", _fresh_pg(args.postgres), True))
                    for name, db_url, durable in dbs:
                        reset(url)
                        out = bot_run(platform, url, db_url, args.n, run, tmp, durable)
                        results.setdefault(f"{platform} bot {name}", []).append(out)
    finally:
        for proc in (tg_proc, x_proc):
            proc.terminate()
            proc.wait()
    print(f"n={args.n} per run, {args.repeat} runs, medians; machine: {os.cpu_count()} cores")
    print("| platform | path | deliveries/s | bot CPU ms/delivery | ratio to ceiling "
          "| ratio to floor |")
    print("|---|---|---:|---:|---:|---:|")

    def median_rate(key: str) -> float:
        return statistics.median(r["rate"] for r in results[key])

    for key, rows in results.items():
        platform, path = key.split(" ", 1)
        rate = median_rate(key)
        cpu = (f"{statistics.median(r['cpu_ms'] for r in rows):.2f}" if "cpu_ms" in rows[0]
               else "–")
        db = "postgresql" if "postgresql" in path else "sqlite"
        floor = (f"{rate / median_rate(f'{platform} floor {db}'):.0%}"
                 if path.startswith("bot") and "durable_claims = false" not in path else "–")
        print(f"| {platform} | {path} | {rate:.0f} | {cpu} "
              f"| {rate / median_rate(f'{platform} ceiling'):.0%} | {floor} |")


def _fresh_pg(base: str) -> str:
    """Empty the PostgreSQL database's public schema and return its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return base


if __name__ == "__main__":
    main()
