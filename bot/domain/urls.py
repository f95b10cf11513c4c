"""URL checks and canonical form (the dedupe key). Pure."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.domain.errors import InputError

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "mtm_", "matomo_", "piwik_", "itm_", "hsa_", "ns_", "oly_",
                      "vero_", "at_")
_TRACKING_KEYS = {"fbclid", "gclid", "gclsrc", "dclid", "msclkid", "twclid", "ttclid", "yclid", "igshid",
                  "li_fat_id", "mkt_tok", "_ga", "_gl", "_hsenc", "_hsmi", "mbid", "srsltid",
                  "guccounter", "ref", "ref_src", "ref_url", "cmp", "cmpid", "ocid", "smid", "s_cid",
                  "xtor", "ito", "wt_mc", "wt.mc_id", "ad", "adid", "ad_id", "spm", "share_id"}
"""Query parameters that only say where a reader came from (advertising, newsletters, analytics)."""


def check_url(url: str) -> str:
    """The URL stripped, if it is an absolute http(s) URL with a host; else ``InputError``."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {url!r}")
    if any(ch.isspace() for ch in url):
        raise InputError(f"URL contains whitespace: {url!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise InputError(f"URL has a bad port (1-65535): {url!r}") from None
    return url


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no tracking parameters, no default port,
    no trailing slash on paths other than ``/``; query parameters sorted."""
    parts = urlsplit(check_url(url))
    scheme = "https" if parts.scheme.lower() in ("http", "https") else parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    query = urlencode(sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PREFIXES) and k.lower() not in _TRACKING_KEYS
    ))
    return urlunsplit((scheme, netloc, path, query, ""))
