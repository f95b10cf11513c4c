"""The web desk's queue paging over a large queue: fills a database with N stories (two
deliveries each) and times the desk's page query at the top, deep down, and with each filter.

    .venv/bin/python bench/desk_paging_bench.py --stories 50000 [--database-url URL]

Without ``--database-url`` a fresh SQLite file in a temporary folder is used; with a PostgreSQL
URL a fresh database is created beside the one named, and dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine

from bot.domain.models import DeliveryState
from bot.store.db import make_engine, upgrade
from bot.store.desk import DeskStore, Page
from bot.store.tables import articles, deliveries

STATES = ["published"] * 90 + ["pending"] * 7 + ["failed"] * 2 + ["needs_review"]


def fill(engine: Engine, stories: int, *, batch: int = 5000) -> None:
    """``stories`` stories, each with a Telegram and an X delivery; 1% of them failed or
    waiting for review, a few pending, the rest published; one title in 1,000 says "bridge"."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for first in range(1, stories + 1, batch):
            ids = range(first, min(first + batch, stories + 1))
            when = [start + timedelta(minutes=i) for i in ids]
            conn.execute(insert(articles), [{
                "id": i, "url": f"https://example.org/s/{i}",
                "canonical_url": f"https://example.org/s/{i}",
                "title": f"Story {i}" + (" about the bridge" if i % 1000 == 0 else ""),
                "text": "Words. " * 40, "priority": "normal", "source": "bench", "tags": [],
                "created_at": w, "updated_at": w} for i, w in zip(ids, when, strict=True)])
            conn.execute(insert(deliveries), [{
                "article_id": i, "target": target, "platform": platform,
                "state": STATES[(i * 7 + k) % len(STATES)], "parts": ["Words."], "attempts": 1,
                "retries": 0, "sent_ids": [], "plain_text": False, "created_at": w,
                "updated_at": w}
                for i, w in zip(ids, when, strict=True)
                for k, (target, platform) in enumerate((("tg", "telegram"), ("xa", "x")))])


def timed(call: Callable[[], Page], repeat: int) -> tuple[float, Page]:
    """Median milliseconds of ``repeat`` calls, and the last answer."""
    times = []
    page: Page | None = None
    for _ in range(repeat):
        began = time.perf_counter()
        page = call()
        times.append((time.perf_counter() - began) * 1000)
    assert page is not None
    return statistics.median(times), page


def measure(store: DeskStore, stories: int, repeat: int = 5) -> list[tuple[str, float, int]]:
    """(case, median ms, stories on the page) for each paging case."""
    deep = stories // 50  # 98% of the way down the queue
    cases: list[tuple[str, Callable[[], Page]]] = [
        ("first page", lambda: store.page(limit=50)),
        (f"deep page (before #{deep})", lambda: store.page(before=deep, limit=50)),
        ("state=failed, first page", lambda: store.page(state=DeliveryState.FAILED, limit=50)),
        (f"state=failed, before #{deep}",
         lambda: store.page(state=DeliveryState.FAILED, before=deep, limit=50)),
        ("state=needs_review + target=xa",
         lambda: store.page(state=DeliveryState.NEEDS_REVIEW, target="xa", limit=50)),
        ("target=xa, deep page", lambda: store.page(target="xa", before=deep, limit=50)),
        ("text 'bridge' (1 in 1,000)", lambda: store.page(text="bridge", limit=50)),
    ]
    out = []
    for name, call in cases:
        ms, page = timed(call, repeat)
        out.append((name, ms, len(page.stories)))
    return out


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """A database URL to fill: a temporary SQLite file, or a new PostgreSQL database."""
    if url is None or not url.startswith("postgresql"):
        yield url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        return
    name = f"crosspost_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> None:
    """Fill, then time every case and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stories", type=int, default=50_000)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    with scratch_database(args.database_url) as url:
        run(url, args.stories)


def run(url: str, stories: int) -> None:
    """Fill the database at ``url`` and print the timings."""
    engine = make_engine(url)
    upgrade(engine)
    began = time.perf_counter()
    fill(engine, stories)
    print(f"{url.split(':')[0]}: {stories:,} stories, {2 * stories:,} deliveries "
          f"(filled in {time.perf_counter() - began:.1f} s)\n")
    print("| case | median ms | stories |\n|---|---:|---:|")
    store = DeskStore(engine=engine)
    row: Any
    for row in measure(store, stories):
        print(f"| {row[0]} | {row[1]:.1f} | {row[2]} |")
    engine.dispose()


if __name__ == "__main__":
    main()
