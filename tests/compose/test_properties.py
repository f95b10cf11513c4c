"""Property tests: whatever the story, every post keeps every platform rule."""

from __future__ import annotations

import functools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.compose import ComposeOptions, compose, weighted_length
from bot.compose.render import prepare
from bot.domain.models import ArticleDraft, Platform
from tests.fakes.telegram_html import parse_telegram_html, utf16_len

PIECES = [
    "The council voted 7-2 on Tuesday.",
    "Mr. Smith said the U.S. plan costs $3.5bn.",
    "Київрада ухвалила бюджет.",
    "Дума приняла закон.",
    "東京で地震があった。",
    "مرحبا بالعالم.",
    "שלום עולם.",
    "a < b && c > d",
    "<b>not a tag</b> & <div>",
    "&amp; &lt; &#x41; &bogus;",
    "👨\u200d👩\u200d👧\u200d👦",
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "🫨🫎🧑🏽\u200d🚀",
    "🇺🇦",
    "zero\u200bwidth\u200c\u200dtext\ufeff",
    "https://example.com/" + "a" * 300,
    "example.org",
    "Super" + "long" * 200,
    "\n",
    "\n\n",
    " ",
    "?",
    "…",
    "“Quoted,” he said.",
]

text_strategy = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=40)), max_size=25).map(" ".join)
title_strategy = st.one_of(st.sampled_from(PIECES), st.text(max_size=300), text_strategy)
url_strategy = st.sampled_from(
    [
        "https://news.example.com/a",
        'https://news.example.com/search?q=a&b=<c>&d="e"',
        "https://example.com/" + "x" * 400,
        "http://пример.рф/новости",
    ]
)
tags_strategy = st.lists(st.sampled_from(["news", "Київ", "New York", "#x", "123", "🙂"]), max_size=4).map(
    tuple
)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _story(title: str, text: str, url: str, tags: tuple[str, ...], image: bool) -> ArticleDraft:
    return ArticleDraft(
        url=url,
        title=title,
        text=text,
        tags=tags,
        image_url="https://news.example.com/p.jpg" if image else None,
    )


@SETTINGS
@given(
    title=title_strategy,
    text=text_strategy,
    url=url_strategy,
    tags=tags_strategy,
    max_length=st.sampled_from([280, 140, 1000]),
    thread=st.booleans(),
)
def test_every_x_post_is_within_its_limit(
    title: str, text: str, url: str, tags: tuple[str, ...], max_length: int, thread: bool
) -> None:
    """Every X post (and thread part) fits max_length by the conformance-tested counter."""
    options = ComposeOptions(Platform.X, max_length=max_length, thread=thread, hashtags=("#a",))
    post = compose(_story(title, text, url, tags, False), options)
    assert post.parse_mode is None and post.image_url is None
    for part in post.parts:
        assert weighted_length(part) <= max_length


@SETTINGS
@given(
    title=title_strategy,
    text=text_strategy,
    url=url_strategy,
    tags=tags_strategy,
    photo=st.booleans(),
    summary_chars=st.sampled_from([None, 50, 3000, 10000]),
)
def test_every_telegram_post_parses_strictly_and_fits(
    title: str,
    text: str,
    url: str,
    tags: tuple[str, ...],
    photo: bool,
    summary_chars: int | None,
) -> None:
    """Every Telegram part passes the strict parser and fits 4096 (caption 1024) UTF-16 units."""
    options = ComposeOptions(Platform.TELEGRAM, photo=photo, summary_chars=summary_chars)
    post = compose(_story(title, text, url, tags, True), options)
    assert post.parse_mode == "HTML"
    for i, part in enumerate(post.parts):
        plain, _ = parse_telegram_html(part)
        limit = 1024 if (i == 0 and post.image_url) else 4096
        assert utf16_len(plain) <= limit


def _decomposes(block: str, sentences: list[str]) -> bool:
    """``block`` is article sentences, in order, joined by spaces; the last may be cut with …."""

    @functools.cache
    def from_here(pos: int, first: int) -> bool:
        rest = block[pos:]
        if not rest:
            return True
        if rest.endswith("…") and any(s.startswith(rest[:-1].rstrip()) for s in sentences[first:]):
            return True
        for j in range(first, len(sentences)):
            s = sentences[j]
            if block.startswith(s, pos):
                nxt = pos + len(s)
                if nxt == len(block) or (block[nxt] == " " and from_here(nxt + 1, j + 1)):
                    return True
        return False

    return from_here(0, 0)


@SETTINGS
@given(title=title_strategy, text=text_strategy)
def test_every_summary_sentence_comes_from_the_cleaned_article(title: str, text: str) -> None:
    """The Telegram summary paragraph is article sentences in order (the last maybe cut)."""
    story = _story(title, text, "https://news.example.com/a", (), False)
    prepared = prepare(story.title, story.text, None)
    sentences = [s.sentence.text for s in prepared.scored]
    for s in sentences:
        assert s in prepared.cleaned
    post = compose(story, ComposeOptions(Platform.TELEGRAM))
    plain, entities = parse_telegram_html(post.parts[0])
    covered = {(e.offset, e.length) for e in entities if e.type in ("bold", "text_link")}
    offset = 0
    for block in plain.split("\n\n"):
        size = utf16_len(block)
        if block and (offset, size) not in covered and not block.startswith("#"):
            assert _decomposes(block, sentences), (block, sentences)
        offset += size + 2
    x_post = compose(story, ComposeOptions(Platform.X)).parts[0]
    body = x_post.removesuffix("https://news.example.com/a").rstrip()
    assert body == prepared.title[: len(body)] or _decomposes(body, sentences) or body.endswith("…")


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=200))
def test_weighted_length_is_at_least_one_per_character_outside_links(text: str) -> None:
    """Without dots (so no links), every code point of the NFC text weighs at least 1."""
    import unicodedata

    text = text.replace(".", "")
    assert weighted_length(text) >= len(unicodedata.normalize("NFC", text)) - 2 * text.count("\u20e3") - sum(
        1 for ch in text if ch >= "\U0001f000" or ch == "\u200d" or ch in "\ufe0f\ufe0e"
    )
