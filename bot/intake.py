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
        """A cleaned draft, or ``InputError`` saying what is wrong with it."""
        url = check_url(draft.url)
        title = " ".join((draft.title or "").split())
        if not title:
            raise InputError("title is empty")
        if len(title) > MAX_TITLE:
            raise InputError(f"title is longer than {MAX_TITLE} characters")
        if len(draft.text or "") > MAX_TEXT:
            raise InputError(f"text is longer than {MAX_TEXT} characters")
        if draft.image_url:
            check_url(draft.image_url)
        not_before = draft.not_before
        if not_before is not None and not_before.tzinfo is None:
            raise InputError("not_before needs a timezone offset (e.g. 2026-05-01T09:00+03:00)")
        return replace(draft, url=url, title=title, text=draft.text or "",
                       not_before=not_before.astimezone(UTC) if not_before else None)

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
                added = self.add(draft_from_mapping(json.loads(line), source=source))
            except json.JSONDecodeError as exc:
                result.errors.append((number, f"not valid JSON: {exc.msg}"))
            except InputError as exc:
                result.errors.append((number, str(exc)))
            else:
                (result.added if added.created else result.existing).append(added.article_id)
        return result

    def cancel(self, article_id: int) -> int:
        """Cancel every delivery of a story that has not gone out."""
        moved = self.store.set_state(
            article_id,
            from_states=(DeliveryState.PENDING, DeliveryState.NEEDS_REVIEW),
            to=DeliveryState.CANCELLED, now=self.clock.now(), reason="cancelled by staff",
        )
        log.info("cancelled", extra={"article": article_id, "deliveries": moved})
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
            if d.target in targets:
                self.store.rerender(d.id, self.composer(draft_of(article), targets[d.target]), now)
        moved = self.store.set_state(
            article_id, from_states=RETRYABLE_STATES, to=DeliveryState.PENDING, now=now,
            reason="retry requested by staff",
        )
        log.info("pending again (retry)", extra={"article": article_id, "deliveries": moved})
        self._changed()
        return moved


def draft_from_mapping(data: object, *, source: str) -> ArticleDraft:
    """An ``ArticleDraft`` from a JSON object (import line, API body); ``InputError`` if bad."""
    if not isinstance(data, dict):
        raise InputError("expected a JSON object")
    known = {"url", "title", "text", "image_url", "priority", "targets", "not_before", "language",
             "tags"}
    extra = sorted(set(data) - known)
    if extra:
        raise InputError(f"unknown field(s): {', '.join(extra)}")
    for field in ("url", "title"):
        if not isinstance(data.get(field), str):
            raise InputError(f"missing field: {field}")
        if not data[field].strip():
            raise InputError(f"{field} is empty")
    targets = data.get("targets")
    if isinstance(targets, str):
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    if targets is not None and not (isinstance(targets, list)
                                    and all(isinstance(t, str) for t in targets)):
        raise InputError("targets must be a list of target names")
    return ArticleDraft(
        url=data["url"],
        title=data["title"],
        text=str(data.get("text") or ""),
        image_url=data.get("image_url") or None,
        language=data.get("language") or None,
        priority=parse_priority(data.get("priority") or "normal"),
        source=source,
        targets=tuple(targets) if targets is not None else None,
        not_before=parse_time(data["not_before"]) if data.get("not_before") else None,
        tags=tuple(str(t) for t in data.get("tags") or ()),
    )


def parse_priority(value: object) -> Priority:
    """A ``Priority`` from its name, or ``InputError`` listing the choices."""
    try:
        return Priority(str(value))
    except ValueError:
        raise InputError(f"priority must be one of {', '.join(p.value for p in Priority)}, "
                         f"not {value!r}") from None


def parse_time(value: object) -> datetime:
    """An aware datetime from ISO 8601 text; ``InputError`` if it isn't one."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"not an ISO 8601 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise InputError(f"time needs a timezone offset: {value!r}")
    return parsed


def draft_of(article: Article) -> ArticleDraft:
    """A stored story as a draft again (re-rendering on retry, previews)."""
    return ArticleDraft(
        url=article.url, title=article.title, text=article.text, image_url=article.image_url,
        language=article.language, priority=article.priority, tags=article.tags,
        source=article.source,
    )
