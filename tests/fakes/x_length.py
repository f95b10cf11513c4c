"""X's weighted text length for the fake server, written apart from ``bot.compose``.

The fake must not measure posts with the project's own counter: a bug there would then pass the
fake too. This is a second, deliberately plain reading of the twitter-text v3 rules (NFC; every
link weighs 23, with or without ``http(s)://``; code points 0–4351, 8192–8205, 8208–8223 and
8242–8247 weigh 1, all others 2; an emoji sequence weighs 2). It covers what news posts use,
not every corner of twitter-text.
"""

from __future__ import annotations

import re
import unicodedata

LINK_WEIGHT = 23
_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))

# Top-level domains a bare (protocol-less) link may end in: the common generic ones and the
# country codes newsrooms meet. X links more; a domain outside this list simply counts by its
# characters here.
_TLDS = (
    "com|org|net|edu|gov|int|mil|info|biz|name|pro|io|co|ai|app|dev|news|media|online|site|tech|"
    "blog|live|tv|me|uk|de|fr|es|it|nl|be|ch|at|se|no|dk|fi|pl|cz|sk|hu|ro|bg|gr|pt|ie|ee|lv|lt|"
    "ua|ru|by|kz|ge|am|tr|il|in|jp|cn|kr|tw|hk|sg|au|nz|ca|us|mx|br|ar|cl|za|ng|ke|eg"
)
_TLD_SET = frozenset(_TLDS.split("|"))
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_BIDI = "\u202a-\u202e\u2066-\u2069"  # directional formatting marks end a link
_PATH = rf"(?:[/?#][^\s{_BIDI}]*)?"
_LINK = re.compile(
    rf"https?://(?P<host>[^\s/?#{_BIDI}]+){_PATH}"  # any link with its protocol
    rf"|(?<![\w@#$.\-/])(?:{_LABEL}\.)+(?:{_TLDS})(?::\d{{1,5}})?{_PATH}(?![\w-])",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\")]}"


def link_spans(text: str) -> list[tuple[int, int]]:
    """Where the links are in ``text``: ``http(s)://`` ones and bare domains (``bbc.co.uk``,
    ``bbc.com/news``), without trailing punctuation."""
    spans = []
    for match in _LINK.finditer(text):
        if match["host"] is not None and not _valid_host(match["host"]):
            continue
        start, end = match.span()
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        spans.append((start, end))
    return spans


def _valid_host(host: str) -> bool:
    """A host X links: it ends in a top-level domain X knows (one from the list above, or a
    non-ASCII one such as ``.پاکستان``; ``.example`` and ``.test`` are not linked), and every
    label fits DNS's 63 characters once punycode-encoded."""
    name = host.rsplit("@", 1)[-1].split(":", 1)[0]
    tld = name.rsplit(".", 1)[-1]
    if "." not in name or (tld.isascii() and tld.lower() not in _TLD_SET):
        return False
    for label in name.split("."):
        size = len(label) if label.isascii() else len("xn--") + len(label.encode("punycode"))
        if not 0 < size <= 63:
            return False
    return True


def _is_pictograph(cp: int) -> bool:
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2300 <= cp <= 0x23FF
            or 0x2B00 <= cp <= 0x2BFF or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139,
                                                0x3030, 0x303D, 0x3297, 0x3299))


def _emoji_end(text: str, i: int) -> int:
    """The end of the emoji sequence starting at ``i``, or ``i`` when none starts there."""
    n = len(text)
    cp = ord(text[i])
    if 0x1F1E6 <= cp <= 0x1F1FF:  # a flag is a pair of regional indicators
        return i + 2 if i + 1 < n and 0x1F1E6 <= ord(text[i + 1]) <= 0x1F1FF else i + 1
    if text[i] in "0123456789#*":  # keycap: digit, optional VS16, U+20E3
        j = i + 1 + (i + 1 < n and text[i + 1] == "\ufe0f")
        return j + 1 if j < n and text[j] == "\u20e3" else i
    if not _is_pictograph(cp):
        return i
    j = i + 1
    while j < n:
        c = ord(text[j])
        if c == 0xFE0F or 0x1F3FB <= c <= 0x1F3FF or 0xE0020 <= c <= 0xE007F:  # VS16, skin, tags
            j += 1
        elif c == 0x200D and j + 1 < n and _is_pictograph(ord(text[j + 1])):  # zero-width joiner
            j += 2
        else:
            break
    return j


def _char_weight(ch: str) -> int:
    cp = ord(ch)
    return 1 if any(low <= cp <= high for low, high in _LIGHT) else 2


def tweet_weighted_length(text: str) -> int:
    """Weighted length of a post as X counts it (see the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    i = 0
    for start, end in [*link_spans(text), (len(text), len(text))]:
        while i < start:
            after = _emoji_end(text, i)
            if after > i:
                total += 2
                i = after
            else:
                total += _char_weight(text[i])
                i += 1
        if start < end:
            total += LINK_WEIGHT
        i = max(i, end)
    return total
