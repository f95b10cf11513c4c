"""docs/architecture.md matches the code: every package it names exists, every package is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"


def packages() -> set[str]:
    """Every folder of ``bot/`` that holds Python modules (Alembic's revisions aside)."""
    return {str(p.parent.relative_to(ROOT)) + "/" for p in (ROOT / "bot").rglob("*.py")
            if "versions" not in p.parts and p.parent != ROOT / "bot"}


def named() -> set[str]:
    """Every ``bot/…/`` folder and ``bot/…py`` module the page names."""
    return set(re.findall(r"`(bot/[\w/]*?)(?:[\w]+\.py)?`", DOC.read_text(encoding="utf-8")))


def test_every_package_is_named() -> None:
    """A package added to the code without a line on the map fails here."""
    assert packages() - named() == set()


def test_every_named_path_exists() -> None:
    """A package or module the page names exists in the code."""
    text = DOC.read_text(encoding="utf-8")
    paths = set(re.findall(r"`(bot/[\w/.]*)`", text))
    assert paths, "the page names no path"
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == []
