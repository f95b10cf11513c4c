"""Keyword filters for feeds: whole words or phrases, case-insensitive."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def _pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in keyword.casefold().split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)")


def matches_any(keywords: Iterable[str], texts: Iterable[str]) -> bool:
    """True when any keyword (a word or phrase) occurs in any of ``texts`` as whole words."""
    haystack = "\n".join(texts).casefold()
    return any(_pattern(k).search(haystack) for k in keywords if k.strip())
