"""OAuth 1.0a (HMAC-SHA1) header checking for the fake X server, stdlib only (RFC 5849)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote, unquote


class OAuthError(Exception):
    """The Authorization header is missing, malformed, or its signature does not match."""


def _pct(value: str) -> str:
    return quote(value, safe="~-._")


def parse_header(header: str) -> dict[str, str]:
    """The ``oauth_*`` fields of an ``Authorization: OAuth ...`` header."""
    if not header.startswith("OAuth "):
        raise OAuthError("not an OAuth 1.0a header")
    fields: dict[str, str] = {}
    for item in header[len("OAuth ") :].split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise OAuthError(f"malformed OAuth field {item!r}")
        fields[unquote(key)] = unquote(value.strip('"'))
    for required in (
        "oauth_consumer_key",
        "oauth_token",
        "oauth_signature",
        "oauth_nonce",
        "oauth_timestamp",
        "oauth_signature_method",
    ):
        if required not in fields:
            raise OAuthError(f"missing {required}")
    if fields["oauth_signature_method"] != "HMAC-SHA1":
        raise OAuthError("unsupported signature method")
    return fields


def signature(
    method: str, url: str, params: list[tuple[str, str]], consumer_secret: str, token_secret: str
) -> str:
    """The HMAC-SHA1 signature of a request (``params``: query, form and oauth fields)."""
    pairs = sorted((_pct(k), _pct(v)) for k, v in params if k != "oauth_signature")
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join((method.upper(), _pct(url), _pct(normalized)))
    key = f"{_pct(consumer_secret)}&{_pct(token_secret)}".encode()
    digest = hmac.new(key, base.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def verify(
    fields: dict[str, str],
    method: str,
    url: str,
    query: list[tuple[str, str]],
    consumer_secret: str,
    token_secret: str,
) -> None:
    """Raise ``OAuthError`` unless ``fields['oauth_signature']`` signs this request."""
    params = [*query, *((k, v) for k, v in fields.items() if k.startswith("oauth_"))]
    expected = signature(method, url, params, consumer_secret, token_secret)
    if not hmac.compare_digest(expected, fields["oauth_signature"]):
        raise OAuthError("signature mismatch")
