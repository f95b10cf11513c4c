"""Parsing RSS 2.0 and Atom into items: links, guids, times, full text versus summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.errors import FetchError
from bot.ingest.feeds import parse_feed
from tests.ingest.feeddocs import LONG, Entry, atom, rss

T0 = datetime(2026, 4, 14, 9, 0, tzinfo=UTC)


def test_rss_items() -> None:
    """RSS items keep guid, absolute link, time, image, tags; content:encoded is the full text."""
    doc = rss([
        Entry("g-1", "/news/buses", "Night buses extended", summary="<p>Six new routes.</p>",
              content=f"<p>{LONG}</p><script>alert(1)</script>", published=T0,
              image="/img/bus.jpg", category="Transport"),
        Entry("g-2", "https://citytimes.example/news/fire", "Fire & smoke on Mill St",
              summary="Crews <b>battled</b> the blaze.", published=T0 - timedelta(hours=1)),
    ])
    first, second = parse_feed(doc, url="https://citytimes.example/rss.xml")
    assert first.guid == "g-1" and first.url == "https://citytimes.example/news/buses"
    assert first.published_at == T0 and first.image_url == "https://citytimes.example/img/bus.jpg"
    assert first.tags == ("Transport",) and first.language == "en"
    assert not first.summary_only and "alert" not in first.text and first.text.startswith("The")
    assert second.title == "Fire & smoke on Mill St"
    assert second.text == "Crews battled the blaze." and second.summary_only


def test_atom_entries() -> None:
    """Atom entries give id, alternate link, published time and language from xml:lang."""
    doc = atom([Entry("urn:x:1", "https://misto.example/n/1", "Міст відновлять", published=T0,
                      content=f"<p>{LONG}</p>")])
    (item,) = parse_feed(doc, url="https://misto.example/atom")
    assert (item.guid, item.url, item.title) == ("urn:x:1", "https://misto.example/n/1",
                                                  "Міст відновлять")
    assert item.published_at == T0 and item.language == "uk" and not item.summary_only


def test_content_hash_ignores_spacing_and_case() -> None:
    """The same headline and text, re-spaced or re-cased, hash alike; an edit does not."""
    a = parse_feed(rss([Entry("1", "https://a.example/1", "Budget  passes", "Text here.")]),
                   url="https://a.example/f")[0]
    b = parse_feed(rss([Entry("2", "https://a.example/2", "budget passes", " Text   here.")]),
                   url="https://a.example/f")[0]
    c = parse_feed(rss([Entry("3", "https://a.example/3", "Budget passes", "Text changed.")]),
                   url="https://a.example/f")[0]
    assert a.content_hash == b.content_hash != c.content_hash


def test_items_without_link_or_title_are_dropped() -> None:
    """An item with no usable link or headline is not a story."""
    doc = rss([Entry("1", "", "No link"), Entry("2", "javascript:alert(1)", "Bad link"),
               Entry("3", "https://a.example/3", "")])
    assert parse_feed(doc, url="https://a.example/f") == []


def test_five_hundred_items() -> None:
    """A 500-item feed parses completely, in order."""
    doc = rss([Entry(f"g{i}", f"https://a.example/n/{i}", f"Story {i}",
                     published=T0 - timedelta(minutes=i)) for i in range(500)])
    items = parse_feed(doc, url="https://a.example/f")
    assert len(items) == 500 and items[0].guid == "g0" and items[-1].guid == "g499"


@pytest.mark.parametrize(("body", "fragment"), [
    (rss([Entry("1", "https://a.example/1", "One")])[:-40], "malformed feed XML"),
    (b"<rss><channel><item><title>A & B</title></item></channel></rss>", "malformed feed XML"),
    (b"<html><body><p>Not a feed</p></body></html>", "not an RSS or Atom feed"),
])
def test_malformed_or_non_feeds_are_refused(body: bytes, fragment: str) -> None:
    """Broken XML and HTML pages are refused with a reason instead of half-parsed."""
    with pytest.raises(FetchError, match=fragment):
        parse_feed(body, url="https://a.example/f")
