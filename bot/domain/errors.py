"""The one exception tree. Adapters translate library errors into these kinds."""

from __future__ import annotations

from datetime import datetime


class CrosspostError(Exception):
    """Base of every error the project raises on purpose."""


class ConfigError(CrosspostError):
    """Configuration is invalid: names the file and the key at fault."""

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        self.file = file
        self.key = key
        self.detail = message
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class InputError(CrosspostError):
    """A story or a command argument was refused; the message says why."""


class NotFoundError(CrosspostError):
    """An article, delivery or target named by the user does not exist."""


class ConflictError(CrosspostError):
    """The change came too late: someone else already made it (a story decided by another
    editor); the message says who and when."""


class FetchError(InputError):
    """A URL or feed could not be fetched or extracted (one-line reason)."""


class StoreError(CrosspostError):
    """The database failed or is not reachable."""


class PublishError(CrosspostError):
    """A platform refused or failed a post. ``platform_message`` is the platform's own words."""

    kind = "error"

    def __init__(self, message: str, *, platform_message: str | None = None) -> None:
        super().__init__(message)
        self.platform_message = platform_message or message


class TransientError(PublishError):
    """5xx, connection refused or reset before the request was accepted: safe to retry."""

    kind = "transient"


class RateLimitedError(PublishError):
    """429: nothing may be sent to this chat or account before ``retry_after`` / ``reset_at``."""

    kind = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset_at: datetime | None = None,
        platform_message: str | None = None,
    ) -> None:
        super().__init__(message, platform_message=platform_message)
        self.retry_after = retry_after
        self.reset_at = reset_at


class PermanentError(PublishError):
    """Bad request, chat not found, message too long: never retried automatically."""

    kind = "permanent"


class DuplicateContentError(PermanentError):
    """X refused identical text (403 duplicate content): never retried."""

    kind = "duplicate"


class EditRefusedError(PermanentError):
    """The platform will not edit this post (X: past 30 minutes, 5 edits, or not allowed)."""

    kind = "edit_refused"


class EntityParseError(PermanentError):
    """Telegram "can't parse entities": retried once as plain text."""

    kind = "entities"


class AuthError(PublishError):
    """401, bot removed from the channel, 403 forbidden: the target is paused."""

    kind = "auth"


class UncertainError(PublishError):
    """The request left but no answer came (timeout): the platform may have the post."""

    kind = "uncertain"


class ImageError(CrosspostError):
    """A story's image cannot go with the post: not fetched, not a usable image, or refused
    by the platform. ``transient`` says whether a later try may succeed (an upload cut by a
    network fault) or not (a private address, a PDF, "media type unrecognized")."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
