"""HTTPS to the checked address: the certificate is verified for the name, not the dialled IP."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config.settings import FetchSettings
from bot.domain.errors import FetchError
from bot.ingest.story import fetch_story
from tests.ingest.pages import BUDGET
from tests.ingest.server import PageServer, Route

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[PageServer, Path]]:
    """A local HTTPS server with a self-signed certificate for ``news.example``."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=news.example", "-addext", "subjectAltName=DNS:news.example",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = PageServer(tls=context).start()
    server.routes["/story"] = Route(body=BUDGET.html.encode(),
                                    headers={"Content-Type": "text/html"})
    yield server, cert
    server.stop()


def _fetch(server: PageServer, cert: Path, host: str) -> str:
    transport = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=str(cert)))
    settings = FetchSettings(timeout=3, allow_hosts=[host])
    try:
        draft = fetch_story(server.url("/story", host=host), settings=settings,
                            transport=transport, resolver=lambda h, p: ["127.0.0.1"])
    finally:
        transport.close()
    return draft.title


def test_https_dials_the_checked_ip_with_sni_and_verification(
        tls_server: tuple[PageServer, Path]) -> None:
    """news.example is dialled at 127.0.0.1; SNI and certificate checks still use the name."""
    server, cert = tls_server
    assert _fetch(server, cert, "news.example") == BUDGET.title
    assert server.requests[0].headers["host"] == f"news.example:{server.port}"


def test_certificate_for_another_name_is_refused(tls_server: tuple[PageServer, Path]) -> None:
    """The same address under a name the certificate does not cover fails verification."""
    server, cert = tls_server
    with pytest.raises(FetchError, match="cannot connect: TLS certificate not trusted"):
        _fetch(server, cert, "other.example")
