"""Composer: pure text from stories to faithful, platform-native posts.

``compose(story, options)`` cleans the body, splits sentences, picks an extractive summary and
renders it for X (weighted length ≤ ``max_length``) or Telegram (valid HTML, ≤ 4096 per message,
≤ 1024 per caption). No I/O, no model, deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.compose.clean import clean_text
from bot.compose.editorial import RULES, EditorialWarning, check_post
from bot.compose.lang import detect_language
from bot.compose.render import hashtag, prepare
from bot.compose.telegram_html import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    check_html,
    plain_text,
    utf16_len,
)
from bot.compose.telegram_post import TELEGRAM_SUMMARY_CHARS, link_preview, telegram_parts
from bot.compose.templates import SAMPLE_CONTEXT, TemplateError, render_template
from bot.compose.x_post import X_SUMMARY_CHARS, x_parts
from bot.compose.xtext import X_LIMIT, weighted_length
from bot.domain.models import Platform, Post

__all__ = [
    "RULES",
    "TELEGRAM_SUMMARY_CHARS",
    "X_SUMMARY_CHARS",
    "ComposeOptions",
    "EditorialWarning",
    "PartInfo",
    "Story",
    "check_post",
    "clean_text",
    "compose",
    "describe",
    "detect_language",
    "editorial_warnings",
    "link_preview",
    "plain_text",
    "summary_sentences",
    "validate_template",
    "weighted_length",
]


class Story(Protocol):
    """What the composer reads from a story (``Article`` and ``ArticleDraft`` both fit)."""

    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def image_url(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def tags(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class ComposeOptions:
    """How one target wants its posts: platform, budgets, limits, thread, hashtags, template."""

    platform: Platform
    summary_chars: int | None = None
    max_length: int = X_LIMIT
    thread: bool = False
    hashtags: tuple[str, ...] = ()
    photo: bool = False
    template: str | None = None


@dataclass(frozen=True)
class PartInfo:
    """One part of a post as staff see it in a preview: text, counted length, limit, unit."""

    text: str
    length: int
    limit: int
    unit: str


def _tags(story: Story, options: ComposeOptions) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for raw in (*options.hashtags, *story.tags):
        tag = hashtag(raw)
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            out.append(tag)
    return out


def compose(story: Story, options: ComposeOptions) -> Post:
    """Compose one target's post for ``story``; every part is within the platform's limits."""
    prepared = prepare(story.title or "", story.text or "", story.language)
    tags = _tags(story, options)
    if options.platform == Platform.X:
        parts = x_parts(
            prepared,
            story.url or "",
            story.image_url,
            limit=options.max_length,
            summary_chars=options.summary_chars,
            thread=options.thread,
            tags=tags,
            template=options.template,
        )
        return Post(Platform.X, parts, story.image_url if options.photo else None, None)
    tg_parts, image = telegram_parts(
        prepared,
        story.url or "",
        story.image_url,
        summary_chars=options.summary_chars,
        photo=options.photo,
        tags=tags,
        template=options.template,
    )
    return Post(Platform.TELEGRAM, tg_parts, image, "HTML")


def summary_sentences(story: Story, options: ComposeOptions) -> list[str]:
    """The summary sentences ``compose`` starts from (before any cut), for inspection."""
    from bot.compose.summarize import select

    prepared = prepare(story.title or "", story.text or "", story.language)
    budget = options.summary_chars
    if budget is None:
        budget = X_SUMMARY_CHARS if options.platform == Platform.X else TELEGRAM_SUMMARY_CHARS
    measure = weighted_length if options.platform == Platform.X else len
    return [s.text for s in select(prepared.scored, budget, measure=measure)]


def describe(post: Post, options: ComposeOptions | None = None) -> list[PartInfo]:
    """Each part with its counted length and limit (weighted for X, UTF-16 for Telegram)."""
    infos: list[PartInfo] = []
    for i, part in enumerate(post.parts):
        if post.platform == Platform.X:
            limit = options.max_length if options is not None else X_LIMIT
            infos.append(PartInfo(part, weighted_length(part), limit, "weighted"))
            continue
        limit = CAPTION_LIMIT if (i == 0 and post.image_url) else MESSAGE_LIMIT
        try:
            length = utf16_len(check_html(part))
        except ValueError:
            length = utf16_len(plain_text(part))
        infos.append(PartInfo(part, length, limit, "utf16"))
    return infos


def editorial_warnings(post: Post, story: Story) -> list[tuple[int, EditorialWarning]]:
    """The editorial check of every part of ``post`` (numbered from 1) against ``story``.

    A composed post has none; a template or a hand-written post may. Telegram parts are checked
    as the plain text readers see; the headline is not held to the rules.
    """
    article = clean_text(story.text or "")
    found: list[tuple[int, EditorialWarning]] = []
    for i, part in enumerate(post.parts, start=1):
        text = part if post.platform == Platform.X else plain_text(part)
        found.extend((i, w) for w in check_post(text, article, title=story.title))
    return found


def validate_template(source: str, platform: Platform) -> None:
    """Compile ``source`` and render a sample story; raise ``ValueError`` saying what is wrong."""
    context = dict(SAMPLE_CONTEXT, platform=str(platform))
    try:
        out = render_template(source, platform, context)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (line {line})" if line else ""
        raise ValueError(f"template does not render{where}: {exc}") from exc
    if platform == Platform.TELEGRAM:
        try:
            check_html(out)
        except ValueError as exc:
            raise ValueError(f"template renders invalid Telegram HTML: {exc}") from exc
    if not out.strip():
        raise ValueError("template renders an empty post")
