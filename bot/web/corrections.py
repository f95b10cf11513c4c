"""Corrections on the desk: edit a stored story and settle a post whose fate was unknown. Both
go through ``bot.intake.corrections`` like ``queue edit`` and ``queue confirm`` (which note them
in the story's staff actions); the takedown is with the other confirmed actions in
``bot.web.actions``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from bot.domain.errors import CrosspostError, NotFoundError
from bot.domain.models import Article
from bot.domain.revisions import StoryChange
from bot.web.actions import actor
from bot.web.auth import Session
from bot.web.context import Desk, desk_of, first

router = APIRouter(include_in_schema=False)

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _form_page(desk: Desk, request: Request, me: Session, article: Article, values: dict[str, str],
               error: str | None = None, status: int = 200) -> Response:
    return desk.render(request, "correct.html", me, status=status, article=article,
                       values=values, error=error)


@router.get("/stories/{article_id}/correct")
async def correct_page(request: Request, article_id: Id) -> Response:
    """The form to correct a story's title, text or image URL."""
    desk = desk_of(request)
    me = desk.session(request)
    if me is None:
        return desk.to_login(request)
    if not me.editor:
        return desk.refuse(request, me, "Your account can read the desk but not change "
                           "anything (role: viewer).")
    try:
        article, _ = await desk.blocking(desk.app.queue.get_article, article_id)
    except NotFoundError:
        return desk.refuse(request, me, f"There is no story #{article_id}.", status=404)
    values = {"title": article.title, "text": article.text or "",
              "image_url": article.image_url or ""}
    return _form_page(desk, request, me, article, values)


@router.post("/stories/{article_id}/correct")
async def correct(request: Request, article_id: Id) -> Response:
    """Correct the story as ``queue edit`` does: every target's post is composed again; what
    went out is corrected by the daemon as the target's ``on_edit`` says."""
    desk = desk_of(request)
    acting = await desk.acting(request)
    if isinstance(acting, Response):
        return acting
    me, form = acting
    values = {k: first(form, k).replace("\r\n", "\n").strip() for k in ("title", "text",
                                                                         "image_url")}
    try:
        article, _ = await desk.blocking(desk.app.queue.get_article, article_id)
    except NotFoundError:
        return desk.refuse(request, me, f"There is no story #{article_id}.", status=404)
    change = StoryChange(
        title=values["title"] if values["title"] != article.title else None,
        text=values["text"] if values["text"] != (article.text or "") else None,
        image_url=values["image_url"] if values["image_url"] != (article.image_url or "")
        else None,
        requested_by=actor(me))

    def work() -> int:
        return sum(r.open for r in desk.app.corrections.edit(article_id, change))

    try:
        pending = await desk.blocking(work)
    except CrosspostError as exc:  # nothing changed, a refused field
        return _form_page(desk, request, me, article, values, error=str(exc), status=422)
    me.notes.append(f"Story #{article_id} corrected; {pending} published post"
                    f"{'s' if pending != 1 else ''} to correct on the platforms.")
    return RedirectResponse(f"/stories/{article_id}", status_code=303)


@router.post("/stories/{article_id}/deliveries/{delivery_id}/confirm")
async def confirm(request: Request, article_id: Id, delivery_id: Id) -> Response:
    """Settle a ``needs_review`` post as ``queue confirm`` does: it went out (post id and link
    optional), or it did not and is sent again."""
    desk = desk_of(request)
    acting = await desk.acting(request)
    if isinstance(acting, Response):
        return acting
    me, form = acting
    not_posted = first(form, "outcome") == "not_posted"
    post_id = first(form, "post_id").strip() or None
    permalink = first(form, "permalink").strip() or None

    def work() -> str:
        _, found = desk.app.queue.get_article(article_id)
        d = next((d for d in found if d.id == delivery_id), None)
        if d is None:
            raise NotFoundError(f"no post {delivery_id} in story {article_id}")
        made = desk.app.corrections.confirm(
            article_id, d.target, post_id=None if not_posted else post_id,
            permalink=None if not_posted else permalink, not_posted=not_posted,
            requested_by=actor(me))
        return f"{d.target}: {made.outcome}"

    try:
        said = await desk.blocking(work)
    except NotFoundError:
        return desk.refuse(request, me, "There is no such post.", status=404)
    except CrosspostError as exc:  # not needs_review (any more), a refused permalink
        me.notes.append(f"Not done: {exc}")
        return RedirectResponse(f"/stories/{article_id}", status_code=303)
    me.notes.append(f"Confirmed. {said}.")
    return RedirectResponse(f"/stories/{article_id}#delivery-{delivery_id}", status_code=303)
