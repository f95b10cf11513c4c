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
