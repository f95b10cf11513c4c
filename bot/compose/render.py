"""What both platforms share: preparing a story once, hashtags, and fitting text to a limit."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.compose.clean import clean_blocks, normalize
from bot.compose.fit import truncate
from bot.compose.lang import detect_language
from bot.compose.sentences import split_blocks
from bot.compose.summarize import CANDIDATES, Scored, score_sentences

__all__ = ["Build", "Prepared", "fit", "hashtag", "link_label", "prepare", "shrink"]

_LABELS = {
    "en": "Read more",
    "uk": "Читати далі",
    "ru": "Читать далее",
    "de": "Weiterlesen",
    "fr": "Lire la suite",
    "es": "Leer más",
    "it": "Leggi di più",
    "pt": "Leia mais",
    "pl": "Czytaj dalej",
}
_TAG_DROP = re.compile(r"[^\w]+")

Build = Callable[[str, Sequence[str], Sequence[str]], str]


@dataclass(frozen=True)
class Prepared:
    """A story cleaned, split, scored and labelled once, reused for every target."""

    title: str
    scored: tuple[Scored, ...]
    language: str
    cleaned: str


def link_label(language: str) -> str:
    """A short "Read more" in ``language`` (English when unknown)."""
    return _LABELS.get(language, _LABELS["en"])


def hashtag(tag: str) -> str:
    """``tag`` as a hashtag (``#NewYork``), or ``""`` when nothing usable is left."""
    body = _TAG_DROP.sub("", unicodedata.normalize("NFC", tag).replace("#", ""))
    if not body or body.isdigit() or len(body) > 60:
        return ""
    return "#" + body


@lru_cache(maxsize=128)
def prepare(title: str, text: str, language: str | None) -> Prepared:
    """Clean, split and score a story (cached: both platforms share the work)."""
    clean_title = " ".join(normalize(title).split())
    blocks = clean_blocks(text)
    sentences = split_blocks(blocks, limit=CANDIDATES)
    lang = language or detect_language(clean_title + " " + " ".join(b.text for b in blocks[:5]))
    scored = tuple(score_sentences(sentences, clean_title))
    cleaned = "\n\n".join(b.text for b in blocks)
    return Prepared(clean_title, scored, lang, cleaned)


def shrink(size: Callable[[str], int], text: str, limit: int, measure: Callable[[str], int]) -> str:
    """Cut ``text`` at a word boundary so that ``size(cut) <= limit``; ``""`` if impossible."""
    if not text or size(text) <= limit:
        return text
    overhead = size("")
    budget = limit - overhead
    for _ in range(8):
        if budget <= 0:
            return ""
        cut = truncate(text, budget, measure)
        if not cut:
            return ""
        over = size(cut) - limit
        if over <= 0:
            return cut
        budget -= max(over, 1)
    return ""


def fit(
    build: Build,
    size: Callable[[str], int],
    limit: int,
    title: str,
    sentences: Sequence[str],
    tags: Sequence[str],
    measure: Callable[[str], int],
) -> tuple[str, int] | None:
    """Render within ``limit``: fewer sentences, then a shorter title (a sentence is never cut).

    Hashtags are added only while they fit. Returns the text and how many sentences it kept,
    or ``None`` when even the bare layout is too long.
    """

    def total(t: str, s: Sequence[str], h: Sequence[str]) -> int:
        return size(build(t, s, h))

    k = len(sentences)
    size_k = total(title, sentences, ())
    while k > 0 and size_k > limit:
        k -= 1
        size_k = total(title, sentences[:k], ())
    chosen: list[str] = list(sentences[:k])
    fits = size_k <= limit  # measured for exactly ``title`` and ``chosen``
    if not fits:
        title = shrink(lambda x: total(x, chosen, ()), title, limit, measure)
        if total(title, chosen, ()) > limit:
            return None
    used: list[str] = []
    for tag in tags:
        if total(title, chosen, [*used, tag]) <= limit:
            used.append(tag)
    return build(title, chosen, used), k
