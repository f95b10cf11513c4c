"""URL checks and the canonical form that deduplicates stories."""

from __future__ import annotations

import pytest

from bot.domain.errors import InputError
from bot.domain.urls import canonical_url, check_url


@pytest.mark.parametrize("url", ["http://host.example:99999/x", "http://host.example:abc/x",
                                 "https://host.example:-1/"])
def test_a_port_out_of_range_is_an_input_error(url: str) -> None:
    """A port that is not 1-65535 is refused as bad input, never a bare ValueError later."""
    with pytest.raises(InputError, match="bad port"):
        check_url(url)
    with pytest.raises(InputError):
        canonical_url(url)


@pytest.mark.parametrize("query", ["ad=1", "utm_source=feed&utm_medium=rss", "fbclid=x1", "mtm_campaign=a",
                                   "_ga=2.1", "msclkid=9", "xtor=RSS-1", "itm_source=home"])
def test_tracking_parameters_do_not_make_a_second_story(query: str) -> None:
    """The same page with a known tracking query has the same canonical URL."""
    assert canonical_url(f"https://news.example/fire.html?{query}") == \
        canonical_url("https://news.example/fire.html")


def test_meaningful_parameters_stay() -> None:
    """Parameters that select content are kept (sorted), so different pages stay different."""
    assert canonical_url("https://news.example/a?page=2&id=7&utm_source=x") == \
        "https://news.example/a?id=7&page=2"
