"""The one retry policy: (error, attempts, now) → what happens next. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.errors import (
    AuthError,
    DuplicateContentError,
    EntityParseError,
    PermanentError,
    PublishError,
    RateLimitedError,
    TransientError,
    UncertainError,
)


class Action(StrEnum):
    """What the dispatcher does with a delivery after a failed attempt."""

    RETRY = "retry"                # back to pending, planned at ``at``
    RETRY_PLAIN = "retry_plain"    # resend now as plain text (Telegram entity error)
    BLOCK_TARGET = "block_target"  # rate limited: target sends nothing before ``at``
    PAUSE_TARGET = "pause_target"  # auth: target paused, delivery waits
    FAIL = "fail"                  # permanent: failed with the reason
    RECONCILE = "reconcile"        # uncertain: ask the platform whether the post exists
    REVIEW = "review"              # uncertain and the platform can't be asked: needs_review
    REPOST = "repost"              # uncertain, target says repost: back to pending now


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff settings: ``base * 2**(n-1)`` capped at ``cap``, ± ``jitter`` fraction."""

    max_attempts: int = 6
    base: float = 5.0
    cap: float = 900.0
    jitter: float = 0.2

    def backoff(self, attempts: int, rand: float) -> float:
        """Seconds to wait after the ``attempts``-th failure; ``rand`` in [0, 1)."""
        raw = min(self.cap, self.base * 2.0 ** max(0, attempts - 1))
        return max(0.0, raw * (1.0 + self.jitter * (2.0 * rand - 1.0)))


@dataclass(frozen=True)
class Decision:
    """The next step, when it may happen and the reason to record."""

    action: Action
    reason: str
    at: datetime | None = None


def decide(
    error: PublishError,
    *,
    attempts: int,
    now: datetime,
    policy: RetryPolicy,
    rand: float,
    can_reconcile: bool,
    on_uncertain: str = "review",
    plain_tried: bool = False,
    reposted: bool = False,
) -> Decision:
    """Decide what follows a failed attempt; ``attempts`` counts this one (transient ones).

    ``reposted``: the previous attempt's outcome was already unknown and it was reposted; a
    second unknown outcome waits for review instead of posting again and again.
    """
    message = error.platform_message or str(error)
    if isinstance(error, RateLimitedError):
        until = _rate_limit_end(error, now)
        return Decision(Action.BLOCK_TARGET, f"rate limited until {until:%Y-%m-%d %H:%M:%S} UTC: "
                        f"{message}", until)
    if isinstance(error, AuthError):
        return Decision(Action.PAUSE_TARGET, f"target paused: {message}")
    if isinstance(error, EntityParseError):
        if plain_tried:
            return Decision(Action.FAIL, message)
        return Decision(Action.RETRY_PLAIN, f"{message}; retrying once as plain text", now)
    if isinstance(error, DuplicateContentError):
        return Decision(Action.FAIL, f"duplicate content, not retried: {message}")
    if isinstance(error, PermanentError):
        return Decision(Action.FAIL, message)
    if isinstance(error, UncertainError):
        if can_reconcile:
            return Decision(Action.RECONCILE, f"outcome unknown ({message}); checking the platform")
        if on_uncertain == "repost" and not reposted:
            delay = policy.backoff(1, rand)
            return Decision(Action.REPOST, f"outcome unknown ({message}); reposting once as "
                            "configured", now + timedelta(seconds=delay))
        return Decision(Action.REVIEW, f"outcome unknown ({message}); the platform cannot be "
                        "asked, so it waits for review (queue retry resends)")
    if isinstance(error, TransientError) and attempts < policy.max_attempts:
        delay = policy.backoff(attempts, rand)
        return Decision(Action.RETRY, f"attempt {attempts} of {policy.max_attempts} failed: "
                        f"{message}", now + timedelta(seconds=delay))
    if isinstance(error, TransientError):
        return Decision(Action.FAIL, f"gave up after {attempts} attempts: {message}")
    return Decision(Action.FAIL, message)


def _rate_limit_end(error: RateLimitedError, now: datetime) -> datetime:
    if error.reset_at is not None:
        return max(error.reset_at, now)
    seconds = error.retry_after if error.retry_after is not None else 60.0
    return now + timedelta(seconds=seconds)
