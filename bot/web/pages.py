"""The desk's pages: the queue, one story with every post as it will look, and the status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from bot.config.settings import TargetConfig
from bot.domain.errors import NotFoundError
from bot.domain.models import Article, Delivery, DeliveryState, Platform
from bot.reports.views import article_state, in_line
from bot.store.desk import EDITABLE, Page, StaffAction
from bot.web.context import Desk, desk_of
from bot.web.posts import PartView, editorial, is_photo, measure

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50

KIND_WORDS = {
    "transient": "a temporary problem (the platform or the network); it is tried again later",
    "rate_limited": "the platform asked us to slow down; it goes when the platform allows",
    "permanent": "the platform refused this post",
    "duplicate": "the platform already has a post with exactly this text",
    "entities": "Telegram could not read the formatting; it is sent again as plain text",
    "auth": "the platform refused our credentials; the target is paused until resumed",
    "uncertain": "no answer in time: the post may or may not be out",
    "expired": "the story became too old for its schedule",
}

PREVIEW_WORDS = {
    "off": "no link preview",
    "small": "a small link preview below the text",
    "large": "a large link preview below the text",
    "above": "a large link preview above the text",
}


def plain_words(kind: str | None, error: str | None) -> str:
    """An attempt's error for people: what it means, then the platform's own words."""
    meaning = KIND_WORDS.get(kind or "")
    said = f"{meaning} ({error})" if meaning and error else meaning or error or ""
    return said[:1].upper() + said[1:]


@dataclass
class DeliveryView:
    """A delivery on the story page: its post, limits, history and what may be done."""

    delivery: Delivery
    target: TargetConfig | None
    parts: list[PartView]
    photo: bool
    preview: str
    editable: bool
    actions: list[StaffAction]
    advice: list[str]


def delivery_view(d: Delivery, target: TargetConfig | None, actions: list[StaffAction],
                  article: Article) -> DeliveryView:
    """One delivery ready for the story page."""
    photo = is_photo(d)
    mode = target.link_preview if target is not None else "small"
    return DeliveryView(
        delivery=d, target=target,
        parts=measure(d.platform, list(d.parts), target=target, photo=photo),
        photo=photo, preview=PREVIEW_WORDS.get(mode, mode) if not photo else "",
        editable=d.state in EDITABLE and not d.sent_ids,
        actions=[a for a in actions if a.delivery_id == d.id],
        advice=editorial(d.platform, list(d.parts), article) if d.parts else [])


@router.get("/")
async def queue_page(
    request: Request,
    state: Annotated[str, Query()] = "",
    target: Annotated[str, Query()] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """Stories newest first, filtered by state, target and text, a page at a time."""
    desk = desk_of(request)
    me = desk.session(request)
    if me is None:
        return desk.to_login(request)
    chosen = DeliveryState(state) if state in {s.value for s in DeliveryState} else None

    def work() -> tuple[Page, list[str]]:
        page = desk.store.page(before=before, state=chosen, target=target or None, text=q or None,
                               limit=PAGE_SIZE)
        return page, desk.store.targets_in_use()

    page, used = await desk.blocking(work)
    names = sorted(set(used) | {t.name for t in desk.app.settings.targets})
    rows = [{"article": a, "state": article_state(ds), "deliveries": ds} for a, ds in page.stories]
    more = {"state": chosen.value if chosen else "", "target": target, "q": q,
            "before": page.next_before}
    return desk.render(request, "queue.html", me, rows=rows, states=[s.value for s in DeliveryState],
                       targets=names, state=chosen.value if chosen else "", target=target, q=q,
                       next_page=more if page.next_before else None, paged=before is not None)


def _story(desk: Desk, article_id: int) -> tuple[Article, list[DeliveryView], list[StaffAction]]:
    article, deliveries = desk.app.queue.get_article(article_id)
    deliveries = in_line(desk.app.queue, deliveries, desk.app.clock.now())
    actions = desk.store.actions(article_id)
    configured = {t.name: t for t in desk.app.settings.targets}
    views = [delivery_view(d, configured.get(d.target), actions, article) for d in deliveries]
    return article, views, [a for a in actions if a.delivery_id is None]


@router.get("/stories/{article_id}")
async def story_page(request: Request,
                     article_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)]) -> Response:
    """One story: each target's post as it will look, its history and the actions."""
    desk = desk_of(request)
    me = desk.session(request)
    if me is None:
        return desk.to_login(request)
    try:
        article, views, story_actions = await desk.blocking(_story, desk, article_id)
    except NotFoundError:
        return desk.refuse(request, me, f"There is no story #{article_id}.", status=404)
    states = {v.delivery.state for v in views}
    return desk.render(
        request, "story.html", me, article=article, views=views, story_actions=story_actions,
        state=article_state([v.delivery for v in views]), Platform=Platform, words=plain_words,
        can_cancel=bool(states & {DeliveryState.PENDING, DeliveryState.NEEDS_REVIEW}),
        waiting=DeliveryState.AWAITING_APPROVAL in states,
        can_take_down=bool(states - {DeliveryState.WITHDRAWN}),
        can_retry=bool(states & {DeliveryState.FAILED, DeliveryState.EXPIRED,
                                 DeliveryState.CANCELLED, DeliveryState.NEEDS_REVIEW}))


def status_view(desk: Desk) -> dict[str, Any]:
    """Status, feeds and each target's next slots (blocking)."""
    from bot.reports.feeds import feed_rows
    from bot.reports.schedule import schedule_report
    from bot.reports.status import status_data
    from bot.store.feeds import FeedStore

    app = desk.app
    data = status_data(settings=app.settings, clock=app.clock, queue=app.queue, state=app.state,
                       engine=app.engine)
    slots = {t["target"]: [datetime.fromisoformat(s) for s in t["next_slots"]]
             for t in schedule_report(desk.app.settings, Path("-"), now=desk.app.clock.now())
             ["targets"] if t["target"]}
    feeds = feed_rows(app.settings.feeds, FeedStore(engine=app.engine))
    return {"data": data, "feeds": feeds, "slots": slots}


@router.get("/status")
async def status_page(request: Request) -> Response:
    """Targets (paused, rate limited, last post), the publisher, feeds, problems, next slots."""
    desk = desk_of(request)
    me = desk.session(request)
    if me is None:
        return desk.to_login(request)
    view = await desk.blocking(status_view, desk)
    return desk.render(request, "status.html", me, when=_when, **view)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
