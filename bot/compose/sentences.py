"""A fast rule-based sentence splitter for news (English, Ukrainian, Russian; others reasonably).

It knows abbreviations (``U.S.``, ``Mr.``, ``Dr.``, ``St.``, ``No. 5``, ``вул.``, ``т. д.``),
initials (``J. K. Rowling``, ``Т. Шевченко``), decimals and money (no space after the point),
ellipses (a break only before a capital), quotes (closing quotes stay with their sentence; a
lowercase word after ``?”`` continues it), list items (one sentence each), and the CJK full
stops. Every sentence it returns is a verbatim slice of its paragraph.

``split_blocks`` keeps a quotation of several sentences together as one unit, including the
newspaper style that runs a quotation over paragraphs with no closing mark until the last one; a
unit whose quote marks or brackets never balance is marked ``whole=False`` and never summarised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple

from bot.compose.clean import Block
from bot.compose.quotes import MARKS, open_marks
from bot.compose.wordlists import words

__all__ = ["MAY_END", "TITLES", "Sentence", "iter_sentences", "split_blocks", "split_sentences"]


class Sentence(NamedTuple):
    """One sentence (or quotation unit): its text, its (first) paragraph's index, its own index
    in the article, and whether its quote marks and brackets balance."""

    text: str
    paragraph: int
    position: int
    whole: bool = True


# Titles and other words a sentence never ends with (a name or a number follows them).
TITLES = words(
    """mr mrs ms mx dr prof st sr jr gen sen rep gov lt col sgt capt cmdr adm maj cpl pvt
    rev fr hon pres supt insp det vol pp fig figs art approx ca cf vs mt ft ave blvd dept
    univ assn e.g i.e
    вул ул просп пр пл пров бульв ім им проф акад ген д-р докт канд доц обл р-н смт м ст
    див напр пор гл рис табл пан пані тов г-н г-жа"""
)
# Abbreviations that may end a sentence: they end one only before a word that starts one
# (``Apple Inc. The company``), as do period-internal ones (``U.S.``, ``a.m.``).
MAY_END = words(
    """etc est inc ltd co corp bros jan feb mar apr jun jul aug sep sept oct nov dec
    т п англ укр рос рус нім лат г гг рр р тис тыс млн млрд грн руб коп дол січ лют бер
    квіт трав черв лип серп вер жовт лист груд янв фев июн июл авг сен сент окт ноя дек
    д др"""
)
# Words that start a sentence after such an abbreviation (pronouns, articles, conjunctions).
_STARTERS = words(
    """the a an he she it they we i you but and in on at as this that these those there his her
    its their our my after before when while if so yet however meanwhile
    він вона воно вони це цей ця ці але проте однак у в на за після його її їх ми я та і
    он она оно они это этот эта эти но однако после его ее их мы и а"""
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
    if bare in TITLES:
        return False
    if len(bare) == 1 and prev[-1:].isalpha() and prev[-1:].isupper():
        return False  # an initial
    if bare in ("no", "nos", "№"):
        return not nxt.isdigit()  # "No. 10"
    if "." in bare or bare in MAY_END:
        following = _FOLLOWING.match(text, nxt_i)
        return bool(following) and following.group(0).lower() in _STARTERS  # type: ignore[union-attr]
    return True


def split_sentences(paragraph: str, limit: int | None = None) -> list[str]:
    """Split one paragraph into sentences; each is a verbatim, stripped slice of it.

    With ``limit``, stop after that many sentences (the rest of the paragraph is not read).
    """
    if limit is None:
        return list(iter_sentences(paragraph))
    return list(islice(iter_sentences(paragraph), limit))


def iter_sentences(paragraph: str) -> Iterator[str]:
    """The sentences of ``split_sentences``, found one at a time."""
    for piece, _ in _pieces(_unbulleted(paragraph)):
        yield piece


def _unbulleted(paragraph: str) -> str:
    """The paragraph stripped, without the bullet or number of a list item."""
    text = paragraph.strip()
    return _BULLET.sub("", text, count=1) if _LIST_ITEM.match(text) else text


def _pieces(text: str) -> Iterator[tuple[str, int]]:
    """Sentences of a stripped paragraph, each with the index in ``text`` where it ends."""
    if not text:
        return
    start = 0
    for m in _boundaries(text):
        if m.end() >= len(text):
            break
        if _ends_here(text, m):
            end = m.end(4) if m.group(4) else m.end(2)
            piece = text[start:end].strip()
            if piece:
                yield piece, end
            start = m.end()
    tail = text[start:].strip()
    if tail:
        yield tail, len(text)


# A quotation unit longer than this many sentences is not kept (nor read further).
MAX_UNIT = 8
_QUOTE_OPENERS = ("“", "„", "«", '"')


def split_blocks(blocks: list[Block], limit: int | None = None) -> list[Sentence]:
    """Sentences of every non-heading paragraph, numbered in article order.

    A quotation or bracket left open at a sentence's end takes the next sentences in with it,
    across paragraphs when the next one re-opens the quotation, until it closes. With ``limit``,
    only the units that start within the first ``limit`` sentences are returned.
    """
    result: list[Sentence] = []
    pending: list[str] = []
    pending_par = 0
    state: tuple[str, ...] = ()
    texts = [(p, b.text) for p, b in enumerate(blocks) if not b.heading]
    search = MARKS.search
    read = 0
    for k, (p, paragraph) in enumerate(texts):
        paragraph = _unbulleted(paragraph)
        # The next quote mark or bracket: a sentence that ends before it has none.
        mark = -1
        for s, end in _pieces(paragraph):
            read += 1
            if limit is not None and read > limit and not pending:
                return result
            if mark < end - len(s):
                found = search(paragraph, end - len(s))
                mark = found.start() if found else len(paragraph)
            if not pending:
                if mark >= end:
                    result.append(Sentence(s, p, len(result)))
                    continue
                after = open_marks(s)
                if after:
                    pending, pending_par, state = [s], p, after
                    continue
                result.append(Sentence(s, p, len(result), after is not None))
            else:
                pending.append(s)
                after = open_marks(s, state)
                if after:
                    state = after
                    if len(pending) < MAX_UNIT:
                        continue
                result.append(Sentence(" ".join(pending), pending_par, len(result), after == ()))
                pending = []
        if pending:
            nxt = texts[k + 1][1] if k + 1 < len(texts) else ""
            ended = pending[-1].rstrip("\"'”’»)]")[-1:] in ".!?…"
            if ended and state[-1] in _QUOTE_OPENERS and nxt.startswith(_QUOTE_OPENERS):
                continue  # the quotation goes on in the next paragraph
            result.append(Sentence(" ".join(pending), pending_par, len(result), False))
            pending = []
    return result
