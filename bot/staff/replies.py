"""What the bot says to staff: pure text from stories, previews and the queue."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from bot.domain.models import Article, Delivery, DeliveryState
from bot.reports.views import local

MAX_MESSAGE = 4096

HELP = (
    "Send me a link to a story (or forward a message that contains one) and I will queue it "
    "for every channel and account, then show you when each post goes out and how it will "
    "look.\n\n"
    "/queue: what is waiting\n"
    "/status: counts, last posts and problems\n"
    "/cancel ID: stop a story that has not gone out (ID from /queue)\n"
    "/edit ID: correct a story, then send the new text ('Title: …' as first line for the "
    "headline); posts already out are corrected\n"
    "/takedown ID [reason]: delete every post of a story\n"
    "/confirm ID TARGET [POST_ID | not-posted]: settle a post whose fate was unknown\n"
    "/skip: leave an edit you started on a story waiting for review\n"
    "/help: this message"
)

REFUSAL = ("Sorry, I only take stories from the newsroom's staff. "
           "Ask an editor to add your Telegram user id if you should be able to.")

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_PLATFORM = {"telegram": "Telegram", "x": "X"}


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to fit one Telegram message."""
    if utf16_len(text) <= limit:
        return text
    out = text[: limit - 2]
    while utf16_len(out) > limit - 2:
        out = out[:-1]
    return out + " …"


def first_link(texts: list[str]) -> str | None:
    """The first http(s) link in any of ``texts`` (trailing punctuation dropped)."""
    for text in texts:
        match = _URL.search(text or "")
        if match:
            return match.group(0).rstrip(".,;:!?)]}»”’")
    return None


def _when(d: Delivery, tz: str) -> str:
    if d.state is DeliveryState.PENDING:
        if d.planned_at is not None:
            return local(d.planned_at, tz)
        return f"not planned yet ({d.plan_reason or 'the daemon plans it shortly'})"
    if d.state is DeliveryState.PUBLISHED:
        return f"published {local(d.published_at, tz)}"
    return d.state.value.replace("_", " ")


def story_reply(article: Article, deliveries: list[Delivery], *, created: bool, tz: str) -> str:
    """Queued (or already queued): title, and each target's planned time."""
    head = "Queued" if created else "Already in the queue"
    lines = [f"{head} #{article.id}: {article.title}", "", "Planned:"]
    for d in deliveries:
        lines.append(f"• {d.target} ({_PLATFORM.get(d.platform.value, d.platform.value)}): "
                     f"{_when(d, tz)}")
    if not deliveries:
        lines.append("• no target takes this story")
    lines += ["", f"Previews follow. To stop it: /cancel {article.id}"]
    return clip("\n".join(lines))


def preview_messages(preview: dict[str, Any]) -> list[tuple[str, str | None]]:
    """One message per target: (text, parse mode). Telegram posts are shown as they will look
    (HTML); X posts as plain text with their weighted length."""
    out: list[tuple[str, str | None]] = []
    for target in preview["targets"]:
        platform = _PLATFORM.get(target["platform"], target["platform"])
        parts = target["parts"]
        sizes = ", ".join(f"{p['length']}/{p['limit']} {p['unit']}" for p in parts)
        label = f"{platform} preview · {target['target']} ({sizes})"
        if target["image_url"]:
            label += f"\nwith photo: {target['image_url']}"
        if target["parse_mode"] == "HTML":
            body = "\n\n".join(p["text"] for p in parts)
            text = f"<b>{escape(label)}</b>\n\n{body}"
            out.append((text, "HTML") if utf16_len(text) <= MAX_MESSAGE
                       else (clip(label + "\n\n" + body), None))
        else:
            numbered = [p["text"] if len(parts) == 1 else f"[{i}/{len(parts)}]\n{p['text']}"
                        for i, p in enumerate(parts, start=1)]
            out.append((clip(label + "\n\n" + "\n\n".join(numbered)), None))
    return out


def queue_reply(waiting: list[tuple[Article, list[Delivery]]], tz: str) -> str:
    """``/queue``: the stories still waiting, with each target's time."""
    if not waiting:
        return "Nothing is waiting."
    lines = ["Waiting:"]
    for article, deliveries in waiting:
        times = ", ".join(
            f"{d.target} {local(d.planned_at, tz) if d.planned_at else 'unplanned'}"
            for d in deliveries if d.state is DeliveryState.PENDING)
        lines.append(f"#{article.id} {article.title} — {times}")
    return clip("\n".join(lines))
