"""Each delivery's post as it will look: Telegram HTML made safe for a browser, X text with its
weighted count, and the checks an edited text must pass."""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from markupsafe import Markup

from bot.compose import RULES, Story, editorial_warnings
from bot.compose.telegram_html import CAPTION_LIMIT, MESSAGE_LIMIT, check_html, utf16_len
from bot.compose.xtext import weighted_length
from bot.config.settings import TargetConfig
from bot.domain.models import Delivery, Platform, Post

_SAME = {"b": "strong", "strong": "strong", "i": "em", "em": "em", "u": "u", "ins": "u",
         "s": "s", "strike": "s", "del": "s", "code": "code", "pre": "pre",
         "blockquote": "blockquote"}
_SCHEMES = {"http", "https", "tg", "mailto"}


class _TelegramToSafe(HTMLParser):
    """Rebuilds Telegram's HTML subset as browser HTML; everything else becomes text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.closers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Allowed tags come through with safe attributes; others are dropped."""
        values = dict(attrs)
        if tag in _SAME:
            self.out.append(f"<{_SAME[tag]}>")
            self.closers.append(f"</{_SAME[tag]}>")
        elif tag == "tg-spoiler" or (tag == "span" and values.get("class") == "tg-spoiler"):
            self.out.append('<span class="spoiler">')
            self.closers.append("</span>")
        elif tag == "a":
            href = values.get("href") or ""
            if urlsplit(href).scheme.lower() in _SCHEMES:
                self.out.append(f'<a href="{html.escape(href, quote=True)}" rel="noopener '
                                'noreferrer nofollow">')
                self.closers.append("</a>")
            else:
                self.closers.append("")
        else:
            self.closers.append("")

    def handle_endtag(self, tag: str) -> None:
        """Close what the matching start opened."""
        if self.closers:
            self.out.append(self.closers.pop())

    def handle_data(self, data: str) -> None:
        """Text, escaped."""
        self.out.append(html.escape(data, quote=False))

    def result(self) -> str:
        """The safe HTML, every element closed."""
        return "".join(self.out + self.closers[::-1])


def telegram_html(part: str, *, plain: bool = False) -> Markup:
    """A Telegram message part as safe HTML for the page (plain: shown as the text it is)."""
    if plain:
        return Markup(html.escape(part, quote=False))
    parser = _TelegramToSafe()
    parser.feed(part)
    parser.close()
    return Markup(parser.result())  # built only from escaped text and known tags


@dataclass(frozen=True)
class PartView:
    """One message or post: its text as the reader sees it, counted against its limit."""

    number: int
    text: str
    body: Markup
    length: int
    limit: int
    unit: str

    @property
    def over(self) -> int:
        """How far past the limit (0 when it fits)."""
        return max(0, self.length - self.limit)


def _limit(target: TargetConfig | None, platform: Platform, index: int, photo: bool) -> int:
    if platform is Platform.X:
        return target.max_length if target is not None else 280
    return CAPTION_LIMIT if index == 0 and photo else MESSAGE_LIMIT


def measure(platform: Platform, parts: list[str], *, target: TargetConfig | None,
            photo: bool) -> list[PartView]:
    """Each part with its length as the platform counts it (X weighted, Telegram UTF-16 of the
    text after its HTML is parsed)."""
    views = []
    for i, part in enumerate(parts):
        limit = _limit(target, platform, i, photo)
        if platform is Platform.X:
            views.append(PartView(i + 1, part, Markup(html.escape(part, quote=False)),
                                  weighted_length(part), limit, "weighted characters"))
            continue
        try:
            length = utf16_len(check_html(part))
            body = telegram_html(part)
        except ValueError:
            length = utf16_len(part)
            body = telegram_html(part, plain=True)
        views.append(PartView(i + 1, part, body, length, limit, "characters"))
    return views


def problems(platform: Platform, parts: list[str], *, target: TargetConfig | None,
             photo: bool) -> list[str]:
    """Why an edited text cannot be saved, in plain words (empty: it can)."""
    found: list[str] = []
    if not parts:
        return ["the post has no text"]
    for view in measure(platform, parts, target=target, photo=photo):
        name = f"part {view.number}" if len(parts) > 1 else "the post"
        if not view.text.strip():
            found.append(f"{name} is empty")
        if platform is Platform.TELEGRAM:
            try:
                check_html(view.text)
            except ValueError as exc:
                found.append(f"{name} is not valid Telegram HTML: {exc} (write &lt; for <, "
                             "&amp; for &)")
        if view.over:
            what = "caption" if platform is Platform.TELEGRAM and view.limit == CAPTION_LIMIT \
                else name
            found.append(f"{what} is {view.length} {view.unit}, over the limit of {view.limit} "
                         f"by {view.over}")
    return found


def is_photo(d: Delivery) -> bool:
    """A Telegram delivery sent as a photo with a caption."""
    return d.platform is Platform.TELEGRAM and bool(d.image_url)


def editorial(platform: Platform, parts: list[str], story: Story) -> list[str]:
    """What the editorial check would send the post back for (advice: it does not stop a save)."""
    post = Post(platform, tuple(parts))
    return [f"{'part ' + str(n) + ': ' if len(parts) > 1 else ''}{RULES[w.rule]}: “{w.sentence}”"
            for n, w in editorial_warnings(post, story)]
