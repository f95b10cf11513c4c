"""Hand-written RSS 2.0 and Atom documents for feed tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from html import escape

LONG = ("The regional transport authority confirmed on Wednesday that the night bus network "
        "will be extended to six new routes from the first of June, after a year-long trial on "
        "the river line carried more than two hundred thousand passengers. ") * 6


@dataclass(frozen=True)
class Entry:
    """One feed item: guid, link, headline, summary, optional full content, time, image."""

    guid: str
    link: str
    title: str
    summary: str = "A short teaser for the story."
    content: str | None = None
    published: datetime | None = None
    image: str | None = None
    category: str | None = None


def rss(entries: list[Entry], *, title: str = "City Times — Top stories") -> bytes:
    """An RSS 2.0 document with content:encoded, media:content and dc namespaces."""
    items = []
    for e in entries:
        parts = [f"<title>{escape(e.title)}</title>", f"<link>{escape(e.link)}</link>",
                 f'<guid isPermaLink="false">{escape(e.guid)}</guid>',
                 f"<description>{escape(e.summary)}</description>"]
        if e.content is not None:
            parts.append(f"<content:encoded><![CDATA[{e.content}]]></content:encoded>")
        if e.published is not None:
            parts.append(f"<pubDate>{format_datetime(e.published)}</pubDate>")
        if e.image:
            parts.append(f'<media:content url="{escape(e.image)}" medium="image"/>')
        if e.category:
            parts.append(f"<category>{escape(e.category)}</category>")
        items.append("<item>" + "".join(parts) + "</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>{escape(title)}</title><link>https://citytimes.example/</link>"
        "<description>Latest news</description><language>en-gb</language>"
        + "".join(items) + "</channel></rss>"
    ).encode()


def atom(entries: list[Entry], *, title: str = "Міські новини") -> bytes:
    """An Atom 1.0 document (summary and optional HTML content per entry)."""
    parts = []
    for e in entries:
        when = (e.published.isoformat() if e.published else "2026-01-01T00:00:00+00:00")
        body = (f'<content type="html">{escape(e.content)}</content>' if e.content is not None
                else "")
        published = f"<published>{when}</published>" if e.published else ""
        parts.append(
            f"<entry><id>{escape(e.guid)}</id><title>{escape(e.title)}</title>"
            f'<link rel="alternate" href="{escape(e.link)}"/>{published}<updated>{when}</updated>'
            f'<summary type="html">{escape(e.summary)}</summary>{body}</entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="uk">'
        f"<title>{escape(title)}</title><id>urn:uuid:5b1e3c2a-feed</id>"
        "<updated>2026-04-14T10:00:00Z</updated>"
        + "".join(parts) + "</feed>"
    ).encode()
