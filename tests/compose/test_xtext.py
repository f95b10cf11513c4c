"""X weighted length: the twitter-text conformance suite and our own cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.compose import weighted_length
from bot.compose.xtext import link_spans

CONFORMANCE = (
    Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "twitter-text" / "validate.yml"
)


def _cases() -> list[Any]:
    if not CONFORMANCE.exists():
        return [
            pytest.param(
                None,
                None,
                marks=pytest.mark.skip(reason=f"twitter-text conformance file absent: {CONFORMANCE}"),
                id="conformance-absent",
            )
        ]
    tests = yaml.safe_load(CONFORMANCE.read_text(encoding="utf-8"))["tests"]
    params = []
    for section, emoji in (
        ("WeightedTweetsCounterTest", False),
        ("WeightedTweetsWithDiscountedEmojiCounterTest", True),
        ("UnicodeDirectionalMarkerCounterTest", True),
    ):
        for i, case in enumerate(tests[section]):
            params.append(
                pytest.param(
                    case,
                    emoji,
                    id=f"{section}-{i}-{case['description'][:40]}",
                )
            )
    return params


@pytest.mark.parametrize(("case", "emoji"), _cases())
def test_conformance_weighted_length(case: dict[str, Any], emoji: bool) -> None:
    """Every weighted-length case of twitter-text's validate.yml gives the expected length."""
    got = weighted_length(case["text"], emoji_parsing=emoji)
    assert got == case["expected"]["weightedLength"], case["description"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("abc", 3),
        ("привіт", 6),
        ("日本", 4),
        ("see example.com now", 4 + 23 + 4),
        ("https://example.org/a/b?x=1 ok", 23 + 3),
        ("bbc.co.uk/news", 23),
        ("example.de", 10),
        ("www.example.de", 23),
        ("t.co", 23),
        ("🧑🏽‍🚀", 2),
        ("🫨🫨", 4),
        ("🇺🇦", 2),
        ("#️⃣", 2),
        ("a\u200bb", 3),
    ],
)
def test_weighted_length_cases(text: str, expected: int) -> None:
    """Links count 23, emoji sequences 2, CJK 2, Cyrillic 1, bare ccTLD names are not links."""
    assert weighted_length(text) == expected


def test_link_spans_cover_the_whole_url() -> None:
    """A linked URL's span ends where twitter-text ends it (trailing period excluded)."""
    text = "Read https://news.example.com/a-story."
    (span,) = link_spans(text)
    assert text[span[0] : span[1]] == "https://news.example.com/a-story"
