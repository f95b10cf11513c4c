"""Cleaning story bodies: HTML, Markdown or plain text in; plain paragraphs out.

Removes what must never reach a summary: social "follow us" lines, "Read:", "Read also",
"Related:", "See also" cross-links, newsletter and subscription prompts, "Advertisement", photo
and video credits, "Scroll down for video", share prompts, bylines and datelines, and
"PUBLISHED: … UPDATED: …" stamps, live-blog time stamps, correction and editor's notes,
"Image caption" lines and agency tag lines ("(Reporting by …; Editing by …)"). Short lines
without final punctuation are subheadings: they are kept apart so they never become summary
sentences.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Block", "clean_blocks", "clean_text", "normalize"]


@dataclass(frozen=True)
class Block:
    """One paragraph of a cleaned body; ``heading`` marks a subheading."""

    text: str
    heading: bool = False


_HTML_HINT = re.compile(
    r"<\s*/?\s*(?:p|br|div|span|a|b|i|em|strong|h[1-6]|ul|ol|li|figure|img|"
    r"blockquote|section|article|table|tr|td|script|style)\b[^>]*>",
    re.I,
)
_HTML_DROP = re.compile(
    r"<\s*(script|style|figure|figcaption|aside|nav|noscript|iframe|form|button|footer)\b.*?"
    r"<\s*/\s*\1\s*>",
    re.I | re.S,
)
_HTML_BLOCK = re.compile(
    r"<\s*/?\s*(?:p|br|div|h[1-6]|ul|ol|li|blockquote|section|article|header|tr|table|hr)\b[^>]*>",
    re.I,
)
_HTML_HEADING = re.compile(r"<\s*h[1-6]\b[^>]*>(.*?)<\s*/\s*h[1-6]\s*>", re.I | re.S)
_HTML_TAG = re.compile(r"<[^>]*>")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)

_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^()\s]|\([^()]*\))+\)")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~)(.+?)\1")
_MD_EM = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_MD_CODE = re.compile(r"`([^`\n]+)`")
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")
_MD_FENCE = re.compile(r"^\s*(```|~~~)")

_MD_LINE_HINT = re.compile(r"^\s{0,3}(?:#|>|```|~~~|[-*_]{3})", re.M)
_MD_MARKS = ("*", "__", "~~", "](", "`")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u180e\u200e\u200f]")
_SPACE_CLASS = r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
# Only runs that need changing: two or more spaces, or any other space character.
_SPACES = re.compile(f" {_SPACE_CLASS}+|[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]{_SPACE_CLASS}*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Control and invisible characters and ``\r`` (one scan decides whether to remove any).
_ODD = re.compile("[\x00-\x08\x0b-\x1f\x7f\u00ad\u180e\u200b\u200e\u200f\u2060\ufeff]")

# Whole lines that are boilerplate.
_LINE_BOILERPLATE = re.compile(
    r"""^(?:
      (?:read|see|watch|listen)\s+(?:also|more|next)\b.*
    | (?:read|related|see\s+also|more|more\s+on\s+this(?:\s+story)?
      |recommended|also\s+read)\s*[:|–—-].*
    | related\s+(?:articles?|stories|content|topics)\b.*
    | advertisement|advert|sponsored(?:\s+content)?|ad
    | (?:follow|like|join)\s+(?:us|@\w+)\b.*
    | (?:share|tweet|email)\s+(?:this|on)\b.*
    | share(?:\s+this)?(?:\s+(?:article|story|page))?
    | (?:sign\s+up|subscribe|register)\b.*(?:newsletter|email|updates|inbox|subscri).*
    | (?:photo|photos|photograph|image|picture|video|credit|source|illustration|getty|pa|ap)
      (?:\s+(?:credit|by))?\s*[:©].{0,120}
    | ©.*
    | scroll\s+down\s+for\s+(?:video|more).*
    | (?:published|updated|last\s+updated|posted)\s*:.*
    | (?:click|tap)\s+here\b.*
    | (?:image|media|photo|video)\s+(?:caption|copyright)\b.*
    | (?:correction|clarification|editor['’]s\s+note)\s*[:|–—-].*
    | (?:this|an\s+earlier\s+version\s+of\s+this)\s+(?:article|story|report|piece)\s+(?:has\s+been\s+|was\s+)?
      (?:updated|amended|corrected|changed|misstated|incorrectly|stated|said|has|had)\b.*
    | \((?:reporting|writing|editing|additional\s+reporting|compiled)\s+by\b.*\)
    | (?:updated\s+)?\d{1,2}[:.]\d{2}
      (?:\s*(?:[ap]\.?m\.?|gmt|bst|utc|cet|cest|eet|eest|est|edt|msk|kyiv\s+time))?
    | \d{1,2}\s+(?:minutes?|hours?|days?)\s+ago
    | (?:виправлення|уточнення|исправление|уточнение)\s*[:|–—-].*
    | (?:comments?|\d+\s+comments?)
    | (?:читайте|читай|дивіться|смотрите)\s+(?:також|также|ще|еще|більше|больше)\b.*
    | (?:підписуйтесь|підпишіться|подписывайтесь|подпишитесь|приєднуйтесь|присоединяйтесь)\b.*
    | (?:реклама|фото|відео|видео|джерело\s+фото|источник\s+фото|автор\s+фото)\s*[:©].*
    | (?:реклама)
    )$""",
    re.I | re.X,
)

# Boilerplate lines found by a word anywhere in them (checked only when the word is there).
_NEWSLETTER_LINE = re.compile(r".*\bnewsletter\b.*(?:sign|subscri|inbox|deliver).*$", re.I)
_CREDIT_LINE = re.compile(
    r".{0,80}\b(?:getty\s+images|shutterstock|reuters/|afp\s+via|/\s*afp|ap\s+photo|pa\s+wire)\b"
    r".{0,60}$",
    re.I,
)
_CREDIT_MAX = 80 + len("getty images") + 60 + 8

# Fragments inside running text; each pattern starts with one of its keys (lowercased), so it
# is searched only from the first place a key occurs. (flattened articles keep boilerplate mid-line).
_INLINE_BOILERPLATE_PATTERNS = [
    re.compile(r"\bscroll\s+down\s+for\s+(?:video|more)\b[.:]?\s*", re.I),
    re.compile(
        r"\b(?:published|updated)\s*:\s*\d{1,2}:\d{2}\s*(?:[ap]m|GMT|BST|EST|EDT|UTC)?,?"
        r"\s*\d{1,2}\s+\w+\s+\d{4}\s*\|?\s*",
        re.I,
    ),
    re.compile(
        r"\b[Bb]y\s+\.\s+(?:[A-Z][\w'’-]+\s+){1,3}\.\s+(?:(?:and\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){0,2}\s+\.\s+)*"
    ),
    re.compile(r"\b(?:daily\s+mail|mailonline|associated\s+press)\s+reporter\s*\.?\s*", re.I),
    re.compile(r"\bclick\s+here\s+to\s+[^.!?]*[.!?]?\s*", re.I),
    re.compile(r"\badvertisement\b\s*", re.I),
    re.compile(
        r"\b(?:follow|like)\s+us\s+on\s+(?:twitter|facebook|instagram|telegram|x)\b[^.]*\.?\s*",
        re.I,
    ),
    re.compile(r"\bsign\s+up\s+for\s+(?:our|the)\s+[^.]*newsletter[^.]*\.?\s*", re.I),
]
_INLINE_KEYS = (
    ("scroll",),
    ("published", "updated"),
    ("by .",),
    ("daily mail", "mailonline", "associated press"),
    ("click here",),
    ("advertisement",),
    ("follow us", "like us"),
    ("sign up",),
)
_INLINE_BOILERPLATE = list(zip(_INLINE_KEYS, _INLINE_BOILERPLATE_PATTERNS, strict=True))
# A live blog's time stamp before an entry ("10:42 GMT –", "14:05:").
_TIMESTAMP = re.compile(
    r"^\d{1,2}[:.]\d{2}(?:\s*(?:[ap]\.?m\.?|GMT|BST|UTC|CET|CEST|EET|EEST|EST|EDT|MSK))?\s*[:|–—-]\s+"
)
# "LONDON (Reuters) -", "KYIV, March 3 (AP) —", "WASHINGTON —": datelines at a paragraph start.
_DATELINE = re.compile(
    r"^(?:[A-Z][A-Z .'-]{1,40}|[А-ЯІЇЄҐ][А-ЯІЇЄҐ .'-]{1,40})"
    r"(?:,\s*[\w .]{1,30})?\s*(?:\((?:[A-Za-z .]{1,20}|CNN|AP|AFP|Reuters)\))?\s*[-–—]+\s+"
)
_BYLINE = re.compile(
    r"^(?:By|BY|Words by|Від|От|Автор:?)\s+[A-ZА-ЯІЇЄҐ][\w'’.-]*"
    r"(?:\s+(?:[A-ZА-ЯІЇЄҐ][\w'’.-]*|and|&|і|и|de|van|von|al)){0,5}"
    r"(?:\s*[,|–—-]\s*[^.!?]{0,50})?$"
)
_BULLET = re.compile(r"^\s*(?:[-*•·▪–]|\d{1,3}[.)])\s+")
_FINAL_PUNCT = ".!?…:;\"'”’»)]"


def normalize(text: str) -> str:
    """NFC, no control or invisible characters (joiners kept), single spaces, trimmed lines."""
    text = unicodedata.normalize("NFC", text)
    # Every odd, line-breaking or space character but " " and no-break spaces is unprintable.
    spaced = text.replace("\xa0", " ")
    if spaced.isprintable():
        return _collapse(spaced)
    if _ODD.search(text) is not None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = _INVISIBLE.sub("", text)
        text = _CONTROL.sub("", text)
    lines = []
    for line in text.split("\n"):
        if "\x85" in line or "\u2028" in line or "\u2029" in line:
            # str.split would break at these too; keep them, collapse only our spaces.
            lines.append(_SPACES.sub(" ", line).strip())
            continue
        spaced = line.replace("\xa0", " ")
        lines.append(_collapse(spaced) if spaced.isprintable() else " ".join(line.split()))
    return "\n".join(lines)


def _collapse(line: str) -> str:
    """``" ".join(line.split())`` for a line whose only space character is ``" "``."""
    while "  " in line:
        line = line.replace("  ", " ")
    return line.strip(" ")


def _markdown_lines(text: str) -> bool:
    """Whether a line starts like Markdown (heading, quote, fence, rule); one line: one match."""
    if "\n" not in text:
        return _MD_LINE_HINT.match(text) is not None
    return _MD_LINE_HINT.search(text) is not None


def _from_html(raw: str) -> str:
    text = _HTML_COMMENT.sub("", raw)
    text = _HTML_DROP.sub("\n", text)
    text = _HTML_HEADING.sub(lambda m: "\n## " + _HTML_TAG.sub("", m.group(1)) + "\n", text)
    text = _HTML_BLOCK.sub("\n", text)
    text = _HTML_TAG.sub("", text)
    return html.unescape(text)


def _from_markdown(text: str) -> str:
    out: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if _MD_FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or _MD_RULE.match(line):
            out.append("")
            continue
        line = _MD_QUOTE.sub("", line)
        m = _MD_HEADING.match(line)
        if m:
            out.extend(["", "## " + m.group(1), ""])
            continue
        line = _MD_IMAGE.sub("", line)
        line = _MD_LINK.sub(r"\1", line)
        line = _MD_EMPHASIS.sub(r"\2", line)
        line = _MD_EM.sub(r"\1", line)
        line = _MD_CODE.sub(r"\1", line)
        out.append(line)
    return "\n".join(out)


def _is_heading(line: str, next_line: str | None) -> bool:
    if next_line is None or not next_line:
        return False
    words = line.split()
    return (
        0 < len(words) <= 12
        and len(line) <= 90
        and line[-1] not in _FINAL_PUNCT
        and not _BULLET.match(line)
        and (line[0].isupper() or line[0].isdigit())
    )


def _key_starts(lower: str, keys: tuple[str, ...]) -> list[int]:
    starts: list[int] = []
    for key in keys:
        i = lower.find(key)
        while i >= 0:
            starts.append(i)
            i = lower.find(key, i + 1)
    return sorted(starts)


def _strip_inline(line: str) -> tuple[str, str]:
    """Remove inline boilerplate, trying each pattern only where one of its keys occurs.

    Returns the line and its lowercase form.
    """
    lower = line.lower()
    for keys, pattern in _INLINE_BOILERPLATE:
        starts = _key_starts(lower, keys)
        if not starts:
            continue
        if len(lower) != len(line):
            line = pattern.sub("", line)
            lower = line.lower()
            continue
        pieces: list[str] = []
        last = 0
        for i in starts:
            m = pattern.match(line, i) if i >= last else None
            if m is not None:
                pieces.append(line[last:i])
                last = m.end()
        if pieces:
            line = "".join(pieces) + line[last:]
            lower = line.lower()
    return line, lower


def _boilerplate_line(line: str, newsletter: bool = True) -> bool:
    """Whether ``line`` is boilerplate; ``newsletter=False`` says the word is not in it."""
    if _LINE_BOILERPLATE.match(line) or _BYLINE.match(line):
        return True
    if len(line) <= _CREDIT_MAX and _CREDIT_LINE.match(line):
        return True
    return newsletter and "newsletter" in line.lower() and _NEWSLETTER_LINE.match(line) is not None


def clean_blocks(raw: str) -> list[Block]:
    """Clean a body (HTML, Markdown or plain text) into paragraphs with subheadings marked."""
    if not raw or not raw.strip():
        return []
    text = _from_html(raw) if _HTML_HINT.search(raw) else html.unescape(raw)
    text = normalize(text)
    if any(mark in text for mark in _MD_MARKS) or _markdown_lines(text):
        text = normalize(_from_markdown(text))
    lines = text.split("\n")
    blocks: list[Block] = []
    for i, line in enumerate(lines):
        if not line:
            continue
        explicit_heading = line.startswith("## ")
        line = line.removeprefix("## ").strip()
        line, lower = _strip_inline(line)
        line = _DATELINE.sub("", line).strip().lstrip(".|·•-–— ").strip()
        if line[:1].isdigit():
            line = _TIMESTAMP.sub("", line)
        # The line is now a part of the one ``lower`` was made from.
        if not line or _boilerplate_line(line, "newsletter" in lower):
            continue
        nxt = next((x for x in lines[i + 1 :] if x), None)
        heading = explicit_heading or _is_heading(line, nxt)
        blocks.append(Block(line, heading))
    return blocks


def clean_text(raw: str) -> str:
    """The cleaned body as plain text: paragraphs separated by blank lines, headings included."""
    return "\n\n".join(b.text for b in clean_blocks(raw))
