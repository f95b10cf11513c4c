"""The strict Telegram-HTML parser used by the tests and the fake Bot API server."""

from __future__ import annotations

import pytest

from tests.fakes.telegram_html import (
    Entity,
    TelegramHTMLError,
    parse_telegram_html,
    utf16_len,
)


def test_plain_text_passes_through() -> None:
    """Text without markup parses to itself with no entities."""
    assert parse_telegram_html("hello world") == ("hello world", [])


def test_bold_link_and_entities_offsets_in_utf16() -> None:
    """Offsets and lengths count UTF-16 code units, so an emoji before a tag counts 2."""
    text, ents = parse_telegram_html('😀 <b>A &amp; B</b> <a href="https://x.org/?a=1&amp;b=2">go</a>')
    assert text == "😀 A & B go"
    assert ents == [
        Entity("bold", 3, 5),
        Entity("text_link", 9, 2, url="https://x.org/?a=1&b=2"),
    ]


def test_all_allowed_tags_are_accepted() -> None:
    """Every tag the Bot API documents is accepted and mapped to its entity type."""
    html = (
        "<strong>a</strong><em>b</em><ins>c</ins><del>d</del><strike>e</strike>"
        '<span class="tg-spoiler">f</span><tg-spoiler>g</tg-spoiler><code>h</code>'
        '<pre><code class="language-python">i</code></pre><blockquote expandable>j</blockquote>'
        '<blockquote>k</blockquote><tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
        "&#65;&#x42;&quot;"
    )
    text, ents = parse_telegram_html(html)
    assert text == 'abcdefghijk👍AB"'
    types = [e.type for e in ents]
    assert types == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "pre",
        "expandable_blockquote",
        "blockquote",
        "custom_emoji",
    ]
    assert ents[8].language == "python"


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("Hello<div>x</div>", 'unsupported start tag "div" at byte offset 5'),
        ("a </b>", "unexpected end tag at byte offset 2"),
        ("<b>a</i>", 'unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b>open", 'can\'t find end tag corresponding to start tag "b"'),
        ("Tom & Jerry", 'unescaped "&" at byte offset 4'),
        ("a > b", 'unescaped ">" at byte offset 2'),
        ("a < b", 'unescaped "<" at byte offset 2'),
        ("<b", "unclosed start tag at byte offset 0"),
        ("&nbsp;", 'unsupported entity "&nbsp;"'),
        ('<span class="x">a</span>', 'tag "span" must have class "tg-spoiler"'),
        ("<a>x</a>", 'tag "a" must have a non-empty href'),
        ('<b class="x">a</b>', 'unsupported attribute "class" of the tag "b"'),
        ("<code><b>x</b></code>", 'tag "b" can\'t be nested inside "code"'),
        ("<br/>", 'unsupported start tag "br"'),
    ],
)
def test_invalid_html_is_refused_with_telegram_wording(html: str, fragment: str) -> None:
    """Each kind of invalid markup raises TelegramHTMLError worded like Telegram's error."""
    with pytest.raises(TelegramHTMLError) as info:
        parse_telegram_html(html)
    assert info.value.message.startswith("Can't parse entities: ")
    assert fragment in info.value.message


def test_byte_offsets_count_utf8_bytes() -> None:
    """Error offsets are UTF-8 byte offsets, as Telegram reports them."""
    with pytest.raises(TelegramHTMLError, match="byte offset 4;"):
        parse_telegram_html("ёю&ю")


def test_utf16_len_counts_astral_characters_twice() -> None:
    """Characters outside the BMP take two UTF-16 code units."""
    assert utf16_len("a😀") == 3
    assert utf16_len("") == 0
    assert utf16_len("👩‍👩‍👧") == 8
