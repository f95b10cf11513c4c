"""Telegram posts: bold headline, a few summary sentences, the link; valid HTML within limits.

With ``photo`` and an image, the post is a photo whose caption (≤ 1024) holds everything when it
fits; otherwise a short caption (headline and link) and a follow-up message with the summary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.compose.render import Build, Prepared, fit, link_label
from bot.compose.summarize import select
from bot.compose.telegram_html import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    check_html,
    escape,
    utf16_len,
)
from bot.compose.templates import TemplateError, render_template
from bot.domain.models import Platform

__all__ = ["TELEGRAM_SUMMARY_CHARS", "link_preview", "telegram_parts"]

TELEGRAM_SUMMARY_CHARS = 600
TELEGRAM_MAX_SENTENCES = 3  # with the default budget: a few sentences, as news leads do


def _size(html_text: str) -> int:
    try:
        return utf16_len(check_html(html_text))
    except ValueError:
        return 1 << 30


class _Default:
    """The default layout; it remembers the plain text of what it built, so measuring it
    needs no parsing."""

    def __init__(self, url: str, label: str) -> None:
        self.link = f'<a href="{escape(url)}">{escape(label)}</a>' if url else ""
        self.label = label
        self.plain: dict[str, str] = {}

    def __call__(self, title: str, sentences: Sequence[str], tags: Sequence[str]) -> str:
        """The HTML of ``title``, ``sentences`` and ``tags`` around the link."""
        blocks = []
        plain = []
        if title:
            blocks.append(f"<b>{escape(title)}</b>")
            plain.append(title)
        if sentences:
            summary = " ".join(sentences)
            blocks.append(escape(summary))
            plain.append(summary)
        if self.link:
            blocks.append(self.link)
            plain.append(self.label)
        if tags:
            hashtags = " ".join(tags)
            blocks.append(escape(hashtags))
            plain.append(hashtags)
        html = "\n\n".join(blocks)
        self.plain[html] = "\n\n".join(plain)
        return html

    def size(self, html_text: str) -> int:
        """``_size`` of ``html_text``, from the remembered plain text when this layout built it."""
        plain = self.plain.get(html_text)
        return _size(html_text) if plain is None else utf16_len(plain)


def _default_build(url: str, label: str) -> _Default:
    return _Default(url, label)


def _template_build(source: str, prepared: Prepared, url: str, image_url: str | None, label: str) -> Build:
    fallback = _default_build(url, label)

    def build(title: str, sentences: Sequence[str], tags: Sequence[str]) -> str:
        context: dict[str, Any] = {
            "title": title,
            "summary": " ".join(sentences),
            "sentences": list(sentences),
            "url": url,
            "link_label": label,
            "hashtags": list(tags),
            "hashtags_text": " ".join(tags),
            "language": prepared.language,
            "image_url": image_url,
            "platform": "telegram",
        }
        try:
            out = render_template(source, Platform.TELEGRAM, context)
            check_html(out)
        except (TemplateError, ValueError):
            return fallback(title, sentences, tags)
        return out

    return build


def _render(
    builds: Sequence[Build],
    limit: int,
    title: str,
    sentences: Sequence[str],
    tags: Sequence[str],
) -> tuple[str, int]:
    for build in builds:
        size = build.size if isinstance(build, _Default) else _size
        done = fit(build, size, limit, title, sentences, tags, utf16_len)
        if done is not None:
            return done
    return "", 0


def telegram_parts(
    prepared: Prepared,
    url: str,
    image_url: str | None,
    *,
    summary_chars: int | None,
    photo: bool,
    tags: Sequence[str],
    template: str | None,
) -> tuple[tuple[str, ...], str | None]:
    """The HTML parts for Telegram and the photo to send with the first (or ``None``)."""
    url = url.strip()
    label = link_label(prepared.language)
    budget = summary_chars if summary_chars is not None else TELEGRAM_SUMMARY_CHARS
    chosen = select(
        prepared.scored,
        max(budget, 0),
        max_sentences=TELEGRAM_MAX_SENTENCES if summary_chars is None else None,
    )
    sentences = [s.text for s in chosen]
    builds: list[Build] = []
    if template:
        builds.append(_template_build(template, prepared, url, image_url, label))
    builds.append(_default_build(url, label))
    title = prepared.title
    if not photo or not image_url:
        text, _ = _render(builds, MESSAGE_LIMIT, title, sentences, tags)
        return (text,), None
    caption, kept = _render(builds, CAPTION_LIMIT, title, sentences, tags)
    if kept == len(sentences) and caption:
        return (caption,), image_url
    caption, _ = _render(builds, CAPTION_LIMIT, title, [], tags)
    follow_build = _default_build("", label)
    follow, _ = _render([follow_build], MESSAGE_LIMIT, "", sentences, ())
    return (caption, follow) if follow else (caption,), image_url


def link_preview(mode: str, url: str) -> dict[str, object]:
    """Bot API ``link_preview_options`` for a target's mode: off, small, large or above."""
    if mode == "off":
        return {"is_disabled": True}
    options: dict[str, object] = {"url": url}
    if mode == "small":
        options["prefer_small_media"] = True
    elif mode == "large":
        options["prefer_large_media"] = True
    elif mode == "above":
        options["prefer_large_media"] = True
        options["show_above_text"] = True
    else:
        raise ValueError(f"unknown link preview mode {mode!r}: use off, small, large or above")
    return options
