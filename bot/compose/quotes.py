"""Quote marks and brackets: which are open after a piece of text, and whether a text balances.

Pairs: ``“…”``, ``„…“`` / ``„…”``, ``«…»``, straight ``"…"``, ``(…)`` and ``[…]``. A straight
quote opens when it follows a space, the start or an opening mark and is followed by a
non-space; otherwise it closes. Newspaper style re-opens a quotation at each new paragraph
without closing the one before (``“We will rebuild. ⏎ “This is our home,” she said.``): an
opening mark of the same kind as the innermost open one re-opens it instead of nesting, so a
quotation whose paragraphs are joined with a space still balances. Single quotes are ignored
(they are apostrophes far more often than quotes).
"""

from __future__ import annotations

import re

__all__ = ["MARKS", "OPENERS", "balanced", "open_marks"]

OPENERS = "“„«\"(["
_CLOSERS = {"”": "“„", "»": "«", ")": "(", "]": "["}  # and "“" closes "„"
MARKS = re.compile(r"[“”„«»\"()\[\]]")


def open_marks(text: str, stack: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """The marks still open after ``text`` (starting from ``stack``), innermost last.

    ``None`` when a closing mark has no opening one: the text cannot balance.
    """
    opened = list(stack)
    for m in MARKS.finditer(text):
        ch = m.group()
        if ch == '"' and not _opens(text, m.start()):
            if opened and opened[-1] == '"':
                opened.pop()
                continue
            return None
        if ch == "“":
            if opened and opened[-1] == "„":
                opened.pop()
                continue
        elif ch in _CLOSERS:
            if opened and opened[-1] in _CLOSERS[ch]:
                opened.pop()
                continue
            return None
        if opened and opened[-1] == ch and ch in "“„«\"":
            continue  # a new paragraph of the same quotation re-opens it
        opened.append(ch)
    return tuple(opened)


def _opens(text: str, i: int) -> bool:
    """Does the straight quote at ``i`` open a quotation (after a space, an opening mark or a
    dash, and not before a space)?"""
    before = text[i - 1] if i else " "
    after = text[i + 1] if i + 1 < len(text) else " "
    return (before.isspace() or before in OPENERS or before in "—–-") and not after.isspace()


def balanced(text: str) -> bool:
    """Whether every quote mark and bracket in ``text`` is closed, in order."""
    return open_marks(text) == ()
