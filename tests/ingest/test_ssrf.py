"""The SSRF guard: which addresses are refused, and how settings allow them."""

from __future__ import annotations

import ipaddress

import pytest

from bot.config.settings import FetchSettings
from bot.domain.errors import FetchError
from bot.ingest.ssrf import Guard, blocked_reason


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"),
    ("10.1.2.3", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "cloud metadata"), ("fd00:ec2::254", "cloud metadata"),
    ("169.254.10.1", "link-local"), ("fe80::1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"), ("100.127.255.254", "carrier-grade NAT"),
    ("fc00::1", "unique-local"), ("fd12:3456::1", "unique-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("240.0.0.1", "reserved"),
])
def test_non_public_addresses_are_named(address: str, reason: str) -> None:
    """Each kind of inside address is refused with its own name."""
    found = blocked_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    """Public unicast addresses are not refused."""
    assert blocked_reason(ipaddress.ip_address(address)) is None


def _table(entries: dict[str, list[str]]) -> Guard:
    return Guard(settings=FetchSettings(), resolver=lambda host, port: entries[host])


def test_names_are_checked_after_resolution() -> None:
    """A public-looking name that resolves inside the network is refused, naming the address."""
    guard = _table({"intranet.example": ["10.0.0.5"], "news.example": ["93.184.216.34"]})
    with pytest.raises(FetchError, match=r"intranet.example resolves to 10.0.0.5, a private"):
        guard.check("https://intranet.example/admin")
    hop = guard.check("https://news.example/story")
    assert (hop.host, hop.port, hop.address) == ("news.example", 443, "93.184.216.34")


def test_any_inside_address_among_several_refuses() -> None:
    """A name with one public and one private address is refused (either could be dialled)."""
    guard = _table({"mixed.example": ["93.184.216.34", "192.168.0.10"]})
    with pytest.raises(FetchError, match=r"192\.168\.0\.10"):
        guard.check("http://mixed.example/")


def test_ip_literals_and_numeric_forms_are_refused() -> None:
    """Bracketed IPv6, decimal and dotted-hex spellings of loopback are all refused."""
    guard = Guard(settings=FetchSettings())
    for url in ("http://127.0.0.1/", "http://[::1]:8080/", "http://2130706433/", "http://0x7f.1/",
                "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(FetchError, match="refused"):
            guard.check(url)


def test_settings_allow_private_networks_or_listed_hosts() -> None:
    """``allow_private_networks`` opens private ranges (not metadata); ``allow_hosts`` one host."""
    resolve = {"cms.internal": ["10.0.0.7"], "meta.internal": ["169.254.169.254"]}
    private = Guard(settings=FetchSettings(allow_private_networks=True),
                    resolver=lambda h, p: resolve[h])
    assert private.check("http://cms.internal/a").address == "10.0.0.7"
    with pytest.raises(FetchError, match="cloud metadata"):
        private.check("http://meta.internal/")
    listed = Guard(settings=FetchSettings(allow_hosts=["CMS.internal"]),
                   resolver=lambda h, p: resolve[h])
    assert listed.check("http://cms.internal:8080/a").port == 8080
    with pytest.raises(FetchError):
        listed.check("http://meta.internal/")


@pytest.mark.parametrize(("url", "fragment"), [
    ("ftp://news.example/file", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://user:pw@news.example/", "credentials"),
    ("http:///nohost", "no host"),
])
def test_odd_urls_are_refused(url: str, fragment: str) -> None:
    """Other schemes, credentials in the URL and host-less URLs are refused up front."""
    with pytest.raises(FetchError, match=fragment):
        _table({"news.example": ["93.184.216.34"]}).check(url)
