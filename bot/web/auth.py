"""Sign-in for the web desk: argon2 password hashes, server-side sessions, CSRF tokens and a
limit on failed sign-ins."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.config.settings import WebUser

_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("crosspost: a password nobody has")

WINDOW_SECONDS = 15 * 60


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` for ``[[web.users]] password_hash``."""
    if not password:
        raise ValueError("the password is empty")
    return _HASHER.hash(password)


def check_password(users: list[WebUser], name: str, password: str) -> WebUser | None:
    """The user when ``name`` and ``password`` match; as slow for unknown names as for known."""
    user = next((u for u in users if hmac.compare_digest(u.name.encode(), name.encode())), None)
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return user


@dataclass
class Session:
    """A signed-in person: name, role, CSRF token, expiry, and messages for the next page."""

    name: str
    role: str
    csrf: str
    expires: float
    notes: list[str] = field(default_factory=list)

    @property
    def editor(self) -> bool:
        """Editors act; viewers only read."""
        return self.role == "editor"


class Sessions:
    """Sessions kept in memory, keyed by a random cookie value (a restart signs everyone out)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._by_key: dict[str, Session] = {}
        self._clock = clock

    def open(self, user: WebUser, hours: float) -> tuple[str, Session]:
        """A new session for ``user``; returns its cookie value."""
        self._sweep()
        key = secrets.token_urlsafe(32)
        session = Session(name=user.name, role=user.role, csrf=secrets.token_urlsafe(32),
                          expires=self._clock() + hours * 3600)
        self._by_key[key] = session
        return key, session

    def get(self, key: str | None, users: list[WebUser]) -> Session | None:
        """The live session for a cookie value; gone when expired or the user left config
        (and its role follows the config)."""
        session = self._by_key.get(key) if key else None
        if session is None:
            return None
        user = next((u for u in users if u.name == session.name), None)
        if session.expires < self._clock() or user is None:
            self._by_key.pop(key or "", None)
            return None
        session.role = user.role
        return session

    def close(self, key: str | None) -> None:
        """Sign out."""
        self._by_key.pop(key or "", None)

    def _sweep(self) -> None:
        now = self._clock()
        for key in [k for k, s in self._by_key.items() if s.expires < now]:
            del self._by_key[key]


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """True when the form carried the session's token (constant-time compare)."""
    return bool(expected and given) and hmac.compare_digest(str(expected).encode(),
                                                            str(given).encode())


class SignInLimit:
    """At most ``attempts`` failed sign-ins per 15 minutes per address and per name."""

    def __init__(self, *, attempts: Callable[[], int],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._attempts = attempts
        self._clock = clock
        self._failures: dict[str, list[float]] = {}

    def wait_seconds(self, *keys: str) -> int:
        """Seconds until these keys may try again (0: now)."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            recent = [t for t in self._failures.get(key, []) if t > now - WINDOW_SECONDS]
            self._failures[key] = recent
            if len(recent) >= self._attempts():
                wait = max(wait, recent[0] + WINDOW_SECONDS - now)
        return int(wait) + (1 if wait else 0)

    def failed(self, *keys: str) -> None:
        """Count a failed sign-in against each key."""
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, []).append(now)
        if len(self._failures) > 10_000:  # forget the oldest keys rather than grow without end
            for key in list(self._failures)[:5_000]:
                del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        """A good sign-in clears the name's count."""
        for key in keys:
            self._failures.pop(key, None)
