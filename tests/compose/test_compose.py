"""Composing posts: layouts, photos, threads, hashtags, templates, previews."""

from __future__ import annotations

import pytest

from bot.compose import (
    ComposeOptions,
    compose,
    describe,
    link_preview,
    plain_text,
    validate_template,
    weighted_length,
)
from bot.domain.models import ArticleDraft, Platform
from tests.fakes.telegram_html import parse_telegram_html, utf16_len

BODY = (
    "The city council voted 7-2 on Tuesday to build a new bridge over the river. "
    "The bridge will cost $3.5 million and carry cyclists and walkers. "
    "Work starts in May and should finish by December 2027, officials said. "
    "Residents have asked for a crossing since the old ferry closed in 2019. "
    "The mayor called the vote a historic day for the town."
)


def _word(n: int) -> str:
    letters = []
    for _ in range(6):
        n, r = divmod(n, 26)
        letters.append(chr(97 + r))
    return "".join(letters)


def _distinct_sentences(count: int, words: int = 12) -> str:
    """Sentences that share no words, so none is a near-duplicate of another."""
    return " ".join(
        " ".join(_word(i * 100 + k) for k in range(words)).capitalize() + "." for i in range(count)
    )


STORY = ArticleDraft(
    url="https://news.example.com/2026/bridge",
    title="Council approves the <new> bridge & path",
    text=BODY,
    tags=("city news",),
    image_url="https://news.example.com/bridge.jpg",
)


def test_telegram_layout_bold_title_summary_and_link() -> None:
    """Telegram gets an escaped bold headline, summary sentences and a linked label."""
    post = compose(STORY, ComposeOptions(Platform.TELEGRAM))
    assert post.parse_mode == "HTML" and post.image_url is None and len(post.parts) == 1
    html = post.parts[0]
    assert html.startswith("<b>Council approves the &lt;new&gt; bridge &amp; path</b>\n\n")
    plain, entities = parse_telegram_html(html)
    assert "The city council voted 7-2 on Tuesday" in plain
    assert [e.type for e in entities] == ["bold", "text_link"]
    assert entities[1].url == STORY.url
    assert plain.endswith("#citynews")


def test_telegram_photo_caption_fits_or_splits() -> None:
    """With photo=true the caption holds it all when short, else a short caption + follow-up."""
    post = compose(STORY, ComposeOptions(Platform.TELEGRAM, photo=True))
    assert post.image_url == STORY.image_url and len(post.parts) == 1
    long_story = ArticleDraft(
        url=STORY.url, title="Long", text=_distinct_sentences(60), image_url=STORY.image_url
    )
    post = compose(long_story, ComposeOptions(Platform.TELEGRAM, photo=True, summary_chars=3000))
    assert len(post.parts) == 2
    caption, _ = parse_telegram_html(post.parts[0])
    follow, _ = parse_telegram_html(post.parts[1])
    assert utf16_len(caption) <= 1024 < utf16_len(follow) <= 4096


def test_x_post_is_summary_then_link_within_limit() -> None:
    """X gets one or two summary sentences, hashtags that fit, then the link."""
    post = compose(STORY, ComposeOptions(Platform.X, hashtags=("Bridges",)))
    (text,) = post.parts
    assert text.startswith("The city council voted 7-2")
    assert text.endswith(" #Bridges #citynews https://news.example.com/2026/bridge")
    assert weighted_length(text) <= 280


def test_x_headline_when_the_body_is_empty() -> None:
    """With no body the headline is the post, cut at a word boundary with an ellipsis if long."""
    story = ArticleDraft(url="https://n.example.com/1", title="word " * 100, text="")
    (text,) = compose(story, ComposeOptions(Platform.X)).parts
    assert text.endswith("… https://n.example.com/1")
    assert weighted_length(text) <= 280


def test_x_thread_is_numbered_and_every_part_fits() -> None:
    """thread=true splits a long summary into numbered posts, the link in the first."""
    post = compose(STORY, ComposeOptions(Platform.X, thread=True, max_length=140))
    assert len(post.parts) > 1
    total = len(post.parts)
    for i, part in enumerate(post.parts, 1):
        assert part.endswith(f" {i}/{total}")
        assert weighted_length(part) <= 140
    assert STORY.url in post.parts[0]


def test_longer_max_length_allows_longer_posts() -> None:
    """A per-target max_length above 280 lets more of the summary through."""
    story = ArticleDraft(url=STORY.url, title="T", text=_distinct_sentences(3, words=30))
    short = compose(story, ComposeOptions(Platform.X, summary_chars=900)).parts[0]
    long = compose(story, ComposeOptions(Platform.X, summary_chars=900, max_length=1000)).parts[0]
    assert weighted_length(short) <= 280 < weighted_length(long) <= 1000


def test_templates_are_escaped_and_limited() -> None:
    """A Telegram template's variables are escaped automatically and limits still hold."""
    template = "<i>{{ title }}</i>\n{% for s in sentences %}• {{ s }}\n{% endfor %}{{ url }}"
    validate_template(template, Platform.TELEGRAM)
    post = compose(STORY, ComposeOptions(Platform.TELEGRAM, template=template, photo=True))
    plain, entities = parse_telegram_html(post.parts[0])
    assert plain.startswith("Council approves the <new> bridge & path\n• The city council")
    assert entities[0].type == "italic"
    huge = compose(
        ArticleDraft(url=STORY.url, title="T", text=BODY * 40),
        ComposeOptions(Platform.TELEGRAM, template=template, summary_chars=100000),
    )
    assert utf16_len(parse_telegram_html(huge.parts[0])[0]) <= 4096


def test_x_template_output_fits() -> None:
    """An X template is plain text and its output is cut to the limit."""
    template = "{{ title }}: {{ summary }} {{ url }}"
    validate_template(template, Platform.X)
    (text,) = compose(STORY, ComposeOptions(Platform.X, template=template)).parts
    assert text.startswith("Council approves the <new> bridge & path: The city")
    assert weighted_length(text) <= 280


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ title ", "does not render"),
        ("{{ nope }}", "does not render"),
        ("<div>{{ title }}</div>", "invalid Telegram HTML"),
        ("{{ ''.__class__.__mro__ }}", "does not render"),
        ("   ", "empty"),
    ],
)
def test_validate_template_rejects_bad_templates(source: str, message: str) -> None:
    """Broken, unsafe or invalid-HTML templates fail at config load with a clear message."""
    with pytest.raises(ValueError, match=message):
        validate_template(source, Platform.TELEGRAM)


def test_describe_counts_parts_in_platform_units() -> None:
    """describe gives weighted length for X and UTF-16 length after parsing for Telegram."""
    x = describe(compose(STORY, ComposeOptions(Platform.X)))
    assert x[0].unit == "weighted" and x[0].limit == 280
    assert x[0].length == weighted_length(x[0].text)
    tg = describe(compose(STORY, ComposeOptions(Platform.TELEGRAM, photo=True)))
    assert tg[0].unit == "utf16" and tg[0].limit == 1024
    assert tg[0].length == utf16_len(parse_telegram_html(tg[0].text)[0])


def test_plain_text_fallback() -> None:
    """plain_text strips markup, decodes entities and keeps link addresses."""
    html = '<b>A &amp; B</b>\n\n<a href="https://x.org/a">Read more</a>'
    assert plain_text(html) == "A & B\n\nRead more (https://x.org/a)"
    assert plain_text("<div>broken & html</div>") == "broken & html"


def test_link_preview_modes() -> None:
    """Per-target link preview modes map to Bot API link_preview_options."""
    assert link_preview("off", "u") == {"is_disabled": True}
    assert link_preview("small", "u") == {"url": "u", "prefer_small_media": True}
    assert link_preview("above", "u")["show_above_text"] is True
    with pytest.raises(ValueError, match="unknown link preview mode"):
        link_preview("huge", "u")


def test_compose_is_deterministic() -> None:
    """The same story and options always give the same post."""
    options = ComposeOptions(Platform.TELEGRAM)
    assert compose(STORY, options) == compose(STORY, options)
