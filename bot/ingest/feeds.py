"""RSS 2.0 / Atom / RDF parsing with feedparser (given bytes: feedparser never fetches here)."""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import xml.sax
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.html

from bot.domain.errors import FetchError

FULL_TEXT_CHARS = 1000
"""An item whose own text is shorter than this carries only a summary: its page is fetched."""

_BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section"}


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed, normalised."""

    guid: str
    url: str
    title: str
    text: str
    published_at: datetime | None
    image_url: str | None = None
    language: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def summary_only(self) -> bool:
        """True when the feed gives only a teaser and the page should be fetched."""
        return len(self.text) < FULL_TEXT_CHARS

    @property
    def content_hash(self) -> str:
        """A digest of the headline and text, spacing and case ignored (catches re-posts)."""
        norm = " ".join(f"{self.title}\n{self.text}".casefold().split())
        return hashlib.sha256(norm.encode()).hexdigest()


def parse_feed(body: bytes, *, url: str, content_type: str = "") -> list[FeedItem]:
    """The items of a feed, in feed order; ``FetchError`` if it is not a well-formed feed."""
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=True,
                              resolve_relative_uris=True)
    error = parsed.get("bozo_exception")
    if isinstance(error, xml.sax.SAXException):
        raise FetchError(f"{url}: malformed feed XML ({_short(error)})")
    if not parsed.get("version") and not parsed.entries:
        raise FetchError(f"{url}: not an RSS or Atom feed")
    language = _lang(parsed.feed.get("language"))
    items = []
    for entry in parsed.entries:
        item = _item(entry, url, language)
        if item is not None:
            items.append(item)
    return items


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:120]


def _item(entry: Any, feed_url: str, language: str | None) -> FeedItem | None:
    link = _link(entry, feed_url)
    title = " ".join(html_to_text(entry.get("title") or "").replace("\x00", "").split())
    if not link or not title:
        return None
    content = max((html_to_text(c.get("value") or "") for c in entry.get("content") or []),
                  key=len, default="")
    summary = html_to_text(entry.get("summary") or "")
    text = (content if len(content) >= len(summary) else summary).replace("\x00", "")
    guid = (entry.get("id") or "").strip() or link
    tags = tuple(t.get("term", "") for t in entry.get("tags") or [] if t.get("term"))
    return FeedItem(
        guid=guid[:2000], url=link, title=title, text=text, published_at=_when(entry),
        image_url=_image(entry, feed_url), language=_lang(entry.get("language")) or language,
        tags=tags,
    )


def _link(entry: Any, base: str) -> str | None:
    candidates = [entry.get("link") or ""]
    candidates += [lk.get("href", "") for lk in entry.get("links") or []
                   if lk.get("rel", "alternate") == "alternate"]
    guid = entry.get("id") or ""
    if entry.get("guidislink") or guid.startswith(("http://", "https://")):
        candidates.append(guid)
    for value in candidates:
        joined = urljoin(base, value.strip()) if value.strip() else ""
        if joined and urlsplit(joined).scheme in ("http", "https") and urlsplit(joined).hostname:
            return joined
    return None


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    return None


def _image(entry: Any, base: str) -> str | None:
    candidates = [m.get("url", "") for m in entry.get("media_content") or []
                  if (m.get("medium") or "image") == "image" or
                  str(m.get("type", "")).startswith("image/")]
    candidates += [m.get("url", "") for m in entry.get("media_thumbnail") or []]
    candidates += [e.get("href", "") for e in entry.get("enclosures") or []
                   if str(e.get("type", "")).startswith("image/")]
    for value in candidates:
        if value:
            joined = urljoin(base, str(value))
            if urlsplit(joined).scheme in ("http", "https"):
                return joined
    return None


def _lang(value: object) -> str | None:
    code = str(value or "").strip().replace("_", "-").split("-")[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def html_to_text(value: str) -> str:
    """Plain text of an HTML fragment, one line per paragraph."""
    if "<" not in value and "&" not in value:
        return "\n".join(line.strip() for line in value.strip().splitlines() if line.strip())
    try:
        root = lxml.html.fragment_fromstring(value, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return " ".join(value.split())
    for el in list(root.iter("script", "style")):
        el.drop_tree()
    for el in root.iter():
        if el.tag in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
    text = root.text_content()
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
