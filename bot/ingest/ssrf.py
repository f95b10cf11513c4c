"""The SSRF guard: which hosts and addresses a fetch may reach.

Every hop (first URL and each redirect) is resolved here and every address checked; the fetcher
then connects to the address that was checked (not to a second DNS answer), so a name that
re-binds to 127.0.0.1 between check and connect gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config.settings import FetchSettings
from bot.domain.errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
"""``(host, port) -> addresses`` as text; the system resolver by default, a table in tests."""

METADATA = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
                      ipaddress.ip_address("100.100.100.200")})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (``FetchError`` when none)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}") from exc
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return seen


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address (``None`` when it is one)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return blocked_reason(ip.ipv4_mapped)
    checks: list[tuple[bool, str]] = [
        (ip in METADATA, "a cloud metadata address"),
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "a carrier-grade NAT address"),
        (isinstance(ip, ipaddress.IPv6Address) and ip in _UNIQUE_LOCAL, "a unique-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "a reserved address"),
    ]
    for hit, reason in checks:
        if hit:
            return reason
    return None


@dataclass(frozen=True)
class Hop:
    """A checked destination: the URL as asked, its host and port, and the address to dial."""

    url: str
    host: str
    port: int
    address: str


class Guard:
    """Resolves a URL's host and refuses non-public addresses unless the settings allow them."""

    def __init__(self, *, settings: FetchSettings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.resolver = resolver or system_resolver
        self.allowed = {h.strip().lower().rstrip(".").strip("[]") for h in settings.allow_hosts}

    def check(self, url: str) -> Hop:
        """The destination of ``url`` after the checks; ``FetchError`` with the reason if refused."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise FetchError(f"refused {url}: only http and https URLs are fetched")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise FetchError(f"refused {url}: no host")
        if parts.username or parts.password:
            raise FetchError(f"refused {url}: URLs with credentials are not fetched")
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise FetchError(f"refused {url}: bad port") from None
        addresses = self._resolve(host, port)
        if not addresses:
            raise FetchError(f"cannot resolve host {host!r}")
        listed = host in self.allowed
        for text in addresses:
            ip = ipaddress.ip_address(text)
            reason = blocked_reason(ip)
            if reason is None or listed:
                continue
            if self.settings.allow_private_networks and ip not in METADATA:
                continue
            raise FetchError(f"refused {url}: {host} resolves to {ip}, {reason} "
                             f"(allow it with [fetch] allow_hosts)")
        return Hop(url=url, host=host, port=port, address=addresses[0])

    def _resolve(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            found = self.resolver(host, port)
            return [str(ipaddress.ip_address(a)) for a in found]
        except FetchError:
            raise
        except (OSError, ValueError) as exc:
            raise FetchError(f"cannot resolve host {host!r}: {exc}") from exc
