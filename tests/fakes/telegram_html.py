"""A strict parser of Telegram's HTML parse mode, for tests and the fake Bot API server.

It accepts only what the Bot API documents (b/strong, i/em, u/ins, s/strike/del, tg-spoiler,
``span class="tg-spoiler"``, ``a href``, code, pre (optionally holding one ``code
class="language-x"``), blockquote (optionally ``expandable``), ``tg-emoji emoji-id``) and the
entities ``&lt; &gt; &amp; &quot;`` plus numeric ones. It is stricter than Telegram in one way on
purpose: every bare ``&`` and ``>`` outside a tag is an error, so a renderer that passes here
escapes everything. Errors read like Telegram's ("Can't parse entities: ...").
Offsets and lengths of entities are in UTF-16 code units, as the Bot API reports them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Entity", "TelegramHTMLError", "parse_telegram_html", "utf16_len"]


class TelegramHTMLError(ValueError):
    """Raised when text is not valid Telegram HTML; the message reads like Telegram's."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Entity:
    """One formatting entity of a parsed message, Bot API style."""

    type: str
    offset: int
    length: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None


def utf16_len(s: str) -> int:
    """Length of ``s`` in UTF-16 code units (how Telegram counts text and offsets)."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_ALL_TAGS = {*_SIMPLE, "span", "a", "code", "pre", "blockquote", "tg-emoji"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z]+));")
_TAG_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]*")


def _fail(message: str) -> TelegramHTMLError:
    return TelegramHTMLError("Can't parse entities: " + message)


@dataclass
class _Open:
    name: str
    start: int  # UTF-16 offset in the output
    byte_offset: int
    attrs: dict[str, str]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.out: list[str] = []
        self.pos16 = 0
        self.stack: list[_Open] = []
        self.entities: list[Entity] = []

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8", "surrogatepass"))

    def emit(self, s: str) -> None:
        self.out.append(s)
        self.pos16 += utf16_len(s)

    def decode_entity(self, index: int, context: str) -> tuple[str, int]:
        m = _ENTITY_RE.match(self.text, index)
        if m is None:
            raise _fail(
                f'unescaped "&" {context}at byte offset {self.byte_offset(index)}; '
                "use &amp; for a literal ampersand"
            )
        dec, hexa, name = m.groups()
        if name is not None:
            if name not in _NAMED:
                raise _fail(f'unsupported entity "&{name};" at byte offset {self.byte_offset(index)}')
            return _NAMED[name], m.end()
        code = int(dec) if dec is not None else int(hexa, 16)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            raise _fail(f"invalid character reference at byte offset {self.byte_offset(index)}")
        return chr(code), m.end()

    def parse(self) -> tuple[str, list[Entity]]:
        text = self.text
        n = len(text)
        while self.i < n:
            ch = text[self.i]
            if ch == "&":
                s, self.i = self.decode_entity(self.i, "")
                self.emit(s)
            elif ch == ">":
                raise _fail(f'unescaped ">" at byte offset {self.byte_offset(self.i)}; use &gt;')
            elif ch == "<":
                if self.i + 1 < n and text[self.i + 1] == "/":
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                j = self.i
                while j < n and text[j] not in "&<>":
                    j += 1
                self.emit(text[self.i : j])
                self.i = j
        if self.stack:
            top = self.stack[-1]
            raise _fail(f'can\'t find end tag corresponding to start tag "{top.name}"')
        self.entities.sort(key=lambda e: (e.offset, -e.length))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        text = self.text
        begin = self.i
        m = _TAG_NAME_RE.match(text, begin + 1)
        assert m is not None
        name = m.group(0).lower()
        j = m.end()
        if not name:
            raise _fail(f'unescaped "<" at byte offset {self.byte_offset(begin)}; use &lt;')
        if name not in _ALL_TAGS:
            raise _fail(f'unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        attrs: dict[str, str] = {}
        while True:
            while j < len(text) and text[j].isspace():
                j += 1
            if j >= len(text):
                raise _fail(f"unclosed start tag at byte offset {self.byte_offset(begin)}")
            if text[j] == ">":
                j += 1
                break
            if text[j] == "/" and text.startswith("/>", j):
                raise _fail(
                    f'self-closing tag "{name}" is not supported at byte offset {self.byte_offset(begin)}'
                )
            am = _ATTR_NAME_RE.match(text, j)
            assert am is not None
            attr = am.group(0).lower()
            if not attr:
                raise _fail(
                    f'empty attribute name in the tag "{name}" at byte offset {self.byte_offset(begin)}'
                )
            j = am.end()
            while j < len(text) and text[j].isspace():
                j += 1
            value = ""
            if j < len(text) and text[j] == "=":
                j += 1
                while j < len(text) and text[j].isspace():
                    j += 1
                value, j = self.attr_value(j, name, begin)
            elif not (name == "blockquote" and attr == "expandable"):
                raise _fail(
                    f'expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            attrs[attr] = value
        self.check_start(name, attrs, begin)
        self.stack.append(_Open(name, self.pos16, self.byte_offset(begin), attrs))
        self.i = j

    def attr_value(self, j: int, name: str, begin: int) -> tuple[str, int]:
        text = self.text
        if j >= len(text):
            raise _fail(f"unclosed start tag at byte offset {self.byte_offset(begin)}")
        quote = text[j]
        parts: list[str] = []
        if quote in "\"'":
            j += 1
            while True:
                if j >= len(text):
                    raise _fail(f"unclosed start tag at byte offset {self.byte_offset(begin)}")
                c = text[j]
                if c == quote:
                    return "".join(parts), j + 1
                if c == "&":
                    s, j = self.decode_entity(j, f'in the tag "{name}" ')
                    parts.append(s)
                elif c in "<>":
                    raise _fail(
                        f'unescaped "{c}" in an attribute of the tag "{name}" at byte '
                        f"offset {self.byte_offset(j)}"
                    )
                else:
                    parts.append(c)
                    j += 1
        while j < len(text) and not text[j].isspace() and text[j] not in "<>\"'&":
            parts.append(text[j])
            j += 1
        return "".join(parts), j

    def check_start(self, name: str, attrs: dict[str, str], begin: int) -> None:
        where = f"at byte offset {self.byte_offset(begin)}"
        if self.stack:
            parent = self.stack[-1].name
            if parent == "code":
                raise _fail(f'tag "{name}" can\'t be nested inside "code" {where}')
            if parent == "pre" and name != "code":
                raise _fail(f'tag "{name}" can\'t be nested inside "pre" {where}')
            if name == "pre" and any(o.name in ("pre", "code") for o in self.stack):
                raise _fail(f'tag "pre" can\'t be nested {where}')
            if name == "blockquote" and any(o.name == "blockquote" for o in self.stack):
                raise _fail(f'tag "blockquote" can\'t be nested {where}')
            if name == "a" and any(o.name == "a" for o in self.stack):
                raise _fail(f'tag "a" can\'t be nested {where}')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _fail(f'tag "span" must have class "tg-spoiler" {where}')
        if name == "a":
            href = attrs.get("href")
            if not href:
                raise _fail(f'tag "a" must have a non-empty href attribute {where}')
            scheme_ok = re.match(r"^(https?|tg)://|^(mailto|tel):", href, re.IGNORECASE)
            if not scheme_ok and not re.match(r"^[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}(/|$)", href):
                raise _fail(f'wrong HTTP URL "{href}" {where}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _fail(f'tag "tg-emoji" must have a numeric emoji-id attribute {where}')
        if name == "code" and "class" in attrs:
            cls = attrs["class"]
            if not (self.stack and self.stack[-1].name == "pre") or not cls.startswith("language-"):
                raise _fail(f'unsupported class "{cls}" of the tag "code" {where}')
        allowed = {
            "a": {"href"},
            "span": {"class"},
            "code": {"class"},
            "blockquote": {"expandable"},
            "tg-emoji": {"emoji-id"},
        }.get(name, set())
        for attr in attrs:
            if attr not in allowed:
                raise _fail(f'unsupported attribute "{attr}" of the tag "{name}" {where}')

    def end_tag(self) -> None:
        text = self.text
        begin = self.i
        close = text.find(">", begin)
        if close == -1:
            raise _fail(f"unclosed end tag at byte offset {self.byte_offset(begin)}")
        name = text[begin + 2 : close].strip().lower()
        if not self.stack:
            raise _fail(f"unexpected end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack[-1]
        if name != top.name:
            raise _fail(
                f"unmatched end tag at byte offset {self.byte_offset(begin)}, expected "
                f'"</{top.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.i = close + 1
        self.close(top)

    def close(self, tag: _Open) -> None:
        length = self.pos16 - tag.start
        if tag.name == "tg-emoji" and length == 0:
            raise _fail('tag "tg-emoji" must contain the emoji it replaces')
        if length == 0:
            return
        name = tag.name
        if name in _SIMPLE:
            self.entities.append(Entity(_SIMPLE[name], tag.start, length))
        elif name == "span":
            self.entities.append(Entity("spoiler", tag.start, length))
        elif name == "a":
            self.entities.append(Entity("text_link", tag.start, length, url=tag.attrs["href"]))
        elif name == "code":
            cls = tag.attrs.get("class")
            if self.stack and self.stack[-1].name == "pre":
                if cls is not None:
                    self.stack[-1].attrs["language"] = cls.removeprefix("language-")
            else:
                self.entities.append(Entity("code", tag.start, length))
        elif name == "pre":
            lang = tag.attrs.get("language")
            self.entities.append(Entity("pre", tag.start, length, language=lang))
        elif name == "blockquote":
            kind = "expandable_blockquote" if "expandable" in tag.attrs else "blockquote"
            self.entities.append(Entity(kind, tag.start, length))
        elif name == "tg-emoji":
            self.entities.append(
                Entity("custom_emoji", tag.start, length, custom_emoji_id=tag.attrs["emoji-id"])
            )


def parse_telegram_html(text: str) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML strictly: return the plain text and its entities (UTF-16 offsets).

    Raises ``TelegramHTMLError`` with Telegram-like wording on any tag, attribute, entity or
    bare ``<``, ``>``, ``&`` that Telegram's HTML mode does not allow.
    """
    return _Parser(text).parse()
