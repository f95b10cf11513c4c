"""Extraction quality on hand-written pages: exact headline, body without the page's chrome."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.domain.errors import FetchError
from bot.ingest.extract import extract_story
from tests.ingest.pages import BRIDGE_UK, BUDGET, FIRE, NO_BODY, PAGES, Page


@pytest.mark.parametrize("name", sorted(PAGES))
def test_title_exact_and_no_boilerplate(name: str) -> None:
    """The headline is exact; every body sentence is kept; nav, banners, related, footer are not."""
    page: Page = PAGES[name]
    found = extract_story(page.html, url="https://citytimes.example/story")
    assert found.title == page.title
    for sentence in page.body:
        assert sentence in found.text
    for chrome in page.chrome:
        assert chrome.casefold() not in found.text.casefold(), chrome
    assert not found.text.startswith(page.title)


def test_metadata_of_a_full_page() -> None:
    """Language, publication time (UTC), canonical URL and absolute og:image come from the page."""
    found = extract_story(BUDGET.html, url="https://citytimes.example/p?id=7")
    assert found.language == "en"
    assert found.published_at == datetime(2026, 3, 3, 4, 40, tzinfo=UTC)
    assert found.canonical_url == "https://citytimes.example/politics/council-budget-2026"
    assert found.image_url == "https://citytimes.example/images/2026/council-chamber.jpg"


def test_metadata_from_lang_time_and_twitter_image() -> None:
    """``<html lang>``, a ``<time datetime>`` and a protocol-relative twitter:image are read."""
    bridge = extract_story(BRIDGE_UK.html, url="https://citytimes.example/uk/bridge")
    assert bridge.language == "uk"
    assert bridge.published_at == datetime(2026, 4, 14, 7, 15, tzinfo=UTC)
    assert bridge.canonical_url is None
    fire = extract_story(FIRE.html, url="https://citytimes.example/fire")
    assert fire.image_url == "https://cdn.citytimes.example/fire.jpg"
    assert fire.language is None


def test_page_without_article_body_is_refused() -> None:
    """A gallery page with only navigation, banners and footer gives no story."""
    with pytest.raises(FetchError, match="no article text found"):
        extract_story(NO_BODY, url="https://citytimes.example/gallery")


def test_article_wrapped_in_boilerplate_like_classes_survives() -> None:
    """A story inside ``class="share-enabled"`` is not pruned as a share widget."""
    html = BUDGET.html.replace('<article class="story">', '<article class="story share-enabled">')
    found = extract_story(html, url="https://citytimes.example/x")
    assert BUDGET.body[0] in found.text
