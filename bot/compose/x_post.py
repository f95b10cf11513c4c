"""X posts: a one- or two-sentence summary (or the headline) and the link, within the weighted
limit; hashtags only when they fit; optionally a numbered thread."""

from __future__ import annotations

from collections.abc import Sequence

from bot.compose.fit import truncate
from bot.compose.render import Build, Prepared, fit, link_label
from bot.compose.summarize import select
from bot.compose.templates import TemplateError, render_template
from bot.compose.xtext import weighted_length
from bot.domain.models import Platform

__all__ = ["X_SUMMARY_CHARS", "x_parts"]

X_SUMMARY_CHARS = 240  # default summary budget (weighted), leaving room for the link (tuned)
_THREAD_SUMMARY_FACTOR = 4


def _post_length(text: str) -> int:
    """``weighted_length`` of a post, its last word (the link) counted on its own.

    Exact: no link, emoji sequence or NFC composition spans a space, so the length of
    ``a + " " + b`` is ``a``'s plus one plus ``b``'s, and the link's length stays cached.
    """
    head, space, tail = text.rpartition(" ")
    if not space:
        return weighted_length(text)
    return weighted_length(head) + 1 + weighted_length(tail)


def _default_build(url: str) -> Build:
    def build(title: str, sentences: Sequence[str], tags: Sequence[str]) -> str:
        body = " ".join(sentences) if sentences else title
        return " ".join(x for x in (body, " ".join(tags), url) if x)

    return build


def _template_build(source: str, prepared: Prepared, url: str, image_url: str | None) -> Build:
    fallback = _default_build(url)

    def build(title: str, sentences: Sequence[str], tags: Sequence[str]) -> str:
        context = {
            "title": title,
            "summary": " ".join(sentences),
            "sentences": list(sentences),
            "url": url,
            "link_label": link_label(prepared.language),
            "hashtags": list(tags),
            "hashtags_text": " ".join(tags),
            "language": prepared.language,
            "image_url": image_url,
            "platform": "x",
        }
        try:
            return render_template(source, Platform.X, context)
        except TemplateError:
            return fallback(title, sentences, tags)

    return build


def x_parts(
    prepared: Prepared,
    url: str,
    image_url: str | None,
    *,
    limit: int,
    summary_chars: int | None,
    thread: bool,
    tags: Sequence[str],
    template: str | None,
) -> tuple[str, ...]:
    """The post (or thread) for X; every part within ``limit`` weighted characters."""
    url = url.strip()
    url_cost = weighted_length(url) + 1 if url else 0
    one_post = limit - url_cost
    budget = summary_chars if summary_chars is not None else X_SUMMARY_CHARS
    if thread:
        budget = summary_chars if summary_chars is not None else limit * _THREAD_SUMMARY_FACTOR
    chosen = select(
        prepared.scored,
        max(budget, 0),
        measure=weighted_length,
        max_sentences=None if thread else 2,
    )
    if not chosen and not thread:
        # A long first sentence still beats the headline when it is the article's lead.
        chosen = select(prepared.scored, one_post, measure=weighted_length, max_sentences=1)
        if not chosen and not prepared.title:
            # Nothing else to say: a sentence that leans on the one before beats an empty post.
            chosen = select(prepared.scored, one_post, measure=weighted_length, max_sentences=1, strict=False)
    sentences = [s.text for s in chosen]
    if thread and weighted_length(" ".join(sentences)) > one_post and len(sentences) > 1:
        parts = _thread(sentences, url, limit, tags)
        if parts:
            return parts
    if template:
        build = _template_build(template, prepared, url, image_url)
        done = fit(build, _post_length, limit, prepared.title, sentences, tags, weighted_length)
        if done is not None:
            return (done[0],)
    build = _default_build(url)
    # With no sentence that fits whole, the headline is the post (cut if it must be).
    done = fit(build, _post_length, limit, prepared.title, sentences, tags, weighted_length)
    if done is not None:
        return (done[0],)
    return (url,) if weighted_length(url) <= limit else ("",)


def _thread(sentences: list[str], url: str, limit: int, tags: Sequence[str]) -> tuple[str, ...]:
    reserve = 6  # " 99/99"
    url_cost = weighted_length(url) + 1 if url else 0
    chunks: list[list[str]] = [[]]
    for sentence in sentences:
        cap = limit - reserve - (url_cost if len(chunks) == 1 else 0)
        current = chunks[-1]
        joined = " ".join([*current, sentence])
        if weighted_length(joined) <= cap:
            current.append(sentence)
            continue
        cap_new = limit - reserve - (url_cost if not chunks[0] else 0)
        piece = (
            sentence if weighted_length(sentence) <= cap_new else truncate(sentence, cap_new, weighted_length)
        )
        if not piece:
            continue
        if current:
            chunks.append([piece])
        else:
            current.append(piece)
    chunks = [c for c in chunks if c]
    total = len(chunks)
    if total < 2:
        return ()
    parts = []
    for i, chunk in enumerate(chunks):
        body = " ".join(chunk)
        if i == 0 and url:
            body = f"{body} {url}"
        parts.append(f"{body} {i + 1}/{total}")
    last = parts[-1]
    for tag in tags:
        head, _, number = last.rpartition(" ")
        candidate = f"{head} {tag} {number}"
        if weighted_length(candidate) <= limit:
            last = candidate
    parts[-1] = last
    if any(weighted_length(p) > limit for p in parts):
        return ()
    return tuple(parts)
