"""End to end: stories with images posted by `crosspost` to the fake X and Telegram APIs, with
the real tweepy and python-telegram-bot clients over HTTP, images served by a local web server."""

from __future__ import annotations

import io
import json
import random
import re
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.core.cli_helpers import Project, make_project
from tests.e2e.live import X_ENV, copies, deliveries, start_daemon, wait_until
from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeTelegram, MakeX, make_telegram_server, make_x_server  # noqa: F401
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN, TelegramConfig
from tests.ingest.server import PageServer, Route

pytestmark = pytest.mark.slow

CONFIG = """
database_url = "sqlite:///{{root}}/var/crosspost.db"
outbox_dir = "{{root}}/var/outbox"
dry_run = false
[fetch]
timeout = 20
allow_hosts = ["127.0.0.1"]
[telegram]
api_base_url = "{tg}"
timeout = 5
messages_per_chat_per_minute = 100000
messages_per_second = 100000
[x]
api_base_url = "{x}"
timeout = 5
[retry]
max_attempts = 50
base_delay = 0.2
max_delay = 2
[[targets]]
name = "xa"
platform = "x"
[[targets]]
name = "tg-news"
platform = "telegram"
chat = "@news"
photo = true
"""


@pytest.fixture
def pages() -> Iterator[PageServer]:
    """The newsroom's web server, serving the story images."""
    server = PageServer().start()
    yield server
    server.stop()


def project(root: Path, tg: FakeServer, x: FakeServer) -> Project:
    """A live project posting to the fakes, allowed to fetch images from 127.0.0.1 only."""
    p = make_project(root, CONFIG.format(tg=tg.url, x=x.url))
    p.env.update(X_ENV)
    p.env["CROSSPOST_TELEGRAM__BOT_TOKEN"] = DEFAULT_TOKEN
    return p


def jpeg(seed: int) -> bytes:
    """A small JPEG that differs per seed."""
    out = io.BytesIO()
    Image.new("RGB", (640, 360), (seed * 37 % 256, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def huge_png() -> bytes:
    """A PNG of random pixels over 30 MB (3200×3200): X takes at most 5 MB."""
    noise = random.Random(16).randbytes(3200 * 3200 * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (3200, 3200), noise).save(out, "PNG", compress_level=1)
    return out.getvalue()


def queue(p: Project, stories: list[dict[str, Any]]) -> None:
    """Queue the stories with one import."""
    lines = [json.dumps({"text": f"{s['title']} happened in the city today. Officials "
                                 "confirmed the details in a statement."} | s) for s in stories]
    (p.root / "stories.jsonl").write_text("\n".join(lines))
    r = p.run("queue", "import", "stories.jsonl")
    assert r.code == 0, r.err


def tweets_by_story(x: FakeServer) -> dict[str, dict[str, Any]]:
    """Each first post on X by its 'Story number N'."""
    out = {}
    for tweet in x.app.state()["tweets"]:  # type: ignore[attr-defined]
        found = re.search(r"Story number (\d+)", tweet["text"])
        assert found, tweet["text"]
        out[found.group(1)] = tweet
    return out


def test_images_reach_x_and_telegram(tmp_path: Path, pages: PageServer,
                                     make_telegram_server: MakeTelegram,  # noqa: F811
                                     make_x_server: MakeX) -> None:  # noqa: F811
    """A good image goes to X (bytes and alt text as served) and to Telegram, fetched once; a
    30 MB PNG goes to X scaled under 5 MB; an image on a private address or an HTML page
    behind a .jpg URL is refused, recorded on the delivery, and the post goes out without it."""
    tg = make_telegram_server(TelegramConfig(chats=("@news",)))
    x = make_x_server()
    small, big = jpeg(1), huge_png()
    assert len(big) > 30_000_000
    pages.routes["/lead.jpg"] = Route(body=small, headers={"Content-Type": "image/jpeg"})
    pages.routes["/huge.png"] = Route(body=big, headers={"Content-Type": "image/png"})
    pages.routes["/login.jpg"] = Route(body=b"<html><body>Please log in</body></html>",
                                       headers={"Content-Type": "image/jpeg"})
    p = project(tmp_path / "p", tg, x)
    private = pages.url("/lead.jpg").replace("127.0.0.1", "localhost")
    queue(p, [
        {"url": "https://city.example/1", "title": "Story number 1", "image_url": pages.url("/lead.jpg"),
         "image_alt": "Divers at the harbour wall at dawn"},
        {"url": "https://city.example/2", "title": "Story number 2", "image_url": pages.url("/huge.png")},
        {"url": "https://city.example/3", "title": "Story number 3", "image_url": private},
        {"url": "https://city.example/4", "title": "Story number 4", "image_url": pages.url("/login.jpg")},
        {"url": "https://city.example/5", "title": "Story number 5"},
    ])
    r = p.run("run", "--once", timeout=180)
    assert r.code == 0, r.err

    ds = {(d["url"].rsplit("/", 1)[1], d["target"]): d for d in deliveries(p)}
    assert all(d["state"] == "published" for d in ds.values()), ds
    media = {m["id"]: m for m in x.app.state()["media"]}  # type: ignore[attr-defined]
    tweets = tweets_by_story(x)
    uploads = x.app.media.uploads  # type: ignore[attr-defined]

    first = tweets["1"]["media_ids"][0]
    assert uploads[first].data == small
    assert media[first]["alt_text"] == "Divers at the harbour wall at dawn"
    assert ds[("1", "xa")]["media_id"] == first and ds[("1", "xa")]["image_error"] is None
    photo = next(m for m in tg.app.state()["messages"] if "Story number 1" in m["text"])  # type: ignore[attr-defined]
    assert photo["x_photo"] == f"upload:{len(small)}"
    assert sum(1 for s in pages.requests if s.path == "/lead.jpg") == 1, "fetched once for both"

    scaled = media[tweets["2"]["media_ids"][0]]
    assert scaled["media_type"] == "image/jpeg" and scaled["size"] <= 5 * 1024 * 1024
    assert scaled["w"] == scaled["h"] > 1000

    for story, why in (("3", "localhost"), ("4", "not a JPEG, PNG, WebP or GIF")):
        assert tweets[story]["media_ids"] is None
        assert why in ds[(story, "xa")]["image_error"], ds[(story, "xa")]
        assert ds[(story, "tg-news")]["image_error"], "Telegram went without the photo too"
    assert tweets["5"]["media_ids"] is None and ds[("5", "xa")]["image_error"] is None
    assert not any(s.headers.get("host", "").startswith("localhost") for s in pages.requests)

    show = p.run("queue", "show", str(ds[("3", "xa")]["article"]))
    assert "image: not attached" in show.out and "localhost" in show.out
    assert max(copies(tg, x).values()) == 1


def test_upload_faults_every_post_once_with_its_image(tmp_path: Path, pages: PageServer,
                                                      make_telegram_server: MakeTelegram,  # noqa: F811
                                                      make_x_server: MakeX) -> None:  # noqa: F811
    """With 30% faults on uploads (and on posts), every story is on X exactly once, each good
    image attached with its bytes intact, each bad one recorded; no request came too early."""
    tg = make_telegram_server(TelegramConfig(chats=("@news",)))
    x = make_x_server(None, FaultPlan(rate=0.3, seed=5, slow_seconds=0.5))
    x.app.media.configure({"media_faults": {"rate": 0.3, "seed": 9,  # type: ignore[attr-defined]
                                            "slow_seconds": 0.5}})
    images = {str(i): jpeg(i) for i in range(12)}
    for number, data in images.items():
        pages.routes[f"/img-{number}.jpg"] = Route(body=data, headers={"Content-Type": "image/jpeg"})
    bad = {"3": "http://169.254.169.254/latest/meta-data/photo.jpg", "7": pages.url("/missing.jpg")}
    stories = [{"url": f"https://city.example/{n}", "title": f"Story number {n}",
                "image_url": bad.get(n, pages.url(f"/img-{n}.jpg")), "targets": ["xa"]}
               for n in images]
    p = project(tmp_path / "p", tg, x)
    queue(p, stories)
    proc = start_daemon(p)
    try:
        settled = wait_until(lambda: len(ds := deliveries(p)) == 12 and all(
            d["state"] in ("published", "failed", "needs_review") for d in ds), 150)
        assert settled, (p.root / "daemon.log").read_text()[-3000:]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    ds = {d["url"].rsplit("/", 1)[1]: d for d in deliveries(p)}
    assert all(d["state"] == "published" for d in ds.values()), ds
    assert max(copies(tg, x).values()) == 1 and len(tweets_by_story(x)) == 12
    uploads = x.app.media.uploads  # type: ignore[attr-defined]
    for number, tweet in tweets_by_story(x).items():
        if number in bad:
            assert tweet["media_ids"] is None and ds[number]["image_error"], ds[number]
        else:
            assert uploads[tweet["media_ids"][0]].data == images[number], number
            assert ds[number]["image_error"] is None, ds[number]
    state = x.app.state()  # type: ignore[attr-defined]
    assert state["violations"] == []
    media_faults = [r for r in state["requests"] if r["path"].startswith("/2/media") and r.get("fault")]
    assert len(media_faults) >= 5, "faults really hit the uploads"


def test_on_image_error_fail_and_the_cli_alt_text(tmp_path: Path, pages: PageServer,
                                                  make_telegram_server: MakeTelegram,  # noqa: F811
                                                  make_x_server: MakeX) -> None:  # noqa: F811
    """``--image-alt`` reaches X; with ``on_image_error = "fail"`` a bad image fails the delivery
    with the reason and nothing is posted, while a post-without target still posts."""
    tg = make_telegram_server(TelegramConfig(chats=("@news",)))
    x = make_x_server()
    pages.routes["/lead.jpg"] = Route(body=jpeg(3), headers={"Content-Type": "image/jpeg"})
    pages.routes["/page.jpg"] = Route(body=b"<html>moved</html>", headers={"Content-Type": "text/html"})
    p = project(tmp_path / "p", tg, x)
    p.config.write_text(p.config.read_text().replace('name = "tg-news"', 'name = "tg-news"\n'
                                                     'on_image_error = "fail"'))
    (p.root / "a.txt").write_text("Story number 1 happened in the city today. More soon.")
    (p.root / "b.txt").write_text("Story number 2 happened in the city today. More soon.")
    good = p.run("queue", "add", "https://city.example/1", "--title", "Story number 1",
                 "--body-file", "a.txt", "--image-url", pages.url("/lead.jpg"),
                 "--image-alt", "  The   mayor at the opening ", "--json")
    assert good.code == 0, good.err
    assert good.json()["image_alt"] == "The mayor at the opening"
    bad = p.run("queue", "add", "https://city.example/2", "--title", "Story number 2",
                "--body-file", "b.txt", "--image-url", pages.url("/page.jpg"), "--json")
    assert bad.code == 0, bad.err
    assert p.run("run", "--once", timeout=120).code == 0
    ds = {(d["url"].rsplit("/", 1)[1], d["target"]): d for d in deliveries(p)}
    media = {m["id"]: m for m in x.app.state()["media"]}  # type: ignore[attr-defined]
    assert media[tweets_by_story(x)["1"]["media_ids"][0]]["alt_text"] == "The mayor at the opening"
    assert ds[("1", "tg-news")]["state"] == "published"
    strict = ds[("2", "tg-news")]
    assert strict["state"] == "failed" and "image: " in strict["error"], strict
    assert ds[("2", "xa")]["state"] == "published" and ds[("2", "xa")]["image_error"]
    assert not any("Story number 2" in m["text"] for m in tg.app.state()["messages"])  # type: ignore[attr-defined]
