"""An editor's own text for one target, checked as the platform will check it.

X: weighted length (twitter-text rules) within the target's limit. Telegram: valid Telegram HTML,
and the text after entity parsing within 4096 UTF-16 units (1024 when it is a photo caption).
"""

from __future__ import annotations

import unicodedata

from bot.compose.telegram_html import CAPTION_LIMIT, MESSAGE_LIMIT, check_html, utf16_len
from bot.compose.xtext import X_LIMIT, weighted_length
from bot.domain.models import Platform, Post

__all__ = ["checked_edit", "edited_post"]


def checked_edit(text: str, platform: Platform, *, max_length: int = X_LIMIT,
                 caption: bool = False) -> str:
    """``text`` trimmed, if the platform will take it; ``ValueError`` saying why not."""
    cleaned = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    if "\x00" in cleaned:
        raise ValueError("the text contains a NUL character")
    if not cleaned:
        raise ValueError("the text is empty")
    if platform is Platform.X:
        length = weighted_length(cleaned)
        if length > max_length:
            raise ValueError(f"the text is {length} weighted characters; X takes at most "
                             f"{max_length} here")
        return cleaned
    try:
        plain = check_html(cleaned)
    except ValueError as exc:
        raise ValueError(f"the text is not valid Telegram HTML: {exc} (write &lt; &gt; &amp; "
                         "for < > &)") from None
    if not plain.strip():
        raise ValueError("the text is empty once its markup is taken out")
    limit = CAPTION_LIMIT if caption else MESSAGE_LIMIT
    length = utf16_len(plain)
    if length > limit:
        what = "a photo caption" if caption else "a message"
        raise ValueError(f"the text is {length} characters (UTF-16); Telegram takes at most "
                         f"{limit} in {what}")
    return cleaned


def edited_post(post: Post, text: str, *, max_length: int = X_LIMIT) -> Post:
    """``post`` with the editor's text in place of all its parts (a thread becomes one post;
    a Telegram photo keeps its image and takes the text as its caption)."""
    caption = post.platform is Platform.TELEGRAM and post.image_url is not None
    checked = checked_edit(text, post.platform, max_length=max_length, caption=caption)
    return Post(post.platform, (checked,), post.image_url, post.parse_mode)
