"""The composer's shortcuts give exactly what the general path gives, whatever the text."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.compose.clean import _CONTROL, _INVISIBLE, _ODD, _SPACES, normalize
from bot.compose.sentences import _WORD_CHARS, _word_before
from bot.compose.summarize import _STOP, _WORD3, _ascii_features, _features
from bot.compose.telegram_html import check_html, utf16_len
from bot.compose.telegram_post import _default_build, _size
from bot.compose.xtext import _full_length, weighted_length

ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=200)
WORDS = [
    *("The", "the", "said", "U.S.", "Mr.", "a", "an", "NASA", "2026", "x1", "I", "it's"),
    *("well-known", "shoulder", "should", "(pictured)", "example.com", "e.g.", "...", "."),
    *("_ab_", "\n", "\t"),
]
WORDY = st.lists(
    st.sampled_from(WORDS),
    max_size=40,
).map(" ".join)
ANY = st.one_of(
    st.text(max_size=120),
    st.lists(
        st.sampled_from(
            ["a", " ", "  ", "\xa0", "\t", "\n", "\r", "\x85", "\u2028", "\u200b", "\u3000", "é", "e\u0301"]
        ),
        max_size=30,
    ).map("".join),
)
SETTINGS = settings(max_examples=200, deadline=None)


def _reference_features(text: str) -> tuple[frozenset[bytes], int]:
    tokens = _WORD3.findall(text)
    stems = frozenset(w[:6].encode() for w in {t.lower() for t in tokens} - _STOP)
    return stems, sum(1 for t in tokens if not t[0].islower())


def _reference_normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    if _ODD.search(text) is not None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    lines = []
    for line in text.split("\n"):
        if "\x85" in line or "\u2028" in line or "\u2029" in line:
            lines.append(_SPACES.sub(" ", line).strip())
        else:
            lines.append(" ".join(line.split()))
    return "\n".join(lines)


@SETTINGS
@given(st.one_of(ASCII, WORDY))
def test_ascii_features_match_the_token_scan(text: str) -> None:
    """Byte translation finds the same stems and capitalised words as the regex scan."""
    assert _ascii_features(text) == _reference_features(text)


TYPOGRAPHIC = st.lists(
    st.sampled_from([*WORDS, "“Quoted,”", "don’t", "£3.5m", "—", "«Так»", "café", "…", "‘A’", "€5"]),
    max_size=30,
).map(" ".join)


@SETTINGS
@given(st.lists(st.one_of(WORDY, TYPOGRAPHIC, st.text(max_size=60)), max_size=6))
def test_features_match_the_token_scan_for_any_text(texts: list[str]) -> None:
    """Mixed ASCII and non-ASCII sentences get the regex scan's stems and counts."""
    assert _features(texts) == [_reference_features(t) for t in texts]


@SETTINGS
@given(st.one_of(ASCII, WORDY))
def test_ascii_x_length_shortcut_is_exact(text: str) -> None:
    """Link-free ASCII weighs its length, as the full twitter-text count says."""
    weighted_length.cache_clear()
    assert weighted_length(text) == _full_length(text, True)


PART = st.one_of(
    ANY, WORDY, st.sampled_from(["example.com", "https://x.co/a", "👨\u200d👩", "\u0301a", "#️⃣", "a.b"])
)


@SETTINGS
@given(PART, PART)
def test_x_length_adds_up_across_a_space(a: str, b: str) -> None:
    """No link, emoji or composition spans a space, so an X post may be counted in two parts."""
    assert weighted_length(f"{a} {b}") == weighted_length(a) + 1 + weighted_length(b)


@SETTINGS
@given(ANY)
def test_normalize_matches_splitting_every_line(text: str) -> None:
    """The printable-line shortcut collapses spaces exactly as splitting and joining does."""
    assert normalize(text) == _reference_normalize(text)


@SETTINGS
@given(st.one_of(WORDY, st.text(max_size=80)), st.integers(min_value=0, max_value=80))
def test_word_before_matches_reading_backwards(text: str, cut: int) -> None:
    """The word before a period is the same read forwards from a space or backwards by pattern."""
    cut = min(cut, len(text))
    run = _WORD_CHARS.match(text[max(0, cut - 40) : cut][::-1])
    assert _word_before(text, cut) == (run.group(0)[::-1] if run else "")


@SETTINGS
@given(
    st.text(max_size=60),
    st.lists(st.text(max_size=60), max_size=3),
    st.lists(st.sampled_from(["#news", "#Київ", "#a&b"]), max_size=2),
    st.sampled_from(["", "https://news.example.com/a?b=1&c=<d>", "http://пример.рф/\"x\""]),
)
def test_default_telegram_layout_measures_like_the_parser(
    title: str, sentences: list[str], tags: list[str], url: str
) -> None:
    """The default layout's remembered plain text has the length the strict parser finds."""
    build = _default_build(url, "Read more")
    html = build(title, sentences, tags)
    assert build.size(html) == _size(html) == utf16_len(check_html(html))
