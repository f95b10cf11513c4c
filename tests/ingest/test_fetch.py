"""Fetching story pages from a local server: limits, redirects, SSRF on every hop, refusals."""

from __future__ import annotations

import pytest

from bot.config.settings import FetchSettings
from bot.domain.errors import FetchError
from bot.ingest.fetch import Fetcher
from bot.ingest.story import fetch_story
from tests.ingest.pages import BRIDGE_UK, BUDGET, NO_BODY
from tests.ingest.server import PageServer, Route

HTML = {"Content-Type": "text/html; charset=utf-8"}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40


def test_story_from_a_realistic_page(server: PageServer, local_fetch: FetchSettings) -> None:
    """Title, text, image, language, time and canonical URL come back as a cli draft."""
    server.routes["/politics/budget"] = Route(body=BUDGET.html.encode(), headers=HTML)
    draft = fetch_story(server.url("/politics/budget"), settings=local_fetch)
    assert draft.title == BUDGET.title
    assert BUDGET.body[1] in draft.text and "Accept all cookies" not in draft.text
    assert draft.canonical_url == draft.url == "https://citytimes.example/politics/council-budget-2026"
    assert draft.image_url == server.url("/images/2026/council-chamber.jpg")
    assert draft.image_alt == "Councillors vote in the chamber"
    assert draft.language == "en" and draft.source == "cli"
    assert draft.published_at is not None
    seen = server.requests[0].headers
    assert seen["user-agent"] == local_fetch.user_agent
    assert "text/html" in seen["accept"]


def test_charset_from_meta_when_header_has_none(server: PageServer,
                                                local_fetch: FetchSettings) -> None:
    """A page in windows-1251 declared only by ``<meta charset>`` decodes correctly."""
    html = BRIDGE_UK.html.replace('<meta charset="utf-8">', '<meta charset="windows-1251">')
    server.routes["/uk"] = Route(body=html.encode("cp1251"), headers={"Content-Type": "text/html"})
    draft = fetch_story(server.url("/uk"), settings=local_fetch)
    assert draft.title == BRIDGE_UK.title and draft.language == "uk"


def test_loopback_is_refused_without_allowance(server: PageServer) -> None:
    """With default settings the local server (127.0.0.1) is never contacted."""
    server.routes["/a"] = Route(body=BUDGET.html.encode(), headers=HTML)
    with pytest.raises(FetchError, match="loopback"):
        fetch_story(server.url("/a"), settings=FetchSettings())
    assert server.requests == []


def test_redirect_to_loopback_is_refused(server: PageServer) -> None:
    """A listed host redirecting to 127.0.0.1 is refused at that hop; the target is never hit."""
    settings = FetchSettings(allow_hosts=["news.example"])
    server.routes["/go"] = Route(302, headers={"Location": server.url("/secret")})
    server.routes["/secret"] = Route(body=BUDGET.html.encode(), headers=HTML)
    with pytest.raises(FetchError, match=r"127\.0\.0\.1, a loopback address"):
        fetch_story(server.url("/go", host="news.example"), settings=settings,
                    resolver=lambda host, port: {"news.example": ["127.0.0.1"]}[host])
    assert server.paths() == ["/go"]


def test_dials_the_checked_address_once_per_hop(server: PageServer) -> None:
    """The name is resolved once per hop and the request goes to that address with its Host."""
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    server.routes["/one"] = Route(301, headers={"Location": "/two"})
    server.routes["/two"] = Route(body=BUDGET.html.encode(), headers=HTML)
    settings = FetchSettings(allow_hosts=["news.example"])
    draft = fetch_story(server.url("/one", host="news.example"), settings=settings,
                        resolver=resolver)
    assert draft.title == BUDGET.title
    assert calls == ["news.example", "news.example"]
    assert [r.headers["host"] for r in server.requests] == [f"news.example:{server.port}"] * 2


def test_redirect_chains(server: PageServer, local_fetch: FetchSettings) -> None:
    """Five redirects are followed; a sixth is refused."""
    for n in range(1, 7):
        server.routes[f"/r{n}"] = Route(302, headers={"Location": f"/r{n - 1}"})
    server.routes["/r0"] = Route(body=BUDGET.html.encode(), headers=HTML)
    assert fetch_story(server.url("/r5"), settings=local_fetch).title == BUDGET.title
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch_story(server.url("/r6"), settings=local_fetch)


def test_oversize_pages_are_refused(server: PageServer) -> None:
    """Past ``max_bytes`` the page is refused: by Content-Length, or while streaming chunks."""
    settings = FetchSettings(max_bytes=100_000, allow_hosts=["127.0.0.1"])
    big = (BUDGET.html + "<!--" + "x" * 300_000 + "-->").encode()
    server.routes["/big"] = Route(body=big, headers=HTML)
    server.routes["/big-chunked"] = Route(body=big, headers=HTML, chunked=True)
    with pytest.raises(FetchError, match=r"too large \(\d+ bytes; the limit is 100000\)"):
        fetch_story(server.url("/big"), settings=settings)
    with pytest.raises(FetchError, match=r"too large \(more than 100000 bytes"):
        fetch_story(server.url("/big-chunked"), settings=settings)


@pytest.mark.parametrize(("headers", "fragment"), [
    ({"Content-Type": "image/png"}, "not an HTML page (Content-Type image/png)"),
    ({"Content-Type": "text/html"}, "the body is a PNG image"),
    ({}, "the body is a PNG image"),
])
def test_binary_responses_are_refused(server: PageServer, local_fetch: FetchSettings,
                                      headers: dict[str, str], fragment: str) -> None:
    """Binary bodies are refused by type, or by sniffing when the type lies or is missing."""
    server.routes["/img"] = Route(body=PNG, headers=headers)
    with pytest.raises(FetchError) as caught:
        fetch_story(server.url("/img"), settings=local_fetch)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("route", "fragment"), [
    (Route(body=NO_BODY.encode(), headers=HTML), "no article text found"),
    (Route(404, b"gone", {"Content-Type": "text/plain"}), "HTTP 404"),
    (Route(503, b"busy", HTML), "HTTP 503"),
    (Route(302), "redirect without a Location"),
    (Route(body=b"just words, no markup", headers=HTML), "does not start with markup"),
])
def test_refusals_have_one_line_reasons(server: PageServer, local_fetch: FetchSettings,
                                        route: Route, fragment: str) -> None:
    """Empty pages, HTTP errors and odd answers are refused with a one-line reason."""
    server.routes["/p"] = route
    with pytest.raises(FetchError) as caught:
        fetch_story(server.url("/p"), settings=local_fetch)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)


def test_slow_server_times_out(server: PageServer) -> None:
    """A server slower than ``timeout`` is given up on."""
    server.routes["/slow"] = Route(body=BUDGET.html.encode(), headers=HTML, delay=1.5)
    settings = FetchSettings(timeout=0.3, allow_hosts=["127.0.0.1"])
    with pytest.raises(FetchError, match="timed out"):
        fetch_story(server.url("/slow"), settings=settings)


def test_unreachable_port_is_refused(local_fetch: FetchSettings) -> None:
    """A closed port gives a connection refusal, not a traceback."""
    with Fetcher(settings=local_fetch) as fetcher, pytest.raises(FetchError, match="cannot connect"):
        fetcher.get("http://127.0.0.1:9/", kind="html")
