"""A fast rule-based sentence splitter for news (English, Ukrainian, Russian; others reasonably).

It knows abbreviations (``U.S.``, ``Mr.``, ``Dr.``, ``St.``, ``No. 5``, ``вул.``, ``т. д.``),
initials (``J. K. Rowling``, ``Т. Шевченко``), decimals and money (no space after the point),
ellipses (a break only before a capital), quotes (closing quotes stay with their sentence; a
lowercase word after ``?”`` continues it), list items (one sentence each), and the CJK full
stops. Every sentence it returns is a verbatim slice of its paragraph.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from bot.compose.clean import Block
from bot.compose.wordlists import words

__all__ = ["Sentence", "split_blocks", "split_sentences"]


class Sentence(NamedTuple):
    """One sentence: its text, its paragraph's index and its own index in the article."""

    text: str
    paragraph: int
    position: int


# Titles and words after which a period never ends a sentence.
_NEVER_END = words(
    """mr mrs ms mx dr prof st sr jr gen sen rep gov lt col sgt capt cmdr adm maj cpl pvt
    rev fr hon pres supt insp det no nos vol pp fig figs art approx ca cf vs etc mt ft ave
    blvd jan feb mar apr jun jul aug sep sept oct nov dec est dept univ assn bros corp inc ltd co
    вул ул просп пр пл пров бульв ім им проф акад ген д-р докт канд доц обл р-н смт м ст див
    напр т п пор гл рис табл англ укр рос рус нім лат пан пані тов г гг рр р тис тыс млн млрд
    грн руб коп дол січ лют бер квіт трав черв лип серп вер жовт лист груд янв фев апр
    июн июл авг сен сент окт ноя дек"""
)
# Period-internal abbreviations (``U.S.``) end a sentence only before one of these words.
_STARTERS = words(
    """the a an he she it they we i you but and in on at as this that these those there his her
    its their our my after before when while if so yet however meanwhile officials police
    president its mr mrs ms dr"""
)
_BOUNDARY = re.compile(r"(\.{2,}|…|[.!?]+[!?.]*)([\"'”’»)\]]*)(\s+)(?=\S)|([。！？]+[」』”’)）]*)")
# Every boundary starts with one of these; finding them first is much faster than a full scan.
_BOUNDARY_START = re.compile(r"[.!?…。！？]")
_WORD_CHARS = re.compile(r"[\w.'’-]*")
_FOLLOWING = re.compile(r"[\w']+")
_BULLET = re.compile(r"^\s*(?:[-*•·▪–]|\d{1,3}[.)])\s+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪]|\d{1,3}[.)])\s+")


def _boundaries(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_BOUNDARY.finditer(text)``, tried only where a boundary can start."""
    pos = 0
    while True:
        found = _BOUNDARY_START.search(text, pos)
        if found is None:
            return
        m = _BOUNDARY.match(text, found.start())
        if m is None:
            pos = found.start() + 1
            continue
        yield m
        pos = m.end()


def _word_before(text: str, cut: int) -> str:
    """The run of word characters, dots, apostrophes and hyphens (at most 40) ending at ``cut``."""
    window = max(0, cut - 40)
    prev = text[text.rfind(" ", window, cut) + 1 or window : cut]
    if prev.isalnum():  # the usual case: a plain word after a space
        return prev
    run = _WORD_CHARS.match(text[window:cut][::-1])
    return run.group(0)[::-1] if run else ""


def _ends_here(text: str, m: re.Match[str]) -> bool:
    if m.group(4):
        return True
    punct = m.group(1)
    nxt_i = m.end()
    nxt = text[nxt_i]
    if nxt.islower():
        return False
    if punct in ("!", "?") or (len(punct) > 1 and "." not in punct[:1]):
        return True
    if punct != ".":
        # Ellipsis: a break only before a capital (or a non-cased script).
        return not nxt.islower()
    if m.group(2):
        return True
    prev = _word_before(text, m.start(1))
    bare = prev.strip("'’-").lower()
    if not bare:
        return True
    if bare in _NEVER_END:
        return False
    if len(bare) == 1 and prev[-1:].isalpha() and prev[-1:].isupper():
        return False  # an initial
    if "." in bare:
        following = _FOLLOWING.match(text, nxt_i)
        return bool(following) and following.group(0).lower() in _STARTERS  # type: ignore[union-attr]
    return True


def split_sentences(paragraph: str, limit: int | None = None) -> list[str]:
    """Split one paragraph into sentences; each is a verbatim, stripped slice of it.

    With ``limit``, stop after that many sentences (the rest of the paragraph is not read).
    """
    text = paragraph.strip()
    if not text:
        return []
    if _LIST_ITEM.match(text):
        text = _BULLET.sub("", text, count=1)
    out: list[str] = []
    start = 0
    for m in _boundaries(text):
        if m.end() >= len(text):
            break
        if _ends_here(text, m):
            end = m.end(4) if m.group(4) else m.end(2)
            piece = text[start:end].strip()
            if piece:
                out.append(piece)
                if limit is not None and len(out) >= limit:
                    return out
            start = m.end()
    tail = text[start:].strip()
    if tail and (limit is None or len(out) < limit):
        out.append(tail)
    return out


def split_blocks(blocks: list[Block], limit: int | None = None) -> list[Sentence]:
    """Sentences of every non-heading paragraph, numbered in article order (the first ``limit``)."""
    result: list[Sentence] = []
    for p, block in enumerate(blocks):
        if block.heading:
            continue
        for s in split_sentences(block.text, limit=None if limit is None else limit - len(result)):
            result.append(Sentence(s, p, len(result)))
        if limit is not None and len(result) >= limit:
            return result[:limit]
    return result
