"""What editors do on the desk: queue a story, edit a target's text, cancel and retry. Every
change goes through the core operation every door uses, which notes it in the story's staff
actions under ``web:<editor>``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from bot.config.settings import TargetConfig
from bot.domain.errors import CrosspostError, NotFoundError
from bot.domain.models import Article, Delivery, Priority
from bot.intake.stories import queue_story
from bot.store.desk import StaffNote
from bot.web.auth import Session
from bot.web.context import Desk, desk_of, first
from bot.web.posts import editorial, is_photo, measure, problems

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

CONFIRM = {
    "cancel": ("Cancel this story?", "Every post of it that has not gone out is cancelled; "
               "what went out stays out.", "Cancel the story"),
    "retry": ("Send this story again?", "Every failed, expired, cancelled or unsettled post of it "
              "is rendered anew and sent on its schedule. A post waiting for review may already "
              "be out: retrying it can post it twice.", "Send again"),
    "reject": ("Reject this story?", "Nothing of it goes out on the targets still waiting for "
               "approval.", "Reject the story"),
    "takedown": ("Take this story down?", "What has not gone out is withdrawn, and every post of "
                 "it that went out is deleted from its platform (threads, photos, correction "
                 "replies). This cannot be undone.", "Take the story down"),
}
ACTIONS = ("cancel", "retry", "approve", "reject", "takedown")
REASONED = {"reject", "takedown"}


def actor(me: Session) -> str:
    """How the staff actions name an editor on the desk: ``web:<name>``."""
    return f"web:{me.name}"


@router.post("/stories")
async def queue_new(request: Request) -> Response:
    """Queue a story: a URL alone (fetched), or a URL with a title and text."""
    desk = desk_of(request)
    acting = await desk.acting(request)
    if isinstance(acting, Response):
        return acting
    me, form = acting
    data: dict[str, Any] = {k: first(form, k).strip() for k in ("url", "title", "text", "image_url",
                                                                "image_alt", "priority")}
    data = {k: v for k, v in data.items() if v}
    if data.get("priority") not in {p.value for p in Priority}:
        data.pop("priority", None)
    if first(form, "needs_approval") == "true":
        data["needs_approval"] = True

    def work() -> tuple[int, bool]:
        added = queue_story(desk.app.intake, data, source="web", fetch_text=True, by=actor(me))
        return added.article_id, added.created

    try:
        article_id, created = await desk.blocking(work)
    except CrosspostError as exc:
        me.notes.append(f"Not queued: {exc}")
        return RedirectResponse("/", status_code=303)
    me.notes.append(f"Story #{article_id} queued." if created else
                    f"That URL was already queued as story #{article_id}; here it is.")
    return RedirectResponse(f"/stories/{article_id}", status_code=303)


@router.get("/stories/{article_id}/{action}")
async def confirm_page(request: Request, article_id: Id, action: str) -> Response:
    """Ask before a destructive action."""
    desk = desk_of(request)
    me = desk.session(request)
    if me is None:
        return desk.to_login(request)
    if action not in CONFIRM:
        return desk.refuse(request, me, "There is no such page.", status=404)
    try:
        article, _ = await desk.blocking(desk.app.queue.get_article, article_id)
    except NotFoundError:
        return desk.refuse(request, me, f"There is no story #{article_id}.", status=404)
    title, warning, button = CONFIRM[action]
    return desk.render(request, "confirm.html", me, article=article, action=action,
                       title=title, warning=warning, button=button, reason=action in REASONED)


@router.post("/stories/{article_id}/{action}")
async def act(request: Request, article_id: Id, action: str) -> Response:
    """Cancel, retry, approve, reject or take down the story, recording who did it (a takedown
    only from its confirmation page)."""
    desk = desk_of(request)
    acting = await desk.acting(request)
    if isinstance(acting, Response):
        return acting
    me, form = acting
    if action not in ACTIONS:
        return desk.refuse(request, me, "There is no such action.", status=404)
    reason = first(form, "reason").strip() or None
    if action == "takedown" and first(form, "confirmed") != "yes":
        return RedirectResponse(f"/stories/{article_id}/takedown", status_code=303)

    def work() -> int:
        app = desk.app
        if action == "takedown":
            return len(app.corrections.takedown(article_id, reason=reason,
                                                requested_by=actor(me)))
        if action == "cancel":
            return app.intake.cancel(article_id, by=actor(me))
        if action == "retry":
            return app.intake.retry(article_id, by=actor(me))
        if action == "approve":
            return len(app.review.approve(article_id, by=me.name, via="web").targets)
        return len(app.review.reject(article_id, by=me.name, via="web", reason=reason).targets)

    try:
        moved = await desk.blocking(work)
    except NotFoundError:
        return desk.refuse(request, me, f"There is no story #{article_id}.", status=404)
    except CrosspostError as exc:  # decided already, nothing waiting, a bad reason
        me.notes.append(f"Not done: {exc}")
        return RedirectResponse(f"/stories/{article_id}", status_code=303)
    verb = {"cancel": "cancelled", "retry": "queued again", "approve": "approved",
            "reject": "rejected", "takedown": "taken down"}[action]
    me.notes.append(f"{moved} post{'s' if moved != 1 else ''} {verb}." if moved else
                    f"Nothing to {'take down' if action == 'takedown' else action}: no post of "
                    "this story is in a state for it.")
    return RedirectResponse(f"/stories/{article_id}", status_code=303)


async def _delivery(desk: Desk, article_id: int,
                    delivery_id: int) -> tuple[Article, Delivery | None]:
    article, found = await desk.blocking(desk.app.queue.get_article, article_id)
    return article, next((d for d in found if d.id == delivery_id), None)


def _edit_page(desk: Desk, request: Request, me: Session, article: Article, d: Delivery,
               parts: list[str], found: list[str], status: int = 200) -> Response:
    target = _target_of(desk, d)
    views = measure(d.platform, parts, target=target, photo=is_photo(d))
    return desk.render(request, "edit.html", me, status=status, article_id=article.id,
                       delivery=d, views=views, problems=found,
                       advice=editorial(d.platform, parts, article))


@router.get("/stories/{article_id}/deliveries/{delivery_id}/edit")
async def edit_page(request: Request, article_id: Id, delivery_id: Id) -> Response:
    """The form to change one target's text, counted against its limit."""
    desk = desk_of(request)
    me = desk.session(request)
    if me is None:
        return desk.to_login(request)
    try:
        article, d = await _delivery(desk, article_id, delivery_id)
    except NotFoundError:
        d = None
    if d is None:
        return desk.refuse(request, me, "There is no such post.", status=404)
    return _edit_page(desk, request, me, article, d, list(d.parts), [])


def _target_of(desk: Desk, d: Delivery) -> TargetConfig | None:
    """The running config's target of ``d`` (None: no longer configured)."""
    return next((t for t in desk.app.settings.targets if t.name == d.target), None)


def _parts(form: dict[str, list[str]]) -> list[str]:
    return [p.replace("\r\n", "\n").strip() for p in form.get("part", [])]


@router.post("/stories/{article_id}/deliveries/{delivery_id}/check")
async def check_text(request: Request, article_id: Id, delivery_id: Id) -> Response:
    """Lengths and problems of a text being edited (the page's live counter asks this)."""
    desk = desk_of(request)
    acting = await desk.acting(request)
    if isinstance(acting, Response):
        return acting
    _, form = acting
    _, d = await _delivery(desk, article_id, delivery_id)
    if d is None:
        return JSONResponse({"detail": "no such post"}, status_code=404)
    target = _target_of(desk, d)
    parts = _parts(form)
    views = measure(d.platform, parts, target=target, photo=is_photo(d))
    return JSONResponse({
        "parts": [{"length": v.length, "limit": v.limit, "over": v.over} for v in views],
        "problems": problems(d.platform, parts, target=target, photo=is_photo(d))})


@router.post("/stories/{article_id}/deliveries/{delivery_id}/edit")
async def save_text(request: Request, article_id: Id, delivery_id: Id) -> Response:
    """Save an edited text if every part is within its platform's limits; else say why."""
    desk = desk_of(request)
    acting = await desk.acting(request)
    if isinstance(acting, Response):
        return acting
    me, form = acting
    try:
        article, d = await _delivery(desk, article_id, delivery_id)
    except NotFoundError:
        d = None
    if d is None:
        return desk.refuse(request, me, "There is no such post.", status=404)
    target = _target_of(desk, d)
    parts = _parts(form)
    found = problems(d.platform, parts, target=target, photo=is_photo(d))
    if found or first(form, "do") == "check":
        return _edit_page(desk, request, me, article, d, parts, found,
                          status=422 if found else 200)

    def work() -> bool:
        return desk.store.set_parts(d.id, parts, desk.app.clock.now(), note=StaffNote(
            actor(me), "edited text", "\n\n".join(parts)))

    if not await desk.blocking(work):
        return _edit_page(desk, request, me, article, d, parts,
                          ["This post is going out or has gone out: its text can no longer "
                           "change."], status=409)
    me.notes.append(f"The text for {d.target} is saved.")
    return RedirectResponse(f"/stories/{article_id}#delivery-{d.id}", status_code=303)
