"""Several workers on one PostgreSQL database: an even split of the targets, a fair share for a
new worker within one lease time, and an immediate hand-over by a worker that stops cleanly."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine

from bot.config.load import load_settings
from bot.daemon.service import Daemon
from bot.domain.shares import fair_shares
from bot.reports.status import status_data, status_text
from bot.store.leases import live_workers
from bot.wiring import build_app, build_daemon
from tests.conftest import emptied

TARGETS = [f"t{i}" for i in range(6)]
LEASE = 4.0


def test_shares_are_even_and_move_little() -> None:
    """Any number of workers gets an even split; adding a fourth worker to three moves only
    the targets the newcomer takes."""
    targets = [f"chan-{i}" for i in range(50)]
    for n in range(1, 9):
        share = fair_shares(targets, [f"w{i}" for i in range(n)])
        counts = Counter(share.values())
        assert set(share) == set(targets)
        assert max(counts.values()) - min(counts.values()) <= 1 and len(counts) == min(n, 50)
    three = fair_shares(targets, ["a", "b", "c"])
    four = fair_shares(targets, ["a", "b", "c", "d"])
    moved = {t for t in targets if three[t] != four[t]}
    assert len(moved) <= 2 * (50 // 4 + 1)  # not a reshuffle of everything
    assert fair_shares(targets, []) == {}
    assert fair_shares(targets, ["b", "a"]) == fair_shares(reversed(targets), ["a", "b"])


def _config(root: Path, db: str) -> Path:
    """Six dry-run targets on PostgreSQL with a short lease."""
    body = [f'database_url = "{db}"', f'outbox_dir = "{root}/outbox"',
            f"[workers]\nlease_seconds = {LEASE}"]
    body += [f'[[targets]]\nname = "{t}"\nplatform = "telegram"\nchat = "@{t}"' for t in TARGETS]
    cfg = root / "c.toml"
    cfg.write_text("\n".join(body) + "\n")
    return cfg


def _daemon(cfg: Path) -> Daemon:
    """A worker with its own runtime and engine, as a separate process would have."""
    return build_daemon(build_app(load_settings(cfg, env_file=None)), echo=False)


def test_new_worker_gets_a_fair_share_and_a_clean_stop_hands_over(
    tmp_path: Path, postgres_url: str
) -> None:
    """A second worker holds three of six targets within one lease time of starting (and
    `status` lists both with their targets); when it stops cleanly, the first holds all six
    again at once (well within a lease time)."""
    emptied(postgres_url)
    engine = create_engine(postgres_url)
    cfg = _config(tmp_path, postgres_url)
    first, second = _daemon(cfg), _daemon(cfg)

    def held() -> list[list[str]]:
        return [w.targets for w in live_workers(engine, LEASE)]

    def shares() -> list[int]:
        return sorted(len(w.targets) for w in live_workers(engine, LEASE))

    async def until(predicate, seconds: float) -> float | None:  # type: ignore[no-untyped-def]
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if await asyncio.to_thread(predicate):
                return time.monotonic() - started
            await asyncio.sleep(0.05)
        return None

    async def scenario() -> None:
        one = asyncio.create_task(first.run())
        try:
            assert await until(lambda: shares() == [6], 3 * LEASE) is not None, held()
            two = asyncio.create_task(second.run())
            assert first.crew is not None

            def fair() -> bool:
                owned = [len(d.crew.owned) for d in (first, second) if d.crew is not None]
                return shares() == [3, 3] and owned == [3, 3]

            took = await until(fair, LEASE)
            assert took is not None, held()
            assert second.crew is not None and not first.crew.owned & second.crew.owned
            app = first.app
            report = await asyncio.to_thread(
                status_data, settings=app.settings, clock=app.clock, queue=app.queue,
                state=app.state, engine=app.engine)
            assert sorted(len(w["targets"]) for w in report["workers"]) == [3, 3]
            assert {w["pid"] for w in report["workers"]} == {os.getpid()}
            assert all(w["heartbeat_age"] < LEASE for w in report["workers"])
            assert "workers: 2 live" in status_text(report, "UTC")
            assert first.crew.status()["targets"] == sorted(first.crew.owned)
            second.stop()
            await two
            back = await until(lambda: shares() == [6], LEASE)
            assert back is not None and back < LEASE / 2, held()
        finally:
            first.stop()
            await one

    try:
        asyncio.run(scenario())
        assert live_workers(engine, LEASE) == []
    finally:
        first.app.dispose()
        second.app.dispose()
        engine.dispose()
