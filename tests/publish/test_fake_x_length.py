"""The fake X server measures posts with its own weighted-length counter, not the project's."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fakes.x_length import link_spans, tweet_weighted_length
from tests.fakes.x_objects import as_x_shows

FAKES = Path(__file__).resolve().parents[1] / "fakes"
CONFORMANCE = (Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "twitter-text"
               / "validate.yml")


def test_fake_counter_does_not_borrow_the_projects() -> None:
    """tests/fakes/x_length.py imports nothing from bot/, so a bug in our counter cannot pass the fake."""
    tree = ast.parse((FAKES / "x_length.py").read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name == "bot" or name.startswith("bot.") for name in imported), imported
    assert "importlib" not in imported


def _cases() -> list[Any]:
    if not CONFORMANCE.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"conformance file absent: {CONFORMANCE}"))]
    tests = yaml.safe_load(CONFORMANCE.read_text(encoding="utf-8"))["tests"]
    return [pytest.param(case, id=f"{section}-{i}")
            for section in ("WeightedTweetsWithDiscountedEmojiCounterTest",
                            "UnicodeDirectionalMarkerCounterTest")
            for i, case in enumerate(tests[section])]


@pytest.mark.parametrize("case", _cases())
def test_fake_counter_passes_twitter_text_conformance(case: dict[str, Any]) -> None:
    """The fake's own counter gives twitter-text's expected weighted length (emoji parsing on, as X)."""
    assert tweet_weighted_length(case["text"]) == case["expected"]["weightedLength"], case["description"]


@pytest.mark.parametrize(("text", "links"), [
    ("Details at bbc.com/weather, and met.gov.uk.", ["bbc.com/weather", "met.gov.uk"]),
    ("See https://e.org/a?b=1.", ["https://e.org/a?b=1"]),
    ("e.g. v1.2 file.txt me@mail.com", []),
    ("Story at https://city.example/story-1 and http://localhost:8080/x", []),
])
def test_fake_finds_bare_domains_as_x_does(text: str, links: list[str]) -> None:
    """Links with and without a protocol are found (and weigh 23), trailing punctuation left out."""
    assert [text[a:b] for a, b in link_spans(text)] == links


def test_fake_returns_bare_domains_as_t_co_links() -> None:
    """Reading a post back, every link the fake found is a t.co link, as X shows it."""
    shown = as_x_shows("Floods: bbc.com/news & https://e.org/x")
    assert "bbc.com" not in shown and "e.org" not in shown
    assert shown.count("https://t.co/") == 2 and "&amp;" in shown
