"""Translation of tweepy and requests errors into the project's exception tree.

tweepy raises its own ``HTTPException`` kinds for answers; transport failures arrive as requests
exceptions. A refused connection or a connect timeout never reached X (transient); a read timeout
or a connection dropped after the request left may hide a created post (uncertain).
"""

from __future__ import annotations

from datetime import UTC, datetime

import requests
import tweepy
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from bot.domain.errors import (
    AuthError,
    DuplicateContentError,
    PermanentError,
    PublishError,
    RateLimitedError,
    TransientError,
    UncertainError,
    unreachable,
)

UNKNOWN_RESET_SECONDS = 900.0  # one X rate-limit window, when no reset header came


def platform_message(exc: tweepy.HTTPException) -> str:
    """X's own words for an error answer."""
    return "; ".join(str(m) for m in exc.api_messages) or str(exc)


def translate(exc: Exception, *, where: str = "api.x.com") -> PublishError:
    """The project error for a tweepy/requests error (the caller raises it ``from exc``);
    a transport failure reads as one line naming ``where`` (host) and why."""
    if isinstance(exc, tweepy.HTTPException):
        return _translate_answer(exc)
    if isinstance(exc, requests.ConnectTimeout):
        return TransientError(unreachable("X not reached", where, exc))
    if isinstance(exc, requests.ConnectionError) and _never_left(exc):
        return TransientError(unreachable("X not reached", where, exc))
    if isinstance(exc, requests.Timeout):
        return UncertainError(unreachable("X did not answer in time", where, exc))
    return UncertainError(unreachable("X connection lost", where, exc))


def _never_left(exc: requests.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError))


def _translate_answer(exc: tweepy.HTTPException) -> PublishError:
    said = platform_message(exc)
    lower = said.lower()
    if isinstance(exc, tweepy.TooManyRequests):
        reset = getattr(exc, "reset_time", None)
        if reset is not None:
            reset_at = datetime.fromtimestamp(int(reset), UTC)
            return RateLimitedError(
                f"X rate limit: wait until {reset_at:%H:%M:%S} UTC",
                reset_at=reset_at,
                platform_message=said,
            )
        return RateLimitedError(
            "X rate limit (no reset time given)",
            retry_after=UNKNOWN_RESET_SECONDS,
            platform_message=said,
        )
    if isinstance(exc, tweepy.Forbidden):
        if "duplicate content" in lower:
            return DuplicateContentError(f"X refused duplicate text: {said}", platform_message=said)
        if "reply to a tweet" in lower:
            return PermanentError(f"X refused the reply: {said}", platform_message=said)
        return AuthError(f"X refused the account: {said}", platform_message=said)
    if isinstance(exc, tweepy.Unauthorized):
        return AuthError(f"X rejected the credentials: {said}", platform_message=said)
    if isinstance(exc, tweepy.TwitterServerError):
        return TransientError(f"X unavailable: {said}", platform_message=said)
    return PermanentError(f"X refused the post: {said}", platform_message=said)
