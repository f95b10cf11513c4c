"""Bearer-token check for ``/api/*``, done before the body is read (constant-time compare)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable

from fastapi.security import HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

bearer = HTTPBearer(auto_error=False, description="The token from `[api] token`.")
"""Declares the scheme in the OpenAPI document; the check itself is ``BearerGuard``."""

PROTECTED_PREFIX = "/api/"


def token_ok(header: str | None, expected: str | None) -> bool:
    """True when ``header`` is ``Bearer <expected>`` (compared in constant time)."""
    if not expected or not header:
        return False
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


class BearerGuard:
    """ASGI middleware: a request to ``/api/...`` without the right token gets 401."""

    def __init__(self, app: ASGIApp, *, token: Callable[[], str | None]) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse unauthenticated API calls before anything else runs."""
        if scope["type"] != "http" or not scope["path"].startswith(PROTECTED_PREFIX):
            await self.app(scope, receive, send)
            return
        header = None
        for name, value in scope.get("headers", []):
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if token_ok(header, self.token()):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": "missing or wrong bearer token"}).encode()
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"www-authenticate", b"Bearer"),
        ]})
        await send({"type": "http.response.body", "body": body})
