"""One way to add a story, whatever the door (CLI, import, feed, API, Telegram)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.domain.errors import InputError
from bot.domain.models import RETRYABLE_STATES, Article, ArticleDraft, DeliveryState, Post, Priority
from bot.domain.ports import Clock
from bot.domain.urls import canonical_url, check_url
from bot.settings import Settings, TargetConfig
from bot.store.queue import NewDelivery, QueueStore

Composer = Callable[[ArticleDraft, TargetConfig], Post]

log = logging.getLogger("crosspost.intake")
MAX_TITLE = 1000
MAX_TEXT = 200_000
MAX_URL = 2048
MAX_LANGUAGE = 16


@dataclass(frozen=True)
class Added:
    """The outcome of queueing a story."""

    article_id: int
    created: bool


@dataclass(frozen=True)
class ImportResult:
    """What ``queue import`` did: stories added, duplicates, and bad lines with reasons."""

    added: list[int]
    existing: list[int]
    errors: list[tuple[int, str]]


class Intake:
    """Validates stories, renders each target's post and stores story + deliveries."""

    def __init__(self, *, store: QueueStore, settings: Settings, composer: Composer,
                 clock: Clock, on_change: Callable[[], object] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.composer = composer
        self.clock = clock
        self.on_change = on_change

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

    def add(self, draft: ArticleDraft) -> Added:
        """Queue one story (or report the existing one with the same canonical URL)."""
        draft = self.validate(draft)
        canonical = canonical_url(draft.canonical_url or draft.url)
        existing = self.store.find_by_canonical(canonical)
        if existing is not None:
            return Added(existing, False)
        targets = self.targets_for(draft.targets)
        news = [NewDelivery(t.name, t.platform, self.composer(draft, t)) for t in targets]
        digest = hashlib.sha256(f"{draft.title}\n{draft.text}".encode()).hexdigest()
        article_id, created = self.store.add_article(
            draft, canonical_url=canonical, deliveries_=news, now=self.clock.now(),
            content_hash=digest,
        )
        if created:
            log.info("queued", extra={"article": article_id, "source": draft.source,
                                      "targets": ",".join(t.name for t in targets)})
            self._changed()
        return Added(article_id, created)

    def validate(self, draft: ArticleDraft) -> ArticleDraft:
        """A cleaned draft, or ``InputError`` saying what is wrong with it. NUL characters
        are dropped from the text and refused elsewhere (PostgreSQL stores none)."""
        url = _checked_url(draft.url, "url")
        if draft.canonical_url is not None:
            _checked_url(draft.canonical_url, "canonical_url")
        title = " ".join(_storable(draft.title or "", "title").split())
        if not title:
            raise InputError("title is empty")
        if len(title) > MAX_TITLE:
            raise InputError(f"title is longer than {MAX_TITLE} characters")
        text = _storable((draft.text or "").replace("\x00", ""), "text")
        if len(text) > MAX_TEXT:
            raise InputError(f"text is longer than {MAX_TEXT} characters")
        if draft.image_url:
            _checked_url(draft.image_url, "image_url")
        if draft.language is not None:
            _storable(draft.language, "language")
            if len(draft.language) > MAX_LANGUAGE:
                raise InputError(f"language is longer than {MAX_LANGUAGE} characters")
        for tag in draft.tags:
            _storable(tag, "tags")
        for name in draft.targets or ():
            _storable(name, "targets")
        not_before = draft.not_before
        if not_before is not None and not_before.tzinfo is None:
            raise InputError("not_before needs a timezone offset (e.g. 2026-05-01T09:00+03:00)")
        return replace(draft, url=url, title=title, text=text,
                       not_before=_utc(not_before) if not_before else None)

    def targets_for(self, names: Sequence[str] | None) -> list[TargetConfig]:
        """The targets a story goes to: the named ones, or every enabled target."""
        enabled = [t for t in self.settings.targets if t.enabled]
        if names is None:
            return enabled
        known = {t.name: t for t in self.settings.targets}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InputError(f"unknown target(s): {', '.join(unknown)} "
                             f"(known: {', '.join(known) or 'none'})")
        return [known[n] for n in names]

    def import_lines(self, lines: Iterable[str], *, source: str = "import") -> ImportResult:
        """Queue one story per JSON line; bad lines are reported by number, good ones queued."""
        result = ImportResult([], [], [])
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                result.errors.append((number, f"not valid JSON: {exc.msg}"))
                continue
            except (ValueError, RecursionError):  # huge numbers, absurd nesting
                result.errors.append((number, "not valid JSON: too large or too deeply nested"))
                continue
            try:
                added = self.add(draft_from_mapping(data, source=source))
            except InputError as exc:
                result.errors.append((number, str(exc)))
            else:
                (result.added if added.created else result.existing).append(added.article_id)
        return result

    def cancel(self, article_id: int) -> int:
        """Cancel every delivery of a story that has not gone out."""
        open_states = (DeliveryState.PENDING, DeliveryState.NEEDS_REVIEW)
        _, found = self.store.get_article(article_id)
        moved = self.store.set_state(
            article_id, from_states=open_states,
            to=DeliveryState.CANCELLED, now=self.clock.now(), reason="cancelled by staff",
        )
        log.info("cancelled", extra={"article": article_id, "deliveries": moved, "targets": ",".join(
            d.target for d in found if d.state in open_states)})
        self._changed()
        return moved

    def retry(self, article_id: int) -> int:
        """Send again, on purpose, every delivery that failed, expired, was cancelled or
        waits for review; its text is rendered anew from the current config."""
        article, found = self.store.get_article(article_id)
        now = self.clock.now()
        targets = {t.name: t for t in self.settings.targets}
        chosen = [d for d in found if d.state in RETRYABLE_STATES]
        for d in chosen:
            if d.target in targets and not d.sent_ids:  # a cut thread resumes, same text
                self.store.rerender(d.id, self.composer(draft_of(article), targets[d.target]), now)
        moved = self.store.set_state(
            article_id, from_states=RETRYABLE_STATES, to=DeliveryState.PENDING, now=now,
            reason="retry requested by staff",
        )
        log.info("pending again (retry)", extra={"article": article_id, "deliveries": moved,
                                                 "targets": ",".join(d.target for d in chosen)})
        self._changed()
        return moved


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
    priority = _string(data, "priority")
    not_before = _string(data, "not_before")
    return ArticleDraft(
        url=data["url"],
        title=data["title"],
        text=_string(data, "text") or "",
        image_url=_string(data, "image_url") or None,
        language=_string(data, "language") or None,
        priority=parse_priority(priority) if priority else Priority.NORMAL,
        source=source,
        targets=_targets(data.get("targets")),
        not_before=parse_time(not_before) if not_before else None,
        tags=_strings(data, "tags") or (),
    )


FIELDS = ("url", "title", "text", "image_url", "priority", "targets", "not_before", "language",
          "tags")


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


def _storable(value: str, field: str) -> str:
    """``value`` if a database stores it faithfully: no NUL, no lone surrogates."""
    if "\x00" in value:
        raise InputError(f"{field} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{field} is not valid Unicode text") from None
    return value


def _checked_url(value: str, field: str) -> str:
    """An http(s) URL fit to store and to serve as the dedupe key, or ``InputError``."""
    url = _storable(value or "", field)
    try:
        url = check_url(url)
        canonical = canonical_url(url)
    except (ValueError, InputError) as exc:  # ValueError: bad IPv6 literal, port out of range
        reason = str(exc) if isinstance(exc, InputError) else f"not an http(s) URL: {_shown(url)}"
        raise InputError(reason if field == "url" else f"{field}: {reason}") from None
    if len(url) > MAX_URL or len(canonical) > MAX_URL:
        raise InputError(f"{field} is longer than {MAX_URL} characters")
    return url


def _utc(moment: datetime) -> datetime:
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
    _utc(parsed)
    return parsed


def draft_of(article: Article) -> ArticleDraft:
    """A stored story as a draft again (re-rendering on retry, previews)."""
    return ArticleDraft(
        url=article.url, title=article.title, text=article.text, image_url=article.image_url,
        language=article.language, priority=article.priority, tags=article.tags,
        source=article.source,
    )
