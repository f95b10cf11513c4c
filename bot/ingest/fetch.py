"""httpx fetches with limits: timeouts, size cap, content type, redirects checked hop by hop."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from bot.config.settings import FetchSettings
from bot.domain.errors import FetchError
from bot.ingest.sniff import check_kind
from bot.ingest.ssrf import Guard, Hop, Resolver

MAX_REDIRECTS = 5
Kind = Literal["html", "feed", "image"]
_ACCEPT = {
    "image": "image/jpeg,image/png,image/webp,image/gif;q=0.9",
    "html": "text/html,application/xhtml+xml;q=0.9",
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,text/xml;q=0.8",
}


@dataclass(frozen=True)
class Fetched:
    """A response read within the limits: final URL, status, headers and body."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str = ""
    charset: str | None = None

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional request."""
        return self.status == 304


class Fetcher:
    """Fetches pages and feeds; every hop passes the SSRF guard and is dialled at the checked IP."""

    def __init__(self, *, settings: FetchSettings, transport: httpx.BaseTransport | None = None,
                 resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.guard = Guard(settings=settings, resolver=resolver)
        timeout = httpx.Timeout(settings.timeout, connect=min(settings.timeout, 10.0))
        self._client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False,
                                    trust_env=False)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def get(self, url: str, *, kind: Kind, headers: dict[str, str] | None = None,
            max_bytes: int | None = None) -> Fetched:
        """GET ``url`` following at most 5 redirects; ``FetchError`` with a one-line reason.

        ``kind="image"`` checks the body's first bytes for JPEG, PNG, WebP or GIF; ``max_bytes``
        replaces the configured size cap (images have their own).
        """
        deadline = time.monotonic() + self.settings.timeout * 3
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            hop = self.guard.check(current)
            response = self._send(hop, kind, headers or {}, deadline, max_bytes)
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("location")
                if not location:
                    raise FetchError(f"{current}: redirect without a Location header")
                current = urljoin(current, location.strip())
                continue
            return response
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _send(self, hop: Hop, kind: Kind, extra: dict[str, str], deadline: float,
              max_bytes: int | None) -> Fetched:
        parts = urlsplit(hop.url)
        address = f"[{hop.address}]" if ":" in hop.address else hop.address
        netloc = address if parts.port is None else f"{address}:{parts.port}"
        dial = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))
        host_header = hop.host if parts.port is None else f"{hop.host}:{parts.port}"
        if ":" in hop.host:
            host_header = f"[{hop.host}]" if parts.port is None else f"[{hop.host}]:{parts.port}"
        headers = {"Host": host_header, "User-Agent": self.settings.user_agent,
                   "Accept": _ACCEPT[kind], "Accept-Encoding": "identity", **extra}
        extensions = {"sni_hostname": hop.host} if parts.scheme.lower() == "https" else {}
        request = self._client.build_request("GET", dial, headers=headers, extensions=extensions)
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchError(f"{hop.url}: timed out") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{hop.url}: cannot connect ({type(exc).__name__})") from exc
        try:
            return self._read(hop.url, response, kind, deadline, max_bytes)
        finally:
            response.close()

    def _read(self, url: str, response: httpx.Response, kind: Kind, deadline: float,
              max_bytes: int | None) -> Fetched:
        status = response.status_code
        headers = {k.lower(): v for k, v in response.headers.items()}
        if status in (301, 302, 303, 304, 307, 308):
            return Fetched(url=url, status=status, headers=headers, body=b"")
        if status >= 400:
            raise FetchError(f"{url}: HTTP {status}")
        if status != 200:
            raise FetchError(f"{url}: unexpected HTTP {status}")
        limit = self.settings.max_bytes if max_bytes is None else max_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(f"{url}: too large ({int(declared)} bytes; the limit is {limit})")
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        check_kind(url, kind, content_type, b"")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{url}: too large (more than {limit} bytes)")
                if time.monotonic() > deadline:
                    raise FetchError(f"{url}: too slow (gave up after {self.settings.timeout * 3:g} s)")
                chunks.append(chunk)
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url}: timed out while reading") from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{url}: connection broke while reading ({type(exc).__name__})") from exc
        body = b"".join(chunks)
        check_kind(url, kind, content_type, body[:1024])
        return Fetched(url=url, status=status, headers=headers, body=body,
                       content_type=content_type, charset=response.charset_encoding)
