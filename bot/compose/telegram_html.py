"""Telegram HTML: escaping, a checker that returns the plain text, and a plain-text fallback.

Telegram's HTML mode allows only b/strong, i/em, u/ins, s/strike/del, tg-spoiler (or
``span class="tg-spoiler"``), ``a href``, code, pre, blockquote and tg-emoji; every other ``<``,
``>`` and ``&`` must be escaped. Limits count the text after entity parsing, so we measure that
plain text in UTF-16 code units.
"""

from __future__ import annotations

import html
import re

from bot.compose.wordlists import words

__all__ = [
    "CAPTION_LIMIT",
    "MESSAGE_LIMIT",
    "check_html",
    "escape",
    "plain_text",
    "utf16_len",
]

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024

_ALLOWED = words("b strong i em u ins s strike del tg-spoiler span a code pre blockquote tg-emoji")
_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*?)?)\s*>|&(#\d{1,8}|#[xX][0-9a-fA-F]{1,7}|lt|gt|amp|quot);|[<>&]"
)
_ATTR = re.compile(r"""([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, as Telegram counts it."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def escape(text: str) -> str:
    """Escape ``&``, ``<``, ``>`` and ``"`` for Telegram HTML (text or attribute value)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _decode(entity: str) -> str:
    if entity.startswith("#"):
        code = int(entity[2:], 16) if entity[1:2] in ("x", "X") else int(entity[1:])
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise ValueError(f"invalid character reference &{entity};")
        return chr(code)
    return {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}[entity]


def check_html(text: str) -> str:
    """Check ``text`` is valid Telegram HTML and return its plain text; raise ``ValueError``."""
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        out.append(text[pos : m.start()])
        pos = m.end()
        token = m.group(0)
        if m.group(4):
            out.append(_decode(m.group(4)))
        elif m.group(2) is None:
            raise ValueError(f"unescaped {token!r} at character {m.start()}")
        else:
            name = m.group(2).lower()
            if name not in _ALLOWED:
                raise ValueError(f"unsupported tag <{name}> at character {m.start()}")
            if m.group(1):
                if not stack or stack[-1] != name:
                    raise ValueError(f"unexpected end tag </{name}> at character {m.start()}")
                stack.pop()
            else:
                attrs = {
                    a.group(1).lower(): a.group(2) or a.group(3) or a.group(4) or ""
                    for a in _ATTR.finditer(m.group(3) or "")
                }
                if name == "a" and not attrs.get("href"):
                    raise ValueError("a link tag needs an href")
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise ValueError('span needs class="tg-spoiler"')
                for value in attrs.values():
                    if "&" in value and not re.fullmatch(r"(?:[^&]|&(?:lt|gt|amp|quot|#\d+);)*", value):
                        raise ValueError("unescaped & in an attribute")
                stack.append(name)
    if stack:
        raise ValueError(f"unclosed tag <{stack[-1]}>")
    out.append(text[pos:])
    return "".join(out)


_ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?/?>")


def plain_text(html_text: str) -> str:
    """Turn a Telegram HTML part into plain text (for a retry without parse mode).

    Links keep their address after the text, so nothing the reader needs is lost.
    """
    linked = re.sub(
        r"""<a\s+href\s*=\s*["']([^"']*)["']\s*>(.*?)</a\s*>""",
        lambda m: m.group(2) if m.group(1) in html.unescape(m.group(2)) else f"{m.group(2)} ({m.group(1)})",
        html_text,
        flags=re.I | re.S,
    )
    try:
        return check_html(linked)
    except ValueError:
        return html.unescape(_ANY_TAG.sub("", linked))
