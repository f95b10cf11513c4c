"""X's weighted post length, by the twitter-text v3 rules.

The text is NFC-normalised; every link twitter-text would recognise (with or without ``http``)
counts 23; an emoji sequence (ZWJ sequences, skin tones, flags, keycaps, tag sequences, including
ones newer than this code) counts 2; other code points count 1 in 0–4351, 8192–8205, 8208–8223
and 8242–8247 and 2 elsewhere. Conformance: ``validate.yml`` of twitter-text, all weighted cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

from bot.compose.tlds import COUNTRY_TLDS, GENERIC_TLDS

__all__ = ["URL_WEIGHT", "X_LIMIT", "char_weight", "link_spans", "weighted_length"]

X_LIMIT = 280
URL_WEIGHT = 23

_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def char_weight(ch: str) -> int:
    """Weight of one code point outside links and emoji: 1 in the light ranges, else 2."""
    cp = ord(ch)
    for lo, hi in _LIGHT_RANGES:
        if lo <= cp <= hi:
            return 1
    return 2


# --- links, after twitter-text's extractUrlsWithIndices ------------------------------------

_SPACES = "\x09-\x0d\x20\x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066\u2067\u2068\u2069"
_PUNCT = r"!'#%&'()*+,\\\-./:;<=>?@\[\]\^_{|}~$"
_DVC = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
_LATIN_ACCENTS = (
    "\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263"
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"


def _tld_group(tlds: frozenset[str]) -> str:
    alts = "|".join(re.escape(t) for t in sorted(tlds, key=lambda t: (-len(t), t)))
    return f"(?:(?:{alts})(?=[^0-9a-zA-Z@+-]|$))"


_GTLD = _tld_group(GENERIC_TLDS)
_CCTLD = _tld_group(COUNTRY_TLDS)
_PUNYCODE = "(?:xn--[-0-9a-z]+)"
_SUBDOMAIN = f"(?:(?:{_DVC}(?:[_-]|{_DVC})*)?{_DVC}\\.)"
_DOMAIN_NAME = f"(?:(?:{_DVC}(?:-|{_DVC})*)?{_DVC}\\.)"
_DOMAIN = f"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}(?:{_GTLD}|{_CCTLD}|{_PUNYCODE}))"
_PATH_CHARS = f"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\\[\\]\\-\u2013_~@|&{_LATIN_ACCENTS}]"
_PARENS = f"\\((?:{_PATH_CHARS}+|(?:{_PATH_CHARS}*\\({_PATH_CHARS}+\\){_PATH_CHARS}*))\\)"
_PATH_END = f"(?:[+\\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_PARENS})"
_PATH = f"(?:(?:{_PATH_CHARS}*(?:{_PARENS}{_PATH_CHARS}*)*{_PATH_END})|(?:@{_PATH_CHARS}+/))"
_QUERY_CHARS = r"[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[a-z0-9\-_&=#/]"
_PRECEDING = f"(?:[^A-Za-z0-9@＠$#＃{_INVALID}]|[{_DIRECTIONAL}]|^)"

_URL_RE = re.compile(
    f"({_PRECEDING})((https?://)?({_DOMAIN})(?::[0-9]+)?(/{_PATH}*)?(\\?{_QUERY_CHARS}*{_QUERY_END})?)",
    re.IGNORECASE,
)
_ASCII_DOMAIN_RE = re.compile(
    f"(?:(?:[\\-a-z0-9{_LATIN_ACCENTS}]+)\\.)+(?:{_GTLD}|{_CCTLD}|{_PUNYCODE})", re.IGNORECASE
)
_SHORT_DOMAIN_RE = re.compile(f"^{_DOMAIN_NAME}{_CCTLD}$", re.IGNORECASE)
_SPECIAL_SHORT_RE = re.compile(f"^{_DOMAIN_NAME}(?:(?:co|tv)(?=[^0-9a-zA-Z@+-]|$))$", re.IGNORECASE)
_NO_PROTOCOL_BAD_BEFORE = re.compile(r"[-_./]$")
_MAX_URL_LENGTH = 4096
# Every link has a dot before a top-level domain of two or more characters starting with a letter.
_DOT_LETTER = re.compile(r"\.[^\W\d_][^\s.]")


def _valid_host(domain: str) -> bool:
    """Each label at most 63 characters once punycode-encoded (the IDNA rule)."""
    total = 0
    for label in domain.split("."):
        if not label:
            return False
        if label.isascii():
            size = len(label)
        else:
            try:
                size = 4 + len(label.lower().encode("punycode"))
            except UnicodeError:
                return False
        if size > 63:
            return False
        total += size + 1
    return total <= _MAX_URL_LENGTH


def link_spans(text: str) -> list[tuple[int, int]]:
    """Start and end (code point indices) of every link twitter-text finds in ``text``."""
    first = _DOT_LETTER.search(text)
    if first is None:
        return []
    # No link contains a space, so none starts before the space preceding the first such dot.
    pos = max(text.rfind(" ", 0, first.start()), 0)
    spans: list[tuple[int, int]] = []
    for m in _URL_RE.finditer(text, pos):
        before, url, protocol, domain, path = m.group(1, 2, 3, 4, 5)
        start, end = m.start(2), m.end(2)
        if not _valid_host(domain):
            continue
        if protocol:
            spans.append((start, end))
            continue
        if _NO_PROTOCOL_BAD_BEFORE.search(before):
            continue
        last: tuple[int, int] | None = None
        pos = 0
        for am in _ASCII_DOMAIN_RE.finditer(domain):
            a_start = domain.index(am.group(0), pos)
            pos = a_start + len(am.group(0))
            last = (start + a_start, start + pos)
            ascii_domain = am.group(0)
            if path or _SPECIAL_SHORT_RE.match(ascii_domain) or not _SHORT_DOMAIN_RE.match(ascii_domain):
                spans.append(last)
        if last is not None and path and spans and spans[-1] == last:
            spans[-1] = (last[0], end)
        del url
    return spans


# --- emoji sequences ---------------------------------------------------------------------------

_PICT = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u2199\u21a9\u21aa\u231a\u231b\u2328\u23cf"
    "\u23e9-\u23f3\u23f8-\u23fa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe\u2600-\u27bf"
    "\u2934\u2935\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u3030\u303d\u3297\u3299"
    "\U0001f000-\U0001faff\U0001fc00-\U0001fffd"
)
_ELEMENT = (
    "(?:[#*0-9]\ufe0f?\u20e3"
    "|[\U0001f1e6-\U0001f1ff]{2}"
    f"|[{_PICT}][\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]*(?:[\U000e0020-\U000e007e]+\U000e007f)?"
    "\u20e3?)"
)
_EMOJI_RE = re.compile(f"{_ELEMENT}(?:\u200d{_ELEMENT})*")
_EMOJI_HINT = re.compile(f"[{_PICT}\u20e3]")


def _emoji_spans(text: str) -> Iterator[tuple[int, int]]:
    if text.isascii() or _EMOJI_HINT.search(text) is None:
        return iter(())
    return (m.span() for m in _EMOJI_RE.finditer(text))


_HEAVY = re.compile("[^\x00-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")


def _plain_weight(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + len(_HEAVY.findall(text))


@lru_cache(maxsize=8192)
def weighted_length(text: str, *, emoji_parsing: bool = True) -> int:
    """X's weighted length of ``text`` (twitter-text v3; ``emoji_parsing=False`` gives v2)."""
    last = len(text) - 1
    if text.isascii() and (
        text.find(".", 0, last) < 0 or text.count(".") == text.count(". ") + (text[last] == ".")
    ):
        return len(text)  # ASCII with every dot before a space or at the end: no link, no emoji
    return _full_length(text, emoji_parsing)


def _full_length(text: str, emoji_parsing: bool) -> int:
    """``weighted_length`` without its ASCII shortcut."""
    text = unicodedata.normalize("NFC", text)
    spans: dict[int, tuple[int, int]] = {}
    for s, e in link_spans(text):
        spans[s] = (e, URL_WEIGHT)
    if emoji_parsing:
        for s, e in _emoji_spans(text):
            spans.setdefault(s, (e, 2))
    if not spans:
        return _plain_weight(text)
    total = 0
    pos = 0
    for start in sorted(spans):
        if start < pos:
            continue  # inside a link already counted
        end, weight = spans[start]
        total += _plain_weight(text[pos:start]) + weight
        pos = end
    return total + _plain_weight(text[pos:])
