"""Queue a story from a mapping or a bare URL (fetched and extracted): CLI, API and chat."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.config.settings import FetchSettings
from bot.domain.models import ArticleDraft
from bot.domain.urls import canonical_url, check_url
from bot.intake.fields import check_text_given
from bot.intake.queueing import Added, Intake, draft_from_mapping


def fetch(settings: FetchSettings, url: str) -> ArticleDraft:
    """The story at ``url``, fetched and extracted (``FetchError`` in plain words if not)."""
    from bot.ingest.story import fetch_story

    draft: ArticleDraft = fetch_story(url, settings=settings)
    return draft


def queue_story(intake: Intake, data: dict[str, Any], *, source: str, fetch_text: bool = False,
                by: str | None = None) -> Added:
    """Queue a story (blocking: database and network). Without a title (or, with
    ``fetch_text``, without a text) the URL is fetched and extracted, the given fields winning;
    a URL already queued returns the existing story without fetching. Text that is given
    follows the one rule of every door (``check_text_given``). ``by``: who queued it, with
    their door, for the story's staff actions (``Intake.add``)."""
    check_text_given(data)
    if data.get("title") and (data.get("text") or not fetch_text):
        return intake.add(draft_from_mapping(data, source=source), by=by)
    url = check_url(str(data.get("url") or ""))
    existing = intake.store.find_by_canonical(canonical_url(url))
    if existing is not None:
        return Added(existing, False)
    fetched = fetch(intake.settings.fetch, url)
    merged: dict[str, Any] = {"url": url, "title": fetched.title, "text": fetched.text,
                              "image_url": fetched.image_url, "language": fetched.language}
    if fetched.image_alt and not data.get("image_url"):
        merged["image_alt"] = fetched.image_alt
    merged.update({k: v for k, v in data.items() if v not in (None, "")})
    draft = draft_from_mapping({k: v for k, v in merged.items() if v is not None}, source=source)
    draft = replace(draft, canonical_url=fetched.canonical_url,
                    published_at=fetched.published_at)
    return intake.add(draft, by=by)
