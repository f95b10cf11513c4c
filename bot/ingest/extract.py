"""A story from an HTML page: trafilatura for the body, page metadata for the rest."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import lxml.html
import trafilatura

from bot.domain.errors import FetchError

MIN_TEXT_CHARS = 150
_DATE_META = ("article:published_time", "og:published_time", "datePublished", "date", "dc.date",
              "dcterms.created", "pubdate", "publishdate", "sailthru.date")
_BOILERPLATE = ("cookie", "consent", "gdpr", "newsletter", "subscribe", "related", "share", "social",
                "comment", "most-read", "popular", "breadcrumb", "advert", "promo", "paywall")
PRUNE_XPATH = ["//nav", "//footer", "//aside", "//form", "//header[not(ancestor::article)]",
               *(f"//*[contains(translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                 f"'abcdefghijklmnopqrstuvwxyz'), '{w}') or contains(translate(@id, "
                 f"'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '{w}')]"
                 "[not(.//h1) and not(.//article) and not(self::article or self::body or self::html)]"
                 for w in _BOILERPLATE)]
"""Page parts dropped before extraction: navigation, footers, banners, related links, comments."""
_TITLE_SUFFIX = re.compile(r"\s+[|\-–—:·•]\s+[^|\-–—:·•]{1,60}$")

logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Extracted:
    """What a page says about its story."""

    title: str
    text: str
    image_url: str | None
    language: str | None
    published_at: datetime | None
    canonical_url: str | None
    image_alt: str | None = None


def extract_story(html: str, *, url: str) -> Extracted:
    """Title, main text, lead image, language, publication time and canonical URL of a page."""
    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise FetchError(f"{url}: not readable as HTML") from exc
    meta = _meta(tree)
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, favor_precision=True, include_comments=False,
        include_tables=False, include_images=False, include_links=False, deduplicate=False,
        prune_xpath=PRUNE_XPATH,
    )
    text = ""
    title = ""
    if doc is not None:
        data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
        text = str(data.get("text") or "")
        title = str(data.get("title") or "")
    title = _title(tree, meta) or " ".join(title.split())
    text = _drop_leading_title(text, title)
    if not title:
        raise FetchError(f"{url}: the page has no headline")
    if len(text) < MIN_TEXT_CHARS:
        raise FetchError(f"{url}: no article text found on the page")
    return Extracted(
        title=title,
        text=text,
        image_url=_absolute(url, meta.get("og:image") or meta.get("twitter:image")),
        language=_language(tree, meta),
        published_at=_published(tree, meta),
        canonical_url=_canonical(tree, url),
        image_alt=_image_alt(meta),
    )


def _image_alt(meta: dict[str, str]) -> str | None:
    """The lead image's alt text as the page declares it (Open Graph, then Twitter card)."""
    alt = " ".join((meta.get("og:image:alt") or meta.get("twitter:image:alt") or "").split())
    return alt or None


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = (el.get("content") or "").strip()
        if key and value and key not in found:
            found[key] = value
    return {k.lower(): v for k, v in found.items()}


def _title(tree: lxml.html.HtmlElement, meta: dict[str, str]) -> str:
    h1s = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
    h1s = [h for h in h1s if h]
    og = " ".join((meta.get("og:title") or meta.get("twitter:title") or "").split())
    if og and (not h1s or og in h1s):
        return og
    if len(h1s) == 1:
        return h1s[0]
    titles = [t.text_content() for t in tree.iter("title")]
    page = " ".join(titles[0].split()) if titles else ""
    for h in h1s:
        if page.startswith(h):
            return h
    return og or _TITLE_SUFFIX.sub("", page) or (h1s[0] if h1s else "")


def _drop_leading_title(text: str, title: str) -> str:
    lines = text.strip().splitlines()
    if lines and title and " ".join(lines[0].split()) == title:
        lines = lines[1:]
    return "\n".join(line.strip() for line in lines if line.strip())


def _absolute(base: str, value: str | None) -> str | None:
    if not value:
        return None
    joined = urljoin(base, value.strip())
    return joined if urlsplit(joined).scheme in ("http", "https") else None


def _canonical(tree: lxml.html.HtmlElement, url: str) -> str | None:
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        if "canonical" in rel and link.get("href"):
            return _absolute(url, link.get("href"))
    return None


def _language(tree: lxml.html.HtmlElement, meta: dict[str, str]) -> str | None:
    value = tree.get("lang") or tree.get("xml:lang") or meta.get("og:locale") or \
        meta.get("content-language") or ""
    value = value.strip().replace("_", "-")
    code = value.split("-")[0].lower()
    return code if re.fullmatch(r"[a-z]{2,3}", code) else None


def _published(tree: lxml.html.HtmlElement, meta: dict[str, str]) -> datetime | None:
    candidates = [meta[k.lower()] for k in _DATE_META if k.lower() in meta]
    for script in tree.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            candidates += _ld_dates(script.text)
    candidates += [t.get("datetime") or "" for t in tree.iter("time")]
    for value in candidates:
        parsed = parse_when(value)
        if parsed is not None:
            return parsed
    return None


def _ld_dates(text: str) -> list[str]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("datePublished"), str):
                found.append(item["datePublished"])
            stack += list(item.values())
        elif isinstance(item, list):
            stack += item
    return found


def parse_when(value: str) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (a date alone or a naive time count as UTC)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
