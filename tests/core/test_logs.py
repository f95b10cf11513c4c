"""Log lines: an unexpected error keeps its stack in a production (non-verbose) log."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import setup_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the root logger back as pytest had it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _crash(name: str) -> None:
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError:
        logging.getLogger(name).exception("dispatch failed; will try again")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_unexpected_error_keeps_its_stack_without_verbose(
        fmt: str, restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    """log.exception at the default level (no -v) writes the traceback, in text and JSON."""
    setup_logging(fmt, verbose=False)
    _crash("bot.test")
    err = capsys.readouterr().err
    if fmt == "json":
        record = json.loads(err.splitlines()[0])
        assert record["level"] == "error"
        stack = record["exception"]
    else:
        stack = err
    assert "Traceback (most recent call last)" in stack and "RuntimeError: disk on fire" in stack
    assert "_crash" in stack


def test_expected_warnings_stay_one_line(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    """A warning that carries an exception stays one line unless -v asks for more."""
    setup_logging("text", verbose=False)
    try:
        raise ValueError("feed answered 500")
    except ValueError as exc:
        logging.getLogger("bot.test").warning("feed failed", exc_info=exc)
    assert capsys.readouterr().err.count("\n") == 1


def test_a_skipped_dispatch_is_no_warning(caplog: pytest.LogCaptureFixture) -> None:
    """The daemon's scheduler says nothing when a dispatch run is skipped because runs are
    already going (the running ones start what is due and schedule the next); any other job
    skipped that way is still a warning."""
    import asyncio
    from datetime import UTC, datetime

    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.date import DateTrigger

    from bot.daemon.service import _scheduler_log

    async def main() -> None:
        scheduler = AsyncIOScheduler(timezone=UTC, logger=_scheduler_log())
        scheduler.start()
        gate = asyncio.Event()

        async def busy() -> None:
            await gate.wait()

        for _ in range(2):  # the second run of each job finds the first still going
            for job in ("dispatch", "feeds"):
                scheduler.add_job(busy, DateTrigger(datetime.now(UTC)), id=job,
                                  max_instances=1, replace_existing=True)
            await asyncio.sleep(0.3)
        gate.set()
        await asyncio.sleep(0.1)
        scheduler.shutdown(wait=False)

    with caplog.at_level(logging.WARNING):
        asyncio.run(main())
    skipped = [r.args[0].id for r in caplog.records  # type: ignore[index, union-attr]
               if "skipped: maximum number of running instances" in r.getMessage()]
    assert skipped == ["feeds"]
