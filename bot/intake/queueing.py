"""One way to add a story, whatever the door (CLI, import, feed, API, Telegram)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.config.settings import Settings, TargetConfig
from bot.domain.errors import InputError
from bot.domain.models import RETRYABLE_STATES, Article, ArticleDraft, DeliveryState, Post
from bot.domain.ports import Clock
from bot.domain.urls import canonical_url
from bot.intake.fields import (
    MAX_IMAGE_ALT,
    MAX_LANGUAGE,
    MAX_TEXT,
    MAX_TITLE,
    as_utc,
    checked_url,
    draft_from_mapping,
    parse_priority,
    parse_time,
    storable,
)
from bot.intake.review import waits_for
from bot.store.desk import StaffNote
from bot.store.queue import NewDelivery, QueueStore

if TYPE_CHECKING:
    from bot.compose import ComposeOptions

__all__ = ["Added", "Composer", "ImportResult", "Intake", "compose_options", "compose_post",
           "draft_from_mapping", "draft_of", "parse_priority", "parse_time"]

Composer = Callable[[ArticleDraft, TargetConfig], Post]
"""Renders one target's post for a story from the target's compose options alone
(``compose_options``): targets with equal options get the same post."""

log = logging.getLogger("crosspost.intake")


@dataclass(frozen=True)
class Added:
    """The outcome of queueing a story."""

    article_id: int
    created: bool
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """What ``queue import`` did: stories added, duplicates, and bad lines with reasons."""

    added: list[int]
    existing: list[int]
    errors: list[tuple[int, str]]


class Intake:
    """Validates stories, renders each target's post and stores story + deliveries."""

    def __init__(self, *, store: QueueStore, settings: Settings, composer: Composer,
                 clock: Clock, on_change: Callable[..., object] | None = None) -> None:
        self.store = store
        self.settings = settings
        self.composer = composer
        self.clock = clock
        self.on_change = on_change

    def _changed(self, targets: Collection[str] | None = None,
                 articles: Collection[int] = (), *, refill: bool = False) -> None:
        """Have the change planned: only ``targets`` (and ``articles`` on them) when given;
        ``refill``: a batch, ranked with everything that waits on those targets."""
        if self.on_change is None:
            return
        if targets is None:
            self.on_change()
        else:
            self.on_change(targets=sorted(targets), articles=list(articles), refill=refill)

    def add(self, draft: ArticleDraft, *, by: str | None = None) -> Added:
        """Queue one story (or report the existing one with the same canonical URL); the new
        deliveries are planned against their targets' horizon, the rest of the queue stays.
        ``by``: the staff member who queued it, with their door (``web:erin``, ``cli:sam``,
        ``api``, ``telegram:111``), noted in the story's staff actions; feeds and imports
        pass none."""
        added = self._store(draft, by=by)
        if added.created:
            self._changed(added.targets, [added.article_id])
        return added

    def _store(self, draft: ArticleDraft, *, by: str | None = None) -> Added:
        """Validate, compose and store one story, without re-planning."""
        draft = self.validate(draft)
        canonical = canonical_url(draft.canonical_url or draft.url)
        existing = self.store.find_by_canonical(canonical)
        if existing is not None:
            return Added(existing, False)
        targets = self.targets_for(draft.targets)
        posts = self.compose_all(draft, targets)
        news = [NewDelivery(t.name, t.platform, post, waits_for=waits_for(self.settings, draft, t))
                for t, post in zip(targets, posts, strict=True)]
        digest = hashlib.sha256(f"{draft.title}\n{draft.text}".encode()).hexdigest()
        article_id, created = self.store.add_article(
            draft, canonical_url=canonical, deliveries_=news, now=self.clock.now(),
            content_hash=digest, staff=StaffNote(by, "queued") if by else None,
        )
        if created:
            log.info("queued", extra={"article": article_id, "source": draft.source,
                                      "targets": ",".join(t.name for t in targets)})
        return Added(article_id, created, tuple(t.name for t in targets))

    def compose_all(self, draft: ArticleDraft, targets: Sequence[TargetConfig]) -> list[Post]:
        """Each target's post for ``draft``, composed once per distinct set of compose options
        (a story queued to a network of targets in a few desk styles composes a few posts)."""
        posts: dict[ComposeOptions, Post] = {}
        out = []
        for t in targets:
            options = compose_options(t)
            post = posts.get(options)
            if post is None:
                post = posts[options] = self.composer(draft, t)
            out.append(post)
        return out

    def validate(self, draft: ArticleDraft) -> ArticleDraft:
        """A cleaned draft, or ``InputError`` saying what is wrong with it. A NUL character is
        refused in every field, from every door (PostgreSQL stores none); fetched pages and
        feeds drop theirs before they get here."""
        url = checked_url(draft.url, "url")
        if draft.canonical_url is not None:
            checked_url(draft.canonical_url, "canonical_url")
        title = " ".join(storable(draft.title or "", "title").split())
        if not title:
            raise InputError("title is empty")
        if len(title) > MAX_TITLE:
            raise InputError(f"title is longer than {MAX_TITLE} characters")
        text = storable(draft.text or "", "text")
        if len(text) > MAX_TEXT:
            raise InputError(f"text is longer than {MAX_TEXT} characters")
        if draft.image_url:
            checked_url(draft.image_url, "image_url")
        if draft.image_alt is not None:
            storable(draft.image_alt, "image_alt")
            if len(draft.image_alt) > MAX_IMAGE_ALT:
                raise InputError(f"image_alt is longer than {MAX_IMAGE_ALT} characters")
        if draft.language is not None:
            storable(draft.language, "language")
            if len(draft.language) > MAX_LANGUAGE:
                raise InputError(f"language is longer than {MAX_LANGUAGE} characters")
        for tag in draft.tags:
            storable(tag, "tags")
        for name in draft.targets or ():
            storable(name, "targets")
        not_before = draft.not_before
        if not_before is not None and not_before.tzinfo is None:
            raise InputError("not_before needs a timezone offset (e.g. 2026-05-01T09:00+03:00)")
        return replace(draft, url=url, title=title, text=text,
                       not_before=as_utc(not_before) if not_before else None)

    def targets_for(self, names: Sequence[str] | None) -> list[TargetConfig]:
        """The targets a story goes to: the named ones (each once, however often named), or
        every enabled target."""
        enabled = [t for t in self.settings.targets if t.enabled]
        if names is None:
            return enabled
        names = list(dict.fromkeys(names))  # a name given twice is one target
        known = {t.name: t for t in self.settings.targets}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise InputError(f"unknown target(s): {', '.join(unknown)} "
                             f"(known: {', '.join(known) or 'none'})")
        return [known[n] for n in names]

    def import_lines(self, lines: Iterable[str], *, source: str = "import") -> ImportResult:
        """Queue one story per JSON line; bad lines are reported by number, good ones queued;
        the queue is planned once, after the last line."""
        result = ImportResult([], [], [])
        touched: set[str] = set()
        try:
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
                    added = self._store(draft_from_mapping(data, source=source))
                except InputError as exc:
                    result.errors.append((number, str(exc)))
                else:
                    (result.added if added.created else result.existing).append(added.article_id)
                    touched.update(added.targets)
        finally:
            if result.added:  # what was stored is planned, even if a line crashed
                self._changed(touched, refill=True)
        return result

    def cancel(self, article_id: int, *, by: str | None = None) -> int:
        """Cancel every delivery of a story that has not gone out; ``by`` (who asked, with
        their door) is noted in the story's staff actions when something was cancelled."""
        open_states = (DeliveryState.PENDING, DeliveryState.NEEDS_REVIEW,
                       DeliveryState.AWAITING_APPROVAL)
        _, found = self.store.get_article(article_id)
        moved = self.store.set_state(
            article_id, from_states=open_states,
            to=DeliveryState.CANCELLED, now=self.clock.now(), reason="cancelled by staff",
            staff=StaffNote(by, "cancelled") if by else None,
        )
        log.info("cancelled", extra={"article": article_id, "deliveries": moved, "targets": ",".join(
            d.target for d in found if d.state in open_states)})
        self._changed({d.target for d in found}, [article_id])
        return moved

    def retry(self, article_id: int, *, by: str | None = None) -> int:
        """Send again, on purpose, every delivery that failed, expired, was cancelled or
        waits for review; its text is rendered anew from the current config. ``by`` (who
        asked, with their door) is noted in the story's staff actions when something moved."""
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
            staff=StaffNote(by, "retried") if by else None,
        )
        log.info("pending again (retry)", extra={"article": article_id, "deliveries": moved,
                                                 "targets": ",".join(d.target for d in chosen)})
        self._changed({d.target for d in chosen}, [article_id])
        return moved


def draft_of(article: Article) -> ArticleDraft:
    """A stored story as a draft again (re-rendering on retry, previews)."""
    return ArticleDraft(
        url=article.url, title=article.title, text=article.text, image_url=article.image_url,
        language=article.language, priority=article.priority, tags=article.tags,
        source=article.source, image_alt=article.image_alt,
    )


def compose_options(target: TargetConfig) -> ComposeOptions:
    """What of ``target`` its posts are composed from (the rest of its config is not read)."""
    from bot.compose import ComposeOptions

    return ComposeOptions(
        platform=target.platform,
        summary_chars=target.summary_chars,
        max_length=target.max_length,
        thread=target.thread,
        hashtags=tuple(target.hashtags),
        photo=target.image_policy == "attach",
        template=target.template,
    )


def compose_post(draft: ArticleDraft, target: TargetConfig) -> Post:
    """The post ``target`` sends for ``draft``, composed under the target's options."""
    from bot.compose import compose

    return compose(draft, compose_options(target))
