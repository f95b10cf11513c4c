"""The real ``crosspost run`` with ``[web] enabled`` and a headless Chromium driven by Selenium.

The browser is Debian's ``chromium`` with ``chromium-driver``; nothing is downloaded (Selenium
Manager is told to stay offline and is given both paths). Without them the browser tests skip
with the reason printed.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.web.auth import hash_password
from tests.api.conftest import crosspost_env, free_port, stop, wait_healthy

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         # the network is cut: every host but this machine fails to resolve
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1")
EDITOR, VIEWER, PASSWORD = "erin", "victor", "correct horse battery"
SCREENSHOTS_ENV = "CROSSPOST_SCREENSHOTS"


def write_desk_config(tmp: Path, port: int) -> Path:
    """Two dry-run targets on a once-a-day slot, so queued posts wait; an editor and a viewer."""
    config = tmp / "crosspost.toml"
    editor, viewer = hash_password(PASSWORD), hash_password(PASSWORD)
    config.write_text(f"""
database_url = "sqlite:///{tmp / 'crosspost.db'}"
outbox_dir = "{tmp / 'outbox'}"
dry_run = true
timezone = "Europe/Kyiv"

[api]
host = "127.0.0.1"
port = {port}

[web]
enabled = true

[[web.users]]
name = "{EDITOR}"
password_hash = "{editor}"
role = "editor"

[[web.users]]
name = "{VIEWER}"
password_hash = "{viewer}"
role = "viewer"

[schedules.daily]
slots = ["04:00"]

[[targets]]
name = "tg-main"
platform = "telegram"
chat = "@news"
schedule = "daily"
photo = true
link_preview = "large"

[[targets]]
name = "x-main"
platform = "x"
schedule = "daily"
image = "attach"
""", encoding="utf-8")
    return config


@dataclass
class RunningDesk:
    """A started ``crosspost run`` serving the desk."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="package")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDesk]:
    """``crosspost run`` with the desk on a free port (the API itself stays off)."""
    tmp = tmp_path_factory.mktemp("desk")
    port = free_port()
    config = write_desk_config(tmp, port)
    log = tmp / "crosspost.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "run"],
                                   cwd=tmp, env=crosspost_env(), stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, log)
        yield RunningDesk(url=url, process=process, log=log)
    finally:
        code = stop(process) if process.poll() is None else process.returncode
        assert code == 0, log.read_text()


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return (f"browser tests skipped: {CHROMIUM} and {CHROMEDRIVER} are needed "
                "(apt-get install chromium chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "browser tests skipped: selenium is not installed (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="package")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile (skips, saying why, without one)."""
    reason = browser_missing()
    if reason:
        print(reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a browser
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1000,900")
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot_dir(tmp_path: Path) -> Path:
    """``docs/screenshots`` when ``CROSSPOST_SCREENSHOTS=1`` (to refresh the README's), else a
    temporary folder."""
    if os.environ.get(SCREENSHOTS_ENV) == "1":
        return Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    return tmp_path


class Signed:
    """An httpx client signed in to the desk as one person."""

    def __init__(self, url: str, name: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=30, follow_redirects=False)
        page = self.client.get("/login")
        token = csrf_of(page.text)
        answer = self.client.post("/login", data={"csrf": token, "name": name,
                                                  "password": PASSWORD, "next": "/"})
        assert answer.status_code == 303, answer.text
        self.csrf = csrf_of(self.client.get("/").text)

    def close(self) -> None:
        """Close the connection."""
        self.client.close()


def csrf_of(page: str) -> str:
    """The first CSRF token in a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def sample_png(width: int = 320, height: int = 180) -> bytes:
    """A small PNG drawn here (sky, river bank, a bridge) for the photo preview."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            pixel = (120 + y // 2, 170 + y // 3, 230) if y < 110 else (60, 110 + x % 40, 70)
            if 60 < y < 72 or (130 < x < 190 and 72 <= y < 110):
                pixel = (80, 80, 90)
            rows += bytes(pixel)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows)))
            + chunk(b"IEND", b""))


@pytest.fixture(scope="package")
def photo_url() -> Iterator[str]:
    """The URL of a story photo served on this machine (the browser's network is cut)."""
    image = sample_png()

    class Photo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Photo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/bridge.png"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
