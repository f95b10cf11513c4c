"""What an approver sees about a story waiting for review: one Telegram HTML message with each
waiting target's post exactly as it will go out, the decisions made so far, and the buttons.

Pure text: the same story in the same state always gives the same card (and fingerprint), so
the desk edits an approver's message only when something changed. Button data is
``a:<story>:<delivery|*>`` (approve), ``e:<story>:<delivery>`` (edit), ``r:<story>:*`` (reject),
well within Telegram's 64 bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from bot.compose import plain_text, weighted_length
from bot.compose.telegram_html import check_html, utf16_len
from bot.domain.models import Article, Delivery, DeliveryState, Platform
from bot.intake.review import decision_line
from bot.reports.views import local

MAX_MESSAGE = 4096
SHORT_PREVIEW = 300
_PLATFORM = {Platform.TELEGRAM: "Telegram", Platform.X: "X"}

Button = tuple[str, str]
"""A button's label and its callback data."""


@dataclass(frozen=True)
class Card:
    """The message text (Telegram HTML), its buttons (rows), and whether a decision is open."""

    text: str
    buttons: tuple[tuple[Button, ...], ...]
    open: bool

    @property
    def fingerprint(self) -> str:
        """Changes whenever the text or the buttons do."""
        digest = hashlib.sha256(f"{self.text}\x00{self.buttons!r}".encode())
        return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Press:
    """A pressed button: what to do, on which story, and which delivery (``None``: all)."""

    action: str
    article_id: int
    delivery_id: int | None


def parse_press(data: str) -> Press | None:
    """The button behind ``data``, or ``None`` when it is not one of ours."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] not in ("a", "e", "r") or not parts[1].isdigit():
        return None
    if parts[2] == "*":
        return None if parts[0] == "e" else Press(parts[0], int(parts[1]), None)
    if not parts[2].isdigit():
        return None
    return Press(parts[0], int(parts[1]), int(parts[2]))


def reviewed(deliveries: list[Delivery]) -> list[Delivery]:
    """The deliveries that needed (or need) approval."""
    return [d for d in deliveries if d.approval is not None]


def card(article: Article, deliveries: list[Delivery], tz: str,
         x_limits: Mapping[str, int] | None = None) -> Card:
    """The approver's card for ``article`` as things stand (``x_limits``: X targets' weighted
    limits when not 280)."""
    shown = reviewed(deliveries)
    waiting = [d for d in shown if d.state is DeliveryState.AWAITING_APPROVAL]
    limits = x_limits or {}
    text = _text(article, shown, waiting, tz, limits, full=True)
    if utf16_len(check_html(text)) > MAX_MESSAGE:
        text = _text(article, shown, waiting, tz, limits, full=False)
    return Card(text, _buttons(article.id, waiting), bool(waiting))


def _text(article: Article, shown: list[Delivery], waiting: list[Delivery], tz: str,
          limits: Mapping[str, int], *, full: bool) -> str:
    head = "Review" if waiting else "Reviewed"
    lines = [f"<b>{head} #{article.id}</b> · from {escape(article.source)}",
             f"<b>{escape(article.title)}</b>", escape(article.url)]
    for d in shown:
        platform = _PLATFORM.get(d.platform, d.platform.value)
        lines += ["", f"<b>▸ {escape(d.target)}</b> · {platform}{_size(d, limits.get(d.target, 280))}"]
        if d.state is DeliveryState.AWAITING_APPROVAL:
            assert d.approval is not None
            lines.append(f"<i>waits: {escape(d.approval.waits_for)}</i>")
        else:
            mark = "✅" if d.approval and d.approval.decision and d.approval.decision.publishes \
                else "⛔"
            when = f" at {local(d.approval.at, tz)}" if d.approval and d.approval.at else ""
            lines.append(f"{mark} <i>{escape(decision_line(d))}{escape(when)}</i>")
        lines.append(_body(d, full=full))
    lines += ["", "Approve, edit or reject below." if waiting else "Nothing left to decide."]
    return "\n".join(lines)


def _size(d: Delivery, limit: int) -> str:
    if d.platform is Platform.X and d.parts:
        return f" ({weighted_length(d.parts[0])}/{limit} weighted)" if len(d.parts) == 1 \
            else f" (thread of {len(d.parts)})"
    if d.image_url:
        return " (photo with caption)"
    return ""


def _body(d: Delivery, *, full: bool) -> str:
    """The post as it will go out: Telegram HTML as is, X text escaped; cut when too long."""
    if not full:
        first = plain_text(d.parts[0]) if d.parse_mode == "HTML" and d.parts else \
            (d.parts[0] if d.parts else "")
        cut = first if len(first) <= SHORT_PREVIEW else first[:SHORT_PREVIEW - 1] + "…"
        return escape(cut)
    if d.parse_mode == "HTML":
        return "\n\n".join(d.parts)
    if len(d.parts) == 1:
        return escape(d.parts[0])
    return "\n\n".join(f"[{i}/{len(d.parts)}] {escape(p)}" for i, p in enumerate(d.parts, 1))


def _buttons(article_id: int, waiting: list[Delivery]) -> tuple[tuple[Button, ...], ...]:
    if not waiting:
        return ()
    rows: list[tuple[Button, ...]] = [(("✅ Approve all", f"a:{article_id}:*"),)]
    for d in waiting:
        edit = (f"✏️ Edit {d.target}", f"e:{article_id}:{d.id}")
        rows.append(((f"✅ {d.target}", f"a:{article_id}:{d.id}"), edit) if len(waiting) > 1
                    else (edit,))
    rows.append((("❌ Reject", f"r:{article_id}:*"),))
    return tuple(rows)
