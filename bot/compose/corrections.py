"""The text of a correction reply, for each platform."""

from __future__ import annotations

from bot.compose.telegram_html import escape
from bot.compose.xtext import X_LIMIT, weighted_length
from bot.domain.models import Platform
from bot.domain.revisions import correction_text

TELEGRAM_TEXT_LIMIT = 4096


def correction_for(platform: Platform, template: str, title: str, url: str) -> str:
    """The correction reply from ``template``: within X's weighted 280, or Telegram HTML with
    the title and link escaped."""
    if platform is Platform.TELEGRAM:
        return correction_text(template, title=escape(title), url=escape(url),
                               limit=TELEGRAM_TEXT_LIMIT)
    return correction_text(template, title=title, url=url, limit=X_LIMIT, measure=weighted_length)
