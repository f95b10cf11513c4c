"""An extractive, deterministic summarizer: score sentences, drop near-duplicates, fill a budget.

Scores combine position (news puts the point first), centrality (overlap with the article's
frequent words), overlap with the title and information density (numbers, names), minus penalties
for questions, quotes without attribution, captions, fragments and very long sentences. The best
set that fits the budget is kept in the article's order, under the editorial rules
(``bot.compose.editorial``): a sentence that leans on the one before it (``He …``, ``But …``, a
quotation without its speaker, or whose speaker is only ``he`` or ``she``) comes only right
after that one; a question, a sentence without end punctuation, with unbalanced quote marks or
brackets, starting in lowercase or in an interview's question or answer is never taken.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import NamedTuple

from bot.compose.editorial import LEANING_FIRSTS, attributed, ends_sentence, leaning_word, quotation, speaker
from bot.compose.sentences import Sentence
from bot.compose.wordlists import words

__all__ = ["CANDIDATES", "Scored", "score_sentences", "select"]

# Only the first sentences are candidates: news puts its point first, and the rest is not read.
CANDIDATES = 18

_WORD3 = re.compile(r"[^\W_]{3,}")
_STOP = words(
    """a an the and or but if of to in on at by for with from as is are was were be been being it
    its this that these those he she they we you i his her their our my your them him us not no
    so than then there here what which who whom whose when where why how all any each more most
    other some such only own same too very can will just should would could may might must has
    have had do does did said says say also about after before over into out up down new one two
    year years told mr mrs ms
    і й та що як це він вона вони ми ви я його її їх але від до про для на у в з із за по не
    також було був була були буде бути які який яка яке цей ця ці того тому коли де хто чи або
    и что как это он она они мы вы я его ее их но от до про для на у в с со за по не также было
    был была были будет быть которые который которая это этот эта эти того тому когда где кто ли
    или"""
)
_CAPTION_PAREN = re.compile(
    r"\((?:pictured|left|right|centre|center|top|bottom|above|below|inset|file photo)\b[^)]*\)", re.I
)
_CAPTION_WORD = re.compile(r"\bpictured\b", re.I)
_CAPTION_LABEL = re.compile(r"[A-Z][\w'’-]*(?:\s+[\w'’-]+){0,3}:\s", re.I)
_OPEN_QUOTE = "\"'“‘«„"
_END = ".!?"
_INTERVIEW = re.compile(r"(?:Q|A|Question|Answer|Питання|Відповідь|Вопрос|Ответ)\s*[:.)—–-]\s")
_STEM = itemgetter(slice(0, 6))
_FIRST = itemgetter(0)


# Weights of the score's parts, tuned on the tuning half of the dev sets only
# (`bench/compose_bench.py --tune`; see docs/benchmarks.md).
W_POSITION = 1.0
W_CENTRALITY = 0.3
W_TITLE = 0.5
W_DENSITY = 0.1
POSITION_DECAY = 0.8
LONG_WORDS = 80
LONG_PENALTY = 0.25
SHORT_WORDS = 3  # fewer words than this is a fragment; "No one was injured." is news
SHORT_PENALTY = 0.5
# How many sentences before a leaning one may be brought in with it.
MAX_CHAIN = 2


def _stems(text: str) -> set[bytes]:
    """Six-letter stems (UTF-8) of the content words (three letters or more, not stop words)."""
    return {w[:6].encode() for w in _WORD3.findall(text.lower()) if w not in _STOP}


# ASCII sentences skip the regex: letters and digits lowercased, every other byte a space.
_ASCII_WORDS = bytes(c if chr(c).isalnum() and c < 128 else 32 for c in range(256)).lower()
# Letter classes: lowercase "a", uppercase or digit "A", anything else a space.
_ASCII_CLASSES = bytes(
    97 if chr(c).islower() and c < 128 else 65 if chr(c).isalnum() and c < 128 else 32 for c in range(256)
)
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
# Stop words and every word shorter than three characters (not content words).
_ASCII_SKIP = frozenset(
    {w.encode() for w in _STOP if w.isascii()} | {(a + b).encode() for a in _ALNUM for b in ("", *_ALNUM)}
)
# A word of three or more characters whose first is not lowercase, after a space in the classes.
_DENSE = re.compile(rb" A[aA][aA]")


# Anything beyond ASCII but typographic marks (none of them a word character).
_NOT_TYPOGRAPHY = re.compile("[^\x00-\x7f“”‘’«»„—–…£€•·\u00a0]")


def _ascii_features(text: str) -> tuple[frozenset[bytes], int]:
    """``_features`` of one ASCII text by byte translation (same result, no regex)."""
    return _byte_features(text.encode("ascii"))


def _byte_features(raw: bytes) -> tuple[frozenset[bytes], int]:
    """``_ascii_features`` of ASCII bytes."""
    stems = frozenset(map(_STEM, set(raw.translate(_ASCII_WORDS).split()) - _ASCII_SKIP))
    classes = b" " + raw.translate(_ASCII_CLASSES)
    return stems, len(_DENSE.findall(classes))


def _features(texts: Sequence[str]) -> list[tuple[frozenset[bytes], int]]:
    """Per text: stems (as ``_stems``) and the number of capitalised or numeric words."""
    out: list[tuple[frozenset[bytes], int]] = []
    for text in texts:
        if text.isascii():
            out.append(_byte_features(text.encode("ascii")))
            continue
        if _NOT_TYPOGRAPHY.search(text) is None:
            # Only typographic marks beyond ASCII, none a word character: as "?" they read alike.
            out.append(_byte_features(text.encode("ascii", "replace")))
            continue
        tokens = _WORD3.findall(text)
        words = set(" ".join(tokens).lower().split()) - _STOP
        stems = frozenset(map(str.encode, map(_STEM, words)))
        # Dense words: capitalised or numeric (their first character is not a lowercase letter).
        out.append((stems, len(tokens) - sum(map(str.islower, map(_FIRST, tokens)))))
    return out


class Scored(NamedTuple):
    """A sentence with its score and content-word stems; whether it may be taken at all, and
    whether it leans on the sentence before it."""

    sentence: Sentence
    score: float
    stems: frozenset[bytes]
    usable: bool = True
    leans: bool = False


@lru_cache(maxsize=64)
def _logs(n: int) -> tuple[float, ...]:
    """``log(df)`` for every document frequency ``df`` from 0 to ``n``."""
    return (0.0, *(math.log1p(df - 1) for df in range(1, n + 1)))


def score_sentences(sentences: Sequence[Sentence], title: str) -> list[Scored]:
    """Score every sentence of an article; higher is a better summary sentence."""
    features = _features([s.text for s in sentences])
    stem_sets = [f[0] for f in features]
    doc = Counter(chain.from_iterable(stem_sets))
    log_df = map(_logs(len(sentences)).__getitem__, doc.values())
    weight = dict(zip(doc, log_df, strict=True)).__getitem__
    title_stems = _stems(title)
    penalty_no_words = 0.5 if len(sentences) > 1 else 0.0
    raw_cent = [
        sum(map(weight, stems)) / math.sqrt(len(stems) + 4) if stems else 0.0 for stems in stem_sets
    ]
    top = max(raw_cent, default=0.0) or 1.0
    positions = _positions(max((s.position for s in sentences), default=-1) + 1)
    w_position, w_centrality, w_density = W_POSITION, W_CENTRALITY / top, W_DENSITY
    out: list[Scored] = []
    append = out.append
    previous = ""
    interview = -1
    for s, (uniq, dense), cent in zip(sentences, features, raw_cent, strict=True):
        text = s.text
        first = text[:1]
        if '"' not in text and "“" not in text and "«" not in text and "„" not in text:
            quoting = False
            who = speaker(text) if first in _OPEN_QUOTE else ""
        else:
            quoting = quotation(text)
            who = speaker(text) if quoting or first in _OPEN_QUOTE else ""
        if ":" in text[:12] and _INTERVIEW.match(text) is not None:
            interview = s.paragraph  # a question or an answer, to its paragraph's end
        if quoting and not who and not (previous[-1:] == ":" or attributed(previous)):
            usable = False  # a quotation whose speaker is nowhere near
        else:
            usable = (
                s.whole
                and (text[-1] in _END or ends_sentence(text))
                and text[-1] != "?"
                and not first.islower()
                and s.paragraph != interview
            )
        leans = (quoting and who != "named") or (
            text[: text.find(" ")] in LEANING_FIRSTS and leaning_word(text) is not None
        )
        previous = text
        nwords = text.count(" ") + 1  # cleaned text: single spaces, no edge spaces
        score = (
            w_position * positions[s.position]
            + w_centrality * cent
            + w_density * (dense / (nwords + 1))
        )
        if title_stems:
            score += W_TITLE * len(uniq & title_stems) / len(title_stems)
        if text[-1] == "?":
            score -= 0.4
        if first in _OPEN_QUOTE and not who:
            score -= 0.35
        if ("(" in text or ":" in text or "ictured" in text) and _caption(text):
            score -= 0.35
        if nwords < SHORT_WORDS:
            score -= SHORT_PENALTY
        elif nwords > LONG_WORDS:
            score -= LONG_PENALTY
        if not uniq:
            score -= penalty_no_words
        append(Scored(s, score, uniq, usable, leans))
    return out


def _position(index: int) -> float:
    """The position part of a score: news puts its point first."""
    return float((1.0 + index) ** -POSITION_DECAY)


@lru_cache(maxsize=64)
def _positions(n: int) -> tuple[float, ...]:
    """``_position`` of the first ``n`` indices."""
    return tuple(map(_position, range(n)))


def _caption(text: str) -> bool:
    """A photo caption or a "Label: ..." line, each pattern tried only when its mark is there."""
    if "(" in text and _CAPTION_PAREN.search(text):
        return True
    if ":" in text and _CAPTION_LABEL.match(text):
        return True
    return "ictured" in text and _CAPTION_WORD.search(text) is not None


def _near_duplicate(a: frozenset[bytes], b: frozenset[bytes]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / min(len(a), len(b)) > 0.7


def select(
    scored: Sequence[Scored],
    budget: int,
    *,
    measure: Callable[[str], int] = len,
    separator: str = " ",
    max_sentences: int | None = None,
    strict: bool = True,
) -> list[Sentence]:
    """The best-scoring usable sentences whose joined length fits ``budget``, in article order.

    ``scored`` is an article's sentences in order. A sentence that leans on the one before it is
    taken only together with that one (and so on back, at most ``MAX_CHAIN`` sentences), so no
    selection opens with one. ``strict=False`` drops that rule (a last resort).
    """
    ranked = sorted((x for x in scored if x.usable), key=lambda x: (-x.score, x.sentence.position))
    chosen: dict[int, Scored] = {}
    used = 0
    sep = measure(separator)
    for cand in ranked:
        if max_sentences is not None and len(chosen) >= max_sentences:
            break
        if cand.sentence.position in chosen:
            continue
        if not (strict and cand.leans):
            # The usual case: one sentence that stands alone.
            size = measure(cand.sentence.text) + (sep if chosen else 0)
            if used + size > budget:
                continue
            stems = cand.stems
            if chosen and any(_near_duplicate(stems, c.stems) for c in chosen.values()):
                continue
            chosen[cand.sentence.position] = cand
            used += size
            continue
        need = _with_support(scored, cand, chosen)
        if not need:
            continue
        if max_sentences is not None and len(chosen) + len(need) > max_sentences:
            continue
        size = sum(measure(x.sentence.text) for x in need) + sep * (len(need) - (0 if chosen else 1))
        if used + size > budget:
            continue
        if chosen and any(_near_duplicate(n.stems, c.stems) for n in need for c in chosen.values()):
            continue
        for n in need:
            chosen[n.sentence.position] = n
        used += size
    return [chosen[p].sentence for p in sorted(chosen)]


def _with_support(scored: Sequence[Scored], cand: Scored, chosen: dict[int, Scored]) -> list[Scored]:
    """``cand`` and the sentences before it that it leans on (not yet chosen); ``[]`` if impossible."""
    need = [cand]
    current = cand
    while current.leans:
        pos = current.sentence.position - 1
        if pos in chosen:
            break
        if pos < 0 or len(need) > MAX_CHAIN or scored[pos].sentence.position != pos:
            return []
        current = scored[pos]
        if not current.usable:
            return []
        need.append(current)
    return need
