"""Reading stories from JSON-like data (import lines, API bodies) and checking their fields."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.errors import InputError
from bot.domain.models import ArticleDraft, Priority
from bot.domain.urls import canonical_url, check_url

MAX_TITLE = 1000
MAX_IMAGE_ALT = 5000
MAX_TEXT = 200_000
MAX_URL = 2048
MAX_POST_ID = 20
"""Digits in a platform post id: Telegram message ids and X post ids are decimal integers."""
MAX_LANGUAGE = 16


def draft_from_mapping(data: object, *, source: str) -> ArticleDraft:
    """An ``ArticleDraft`` from a JSON object (import line, API body); ``InputError`` naming
    the field if a field is missing, unknown or of the wrong type."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object")
    extra = sorted(str(k) for k in set(data) - set(FIELDS))
    if extra:
        raise InputError(f"unknown field(s): {', '.join(extra)}")
    for field in ("url", "title"):
        value = _string(data, field)
        if value is None:
            raise InputError(f"missing field: {field}")
        if not value.strip():
            raise InputError(f"{field} is empty")
    check_text_given(data)
    priority = _string(data, "priority")
    not_before = _string(data, "not_before")
    return ArticleDraft(
        url=data["url"],
        title=data["title"],
        text=_string(data, "text") or "",
        image_url=_string(data, "image_url") or None,
        image_alt=" ".join((_string(data, "image_alt") or "").split()) or None,
        language=_string(data, "language") or None,
        priority=parse_priority(priority) if priority else Priority.NORMAL,
        source=source,
        targets=_targets(data.get("targets")),
        not_before=parse_time(not_before) if not_before else None,
        tags=_strings(data, "tags") or (),
        needs_approval=_flag(data, "needs_approval"),
    )


def check_text_given(data: dict[str, object]) -> None:
    """The one rule for a story's text at every door: it may be left out (null), but text that
    is given must say something and hold no NUL character."""
    text = _string(data, "text")
    if text is None:
        return
    storable(text, "text")
    if not text.strip():
        raise InputError("text is empty (leave it out instead)")


FIELDS = ("url", "title", "text", "image_url", "image_alt", "priority", "targets", "not_before",
          "language", "tags", "needs_approval")


def _flag(data: dict[str, object], field: str) -> bool:
    """``data[field]`` if it is a boolean, ``False`` if absent or null, else ``InputError``."""
    value = data.get(field)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InputError(f"{field} must be true or false, not {_json_type(value)}")
    return value


def _string(data: dict[str, object], field: str) -> str | None:
    """``data[field]`` if it is a string, ``None`` if absent or null, else ``InputError``."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string, not {_json_type(value)}")
    return value


def _strings(data: dict[str, object], field: str) -> tuple[str, ...] | None:
    """``data[field]`` as a tuple if it is a list of strings, ``None`` if absent or null."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{field} must be a list of strings")
    return tuple(value)


def _targets(value: object) -> tuple[str, ...] | None:
    """Target names from a list (or a comma-separated string); an empty choice is refused."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [t.strip() for t in value.split(",") if t.strip()]
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise InputError("targets must be a list of target names")
    if not value:
        raise InputError("targets is empty: leave it out to use every enabled target")
    return tuple(value)


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def storable(value: str, field: str) -> str:
    """``value`` if a database stores it faithfully: no NUL, no lone surrogates."""
    if "\x00" in value:
        raise InputError(f"{field} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{field} is not valid Unicode text") from None
    return value


def checked_url(value: str, field: str) -> str:
    """An http(s) URL fit to store and to serve as the dedupe key, or ``InputError``."""
    url = storable(value or "", field)
    try:
        url = check_url(url)
        canonical = canonical_url(url)
    except (ValueError, InputError) as exc:  # ValueError: bad IPv6 literal, port out of range
        reason = str(exc) if isinstance(exc, InputError) else f"not an http(s) URL: {_shown(url)}"
        raise InputError(reason if field == "url" else f"{field}: {reason}") from None
    if len(url) > MAX_URL or len(canonical) > MAX_URL:
        raise InputError(f"{field} is longer than {MAX_URL} characters")
    return url


def checked_post_id(value: str) -> str:
    """A post's id on its platform as staff give it (the number Telegram gives a message, X a
    post: later edits and deletions address the post by it), or ``InputError``; a link given
    here is pointed to the permalink."""
    post_id = value.strip()
    if post_id.isascii() and post_id.isdigit() and len(post_id) <= MAX_POST_ID:
        return post_id
    if "://" in post_id or post_id.lower().startswith(("t.me/", "x.com/", "twitter.com/")):
        raise InputError(f"post id: {_shown(post_id)} is a link: give it as the permalink, and "
                         "the number at its end as the post id")
    raise InputError(f"post id: the post's number on the platform (digits only, at most "
                     f"{MAX_POST_ID}), not {_shown(post_id)}")


def as_utc(moment: datetime) -> datetime:
    """An aware time in UTC; ``InputError`` when it falls outside the years 1–9999."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise InputError(f"time out of range: {moment.isoformat()}") from None


def _shown(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut short for one-line messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_priority(value: object) -> Priority:
    """A ``Priority`` from its name, or ``InputError`` listing the choices."""
    try:
        return Priority(value if isinstance(value, str) else str(value))
    except ValueError:
        raise InputError(f"priority must be one of {', '.join(p.value for p in Priority)}, "
                         f"not {_shown(value)}") from None


def parse_time(value: object) -> datetime:
    """An aware datetime from ISO 8601 text; ``InputError`` if it isn't one."""
    if not isinstance(value, str):
        raise InputError(f"not an ISO 8601 time: {_shown(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {_shown(value)}") from None
    if parsed.tzinfo is None:
        raise InputError(f"time needs a timezone offset: {_shown(value)}")
    as_utc(parsed)
    return parsed
