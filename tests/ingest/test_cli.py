"""The CLI as staff run it: ``queue add URL`` fetching the page, ``feeds poll`` and ``feeds list``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.core.cli_helpers import CONFIG, Project, make_project
from tests.ingest.feeddocs import LONG, Entry, rss
from tests.ingest.pages import BUDGET
from tests.ingest.server import PageServer, Route

HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def project(tmp_path: Path, server: PageServer) -> Project:
    """A project whose fetches may reach the local server and with one feed on it."""
    extra = f"""
[fetch]
timeout = 3
allow_hosts = ["127.0.0.1"]
[[feeds]]
name = "citytimes"
url = "{server.url('/rss.xml')}"
interval = "5m"
targets = ["xa"]
backfill = 1
"""
    return make_project(tmp_path / "proj", CONFIG + extra)


def test_queue_add_fetches_the_page(project: Project, server: PageServer) -> None:
    """``queue add URL`` queues the extracted story with source cli; a second add dedupes."""
    server.routes["/story"] = Route(body=BUDGET.html.encode(), headers=HTML)
    r = project.run("queue", "add", server.url("/story?utm_source=mail"), "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["title"] == BUDGET.title and data["created"] is True
    assert data["source"] == "cli"
    again = project.run("queue", "add", server.url("/story"), "--json")
    assert again.code == 0 and again.json()["created"] is False


def test_queue_add_refusal_is_one_line(project: Project, server: PageServer) -> None:
    """A binary answer is refused with exit 2 and one line naming the reason; nothing is queued."""
    server.routes["/pic"] = Route(body=b"\x89PNG\r\n\x1a\n" + b"\x00" * 500,
                                  headers={"Content-Type": "image/png"})
    r = project.run("queue", "add", server.url("/pic"))
    assert r.code == 2
    assert r.err.strip().count("\n") == 0 and "not an HTML page" in r.err
    assert project.run("queue", "list", "--json").json() == []


def test_feeds_poll_and_list(project: Project, server: PageServer) -> None:
    """``feeds poll`` reports what it queued per feed; polling again queues nothing; list shows state."""
    when = datetime.now(UTC) - timedelta(hours=1)
    server.routes["/rss.xml"] = Route(body=rss([
        Entry("a", "https://citytimes.example/a", "Older story", content=LONG,
              published=when - timedelta(hours=1)),
        Entry("b", "https://citytimes.example/b", "Newest story", content=LONG, published=when),
    ]), headers={"Content-Type": "application/rss+xml"})
    r = project.run("feeds", "poll", "--json")
    assert r.code == 0, r.err
    (result,) = r.json()
    assert result["feed"] == "citytimes" and [q["title"] for q in result["queued"]] == ["Newest story"]
    again = project.run("feeds", "poll")
    assert again.code == 0 and again.out.startswith("citytimes: queued 0")
    listed = project.run("feeds", "list", "--json").json()
    assert listed[0]["name"] == "citytimes" and listed[0]["failures"] == 0
    assert listed[0]["last_polled_at"] is not None
    shown = project.run("queue", "list", "--json").json()
    assert [a["title"] for a in shown] == ["Newest story"]
    text = project.run("feeds", "list").out
    assert "citytimes every 5m" in text and "ok" in text


def test_feeds_poll_reports_failure(project: Project, server: PageServer) -> None:
    """A failing feed is reported with its reason and exit code 1."""
    server.routes["/rss.xml"] = Route(404, b"no", {"Content-Type": "text/plain"})
    r = project.run("feeds", "poll")
    assert r.code == 1 and "citytimes: failed:" in r.out and "HTTP 404" in r.out
    listed = project.run("feeds", "list", "--json").json()
    assert listed[0]["failures"] == 1 and "HTTP 404" in listed[0]["last_error"]
