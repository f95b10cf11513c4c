"""Posts drawn for the browser: Telegram's HTML subset made safe, limits and plain words."""

from __future__ import annotations

from bot.config.settings import TargetConfig
from bot.domain.models import Platform
from bot.web.pages import plain_words
from bot.web.posts import measure, problems, telegram_html


def test_telegram_markup_keeps_its_subset_and_nothing_else() -> None:
    """Bold, italics, links, code and spoilers come through; any other tag, a script, an event
    handler or a javascript: link does not."""
    out = str(telegram_html(
        '<b>Head</b> <i>it</i> <a href="https://example.org/a?x=1&amp;y=2">link</a> '
        '<tg-spoiler>secret</tg-spoiler> <code>a&lt;b</code> '
        '<a href="javascript:alert(1)">bad</a> <img src=x onerror=alert(1)> <script>alert(2)</script>'))
    assert "<strong>Head</strong>" in out and "<em>it</em>" in out
    assert '<a href="https://example.org/a?x=1&amp;y=2" rel="noopener noreferrer nofollow">link</a>' \
        in out
    assert '<span class="spoiler">secret</span>' in out and "<code>a&lt;b</code>" in out
    assert "javascript" not in out and "<img" not in out and "<script" not in out
    assert "onerror" not in out and " bad " in out
    assert "alert(2)" in out  # the script's words stay, as inert text


def test_unclosed_tags_are_closed_and_plain_text_is_escaped() -> None:
    """An unclosed tag cannot swallow the page; plain mode shows markup as text."""
    assert str(telegram_html("<b>open")) == "<strong>open</strong>"
    assert str(telegram_html("<b>x</b>", plain=True)) == "&lt;b&gt;x&lt;/b&gt;"


def test_limits_follow_the_platform_and_target() -> None:
    """X counts weighted characters against the target's max_length; a Telegram photo's first
    part is a caption (1024), later parts messages (4096)."""
    long_x = TargetConfig(name="xl", platform=Platform.X, max_length=1000)
    (view,) = measure(Platform.X, ["漢" * 300], target=long_x, photo=False)
    assert (view.length, view.limit, view.over) == (600, 1000, 0)
    assert problems(Platform.X, ["漢" * 300], target=None, photo=False) == [
        "the post is 600 weighted characters, over the limit of 280 by 320"]
    caption, message = measure(Platform.TELEGRAM, ["<b>a</b>" + "b" * 1100, "c"], target=None,
                               photo=True)
    assert (caption.length, caption.limit, message.limit) == (1101, 1024, 4096)
    assert problems(Platform.TELEGRAM, ["<b>a</b>" + "b" * 1100, "c"], target=None, photo=True) == [
        "caption is 1101 characters, over the limit of 1024 by 77"]
    assert problems(Platform.X, ["ok", " "], target=None, photo=False) == ["part 2 is empty"]


def test_errors_in_plain_words() -> None:
    """An error kind is explained before the platform's own words, which keep their case."""
    assert plain_words("rate_limited", "Too Many Requests: retry after 5") == (
        "The platform asked us to slow down; it goes when the platform allows "
        "(Too Many Requests: retry after 5)")
    assert plain_words(None, "cancelled by staff") == "Cancelled by staff"
    assert plain_words("unknown", None) == ""
