"""Three workers on one PostgreSQL database, killed with SIGKILL and restarted at random while
they publish to six targets on the fake servers: nothing twice, nothing lost."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import emptied
from tests.e2e.live import copies, deliveries, live_project, queue_stories, start_daemon, wait_until
from tests.fakes.fixtures import make_telegram_server, make_x_server  # noqa: F401
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import TelegramConfig

pytestmark = pytest.mark.slow
STORIES = 600
WORKERS = 3
KILLS = 12
CHATS = ("@c0", "@c1", "@c2", "@c3", "@c4")
LEASE = 3

def _targets() -> str:
    chats = [f'[[targets]]\nname = "tg-{c[1:]}"\nplatform = "telegram"\nchat = "{c}"'
             for c in CHATS]
    return "\n".join([*chats, '[[targets]]\nname = "xa"\nplatform = "x"'])


def _progress(db: str) -> dict[str, tuple[int, int]]:
    """Per target: (published, still pending or sending), straight from the database."""
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT target, sum(CASE WHEN state = 'published' THEN 1 ELSE 0 END), "
                "sum(CASE WHEN state IN ('pending', 'sending') THEN 1 ELSE 0 END) "
                "FROM deliveries GROUP BY target")).all()
    finally:
        engine.dispose()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def test_three_workers_survive_random_sigkills(
    tmp_path: Path, postgres_url: str, make_telegram_server, make_x_server  # noqa: F811
) -> None:
    """600 stories to six targets by three workers while workers are SIGKILLed and restarted
    twelve times: no post reaches a chat or account twice, every delivery ends published (or
    needs_review where a kill hit a Telegram send), and every target keeps publishing."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    emptied(postgres_url)
    tg: FakeServer = make_telegram_server(TelegramConfig(chats=CHATS))
    x: FakeServer = make_x_server()
    p = live_project(tmp_path / "p", tg, x, database_url=postgres_url,
                     extra=f"[workers]\nlease_seconds = {LEASE}", targets=_targets())
    queue_stories(p, STORIES)
    names = [f"tg-{c[1:]}" for c in CHATS] + ["xa"]
    procs: list[subprocess.Popen[bytes]] = [start_daemon(p, f"w{i}.log") for i in range(WORKERS)]
    stalled: list[str] = []
    try:
        assert wait_until(lambda: all("took targets" in (p.root / f"w{i}.log").read_text()
                                      for i in range(WORKERS)), 60)
        for kill in range(KILLS):
            time.sleep(rng.uniform(1.0, 2.5))
            before = _progress(postgres_url)
            victim = rng.randrange(WORKERS)
            procs[victim].send_signal(signal.SIGKILL)
            procs[victim].wait(timeout=10)
            # the two left take the dead one's targets within a lease time; all keep going
            time.sleep(2 * LEASE + 1)
            after = _progress(postgres_url)
            # a target with posts still to send must have published some in the meantime
            stalled += [f"{n} after kill {kill}" for n in names
                        if after[n][1] > 0 and after[n][0] == before[n][0]]
            procs[victim] = start_daemon(p, f"w{victim}-{kill}.log")
        done = wait_until(lambda: all(d["state"] in ("published", "needs_review")
                                      for d in deliveries(p)), 180)
        assert done, f"seed {seed}"
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
    seen = copies(tg, x)
    assert max(seen.values()) == 1, f"a post went out twice (seed {seed})"
    ds = deliveries(p)
    assert len(ds) == STORIES * len(names)
    where = {f"tg-{c[1:]}": c for c in CHATS} | {"xa": "x"}
    for d in ds:
        story = d["url"].rsplit("-", 1)[1]
        if d["state"] == "published":
            assert seen[(where[d["target"]], story)] == 1, (d, seed)
        else:
            assert d["target"] != "xa", (d, seed)  # X is asked, never left for review
    assert stalled == [], f"targets that stopped publishing while workers lived (seed {seed})"
