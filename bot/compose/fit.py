"""Cutting text to a budget, only at word boundaries, with an ellipsis.

A word boundary is a space, or the gap between two CJK characters (those scripts write no spaces).
Nothing is cut inside a word, a link, an emoji sequence or an HTML entity: fragments are cut as
plain text and escaped afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["ELLIPSIS", "cut_points", "truncate"]

ELLIPSIS = "…"
_TRAILING = re.compile(r"[\s,;:—–\-(\[{\"'“‘«]+$")
_JOINERS = "\u200c\u200d\ufe0e\ufe0f\u20e3"


def _is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x2E80 <= cp <= 0x9FFF
        or 0xAC00 <= cp <= 0xD7AF
        or 0xF900 <= cp <= 0xFAFF
        or 0xFF00 <= cp <= 0xFFEF
        or 0x20000 <= cp <= 0x3FFFF
    )


def cut_points(text: str) -> list[int]:
    """Indices where ``text`` may be cut (the cut keeps ``text[:i]``), in increasing order."""
    points: list[int] = []
    n = len(text)
    for i in range(1, n):
        ch, prev = text[i], text[i - 1]
        if (ch.isspace() and not prev.isspace()) or (
            _is_cjk(prev)
            and (_is_cjk(ch) or not ch.isalnum())
            and ch not in _JOINERS
            and not ("\U000e0000" <= ch <= "\U000e007f")
            and not ("\U0001f3fb" <= ch <= "\U0001f3ff")
        ):
            points.append(i)
    return points


def truncate(
    text: str,
    budget: int,
    measure: Callable[[str], int] = len,
    ellipsis: str = ELLIPSIS,
) -> str:
    """The longest word-boundary prefix of ``text`` that, with ``ellipsis``, fits ``budget``.

    Returns ``text`` itself when it fits and ``""`` when not even one word does.
    """
    if measure(text) <= budget:
        return text
    points = cut_points(text)
    if not points:
        return ""

    def candidate(i: int) -> str:
        head = _TRAILING.sub("", text[: points[i]])
        return head + ellipsis if head else ""

    lo, hi = 0, len(points) - 1
    best = -1
    while lo <= hi:
        mid = (lo + hi) // 2
        if measure(candidate(mid)) <= budget:
            best = mid
            lo = mid + 1
        else:
            hi = mid - 1
    # Lengths are nearly monotone (a link cut short may count differently): confirm downwards.
    for i in range(min(best + 2, len(points) - 1), -1, -1):
        c = candidate(i)
        if c and measure(c) <= budget:
            return c
    return ""
