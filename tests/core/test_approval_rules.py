"""The pure approval rules: who waits for an editor, timeouts, and checks of an editor's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.compose.edits import checked_edit, edited_post
from bot.domain.approval import (
    Decision,
    OnTimeout,
    Waiting,
    approval_reasons,
    deadline,
    settle_timeouts,
    source_kind,
)
from bot.domain.models import Platform, Post

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_source_kinds() -> None:
    """Chat stories are ``telegram``, a configured feed's stories ``feed``, others as named."""
    feeds = {"site", "wire"}
    assert source_kind("telegram:111", feeds) == "telegram"
    assert source_kind("wire", feeds) == "feed"
    assert [source_kind(s, feeds) for s in ("cli", "import", "api")] == ["cli", "import", "api"]


def test_each_reason_for_approval_is_named() -> None:
    """Target, feed, source kind and the story's own flag each make a delivery wait, and say so."""
    base = {"target": "xa", "source": "wire", "kind": "feed", "kinds_requiring": ()}
    assert approval_reasons(target_requires=False, **base) == ()  # type: ignore[arg-type]
    assert approval_reasons(target_requires=True, **base) == (  # type: ignore[arg-type]
        "target xa needs approval",)
    assert approval_reasons(target_requires=False, feed_requires=True,  # type: ignore[arg-type]
                            **base) == ("feed wire needs approval",)
    reasons = approval_reasons(target="tg", target_requires=True, source="api", kind="api",
                               kinds_requiring=("feed", "api"), story_asks=True)
    assert reasons == ("the story asked for approval", "stories from source 'api' need approval",
                       "target tg needs approval")


def test_timeouts_settle_only_what_waited_long_enough() -> None:
    """At exactly the timeout a delivery is settled; a younger one keeps waiting."""
    waiting = [Waiting(1, T0), Waiting(2, T0 + timedelta(hours=1))]
    now = T0 + timedelta(hours=6)
    [expired] = settle_timeouts(waiting, now=now, timeout=timedelta(hours=6),
                                on_timeout=OnTimeout.EXPIRE)
    assert (expired.delivery_id, expired.decision) == (1, Decision.EXPIRED)
    assert expired.reason == "nobody approved it within 6h"
    approved = settle_timeouts(waiting, now=now + timedelta(hours=1),
                               timeout=timedelta(hours=6), on_timeout=OnTimeout.APPROVE)
    assert [(s.delivery_id, s.decision) for s in approved] == [(1, Decision.APPROVED),
                                                                (2, Decision.APPROVED)]
    assert settle_timeouts(waiting, now=now + timedelta(days=30), timeout=None,
                           on_timeout=OnTimeout.EXPIRE) == []
    assert deadline(T0, timedelta(minutes=90)) == T0 + timedelta(minutes=90)
    assert deadline(T0, None) is None


def test_decisions_that_publish() -> None:
    """Approved and edited go on to the planner; rejected and expired do not."""
    assert [d for d in Decision if d.publishes] == [Decision.APPROVED, Decision.EDITED]


def test_edited_x_text_is_counted_by_weight() -> None:
    """X text within the weighted limit passes (a URL counts 23); one over is refused."""
    url = "https://news.example.com/" + "a" * 200
    fits = "é" * (280 - 24) + " " + url
    assert checked_edit(f"  {fits}\n", Platform.X) == fits
    with pytest.raises(ValueError, match="281 weighted characters; X takes at most 280"):
        checked_edit("中" + "x" * 255 + " " + url, Platform.X)
    with pytest.raises(ValueError, match="at most 100"):
        checked_edit("x" * 101, Platform.X, max_length=100)


def test_edited_telegram_text_follows_telegram_html() -> None:
    """Telegram text must be valid Telegram HTML and ≤ 4096 (≤ 1024 as a caption) once parsed."""
    assert checked_edit("<b>Harbour</b> reopens &amp; ships dock", Platform.TELEGRAM)
    with pytest.raises(ValueError, match="not valid Telegram HTML"):
        checked_edit("Harbour <p>reopens</p>", Platform.TELEGRAM)
    with pytest.raises(ValueError, match="not valid Telegram HTML"):
        checked_edit("profits < costs", Platform.TELEGRAM)
    assert checked_edit("<b>" + "a" * 4096 + "</b>", Platform.TELEGRAM)
    with pytest.raises(ValueError, match="4097 characters"):
        checked_edit("a" * 4097, Platform.TELEGRAM)
    with pytest.raises(ValueError, match=r"1025 characters .* at most 1024 in a photo caption"):
        checked_edit("a" * 1025, Platform.TELEGRAM, caption=True)
    with pytest.raises(ValueError, match="empty"):
        checked_edit("  <b></b> ", Platform.TELEGRAM)


def test_edited_post_replaces_every_part_and_keeps_the_photo() -> None:
    """A thread becomes the editor's one post; a photo post keeps its image as a caption."""
    thread = Post(Platform.X, ("one 1/2", "two 2/2"))
    assert edited_post(thread, "Just one").parts == ("Just one",)
    photo = Post(Platform.TELEGRAM, ("caption", "follow-up"), "https://e.org/p.jpg", "HTML")
    edited = edited_post(photo, "New <i>caption</i>")
    assert (edited.parts, edited.image_url, edited.parse_mode) == (
        ("New <i>caption</i>",), "https://e.org/p.jpg", "HTML")
    with pytest.raises(ValueError, match="photo caption"):
        edited_post(photo, "a" * 1025)
