"""``queue add URL``: fetch a page within the limits and make a story of it, or refuse in one line."""

from __future__ import annotations

import httpx

from bot.config.settings import FetchSettings
from bot.domain.models import ArticleDraft
from bot.ingest.extract import Extracted, extract_story
from bot.ingest.fetch import Fetched, Fetcher
from bot.ingest.ssrf import Resolver


def fetch_story(url: str, *, settings: FetchSettings, transport: httpx.BaseTransport | None = None,
                resolver: Resolver | None = None, source: str = "cli") -> ArticleDraft:
    """A draft (title, text, image, language, time, canonical URL) from the page at ``url``."""
    with Fetcher(settings=settings, transport=transport, resolver=resolver) as fetcher:
        return story_from(fetcher, url, source=source)


def story_from(fetcher: Fetcher, url: str, *, source: str) -> ArticleDraft:
    """Fetch and extract ``url`` with an open ``fetcher``; ``FetchError`` on any refusal."""
    page = fetcher.get(url, kind="html")
    found = read_page(page)
    link = found.canonical_url or page.url
    return ArticleDraft(
        url=link, title=found.title, text=found.text, image_url=found.image_url,
        language=found.language, source=source, canonical_url=link,
        published_at=found.published_at, image_alt=found.image_alt,
    )


def read_page(page: Fetched) -> Extracted:
    """The story on a fetched page."""
    return extract_story(decode(page), url=page.url)


def decode(page: Fetched) -> str:
    """The page's text: the declared charset, else a ``<meta charset>``, else UTF-8."""
    body = page.body
    charset = page.charset
    if not charset:
        head = body[:2048].lower()
        marker = head.find(b"charset=")
        if marker >= 0:
            raw = head[marker + 8:marker + 40].strip(b"\"' ")
            end = next((i for i, c in enumerate(raw) if c in b"\"'; />"), len(raw))
            charset = raw[:end].decode("ascii", "ignore") or None
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
