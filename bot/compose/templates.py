"""Per-target Jinja2 templates, sandboxed, with automatic escaping for Telegram.

Variables a template sees:

``title``
    the headline (possibly shortened to fit).
``summary``
    the summary sentences joined by spaces.
``sentences``
    the summary sentences as a list.
``url``
    the story's link.
``link_label``
    a short "Read more" in the story's language (Telegram's default uses it as the link text).
``hashtags``
    the hashtags that fit, each with its ``#``, as a list; ``hashtags_text`` joins them.
``language``
    the story's language code (``en``, ``uk``, ``ru``, …).
``image_url``
    the story's image address or ``None``.
``platform``
    ``"x"`` or ``"telegram"``.

For Telegram every variable is HTML-escaped automatically; the template's own markup must use
only the tags Telegram allows (checked when config loads). For X the output is plain text. The
platform limits are enforced after rendering, always: sentences, then hashtags, then the title
are shortened until the post fits, and a template that cannot fit falls back to the default
layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.domain.models import Platform

__all__ = ["SAMPLE_CONTEXT", "compile_template", "render_template"]

SAMPLE_CONTEXT: Mapping[str, Any] = {
    "title": "Council approves the new bridge <over> the river & the park",
    "summary": "The city council voted 7-2 on Tuesday to build the bridge. Work starts in May.",
    "sentences": [
        "The city council voted 7-2 on Tuesday to build the bridge.",
        "Work starts in May.",
    ],
    "url": "https://news.example.com/2026/bridge?utm=a&x=1",
    "link_label": "Read more",
    "hashtags": ["#city", "#bridge"],
    "hashtags_text": "#city #bridge",
    "language": "en",
    "image_url": "https://news.example.com/bridge.jpg",
    "platform": "telegram",
}


@lru_cache(maxsize=256)
def compile_template(source: str, platform: Platform) -> Template:
    """Compile ``source`` in a sandbox (autoescape for Telegram); raises ``TemplateError``."""
    env = SandboxedEnvironment(
        autoescape=platform == Platform.TELEGRAM,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    return env.from_string(source)


def render_template(source: str, platform: Platform, context: Mapping[str, Any]) -> str:
    """Render ``source`` with ``context``; raises ``TemplateError`` on failure."""
    return compile_template(source, platform).render(**context).strip()


__all__ += ["TemplateError"]
