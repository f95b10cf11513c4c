"""``/api/articles``: queue, read, list, cancel, retry, approve, reject and preview stories."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.api.auth import bearer
from bot.api.models import PROBLEMS, ApproveIn, ArticleIn, Decided, Moved, RejectIn
from bot.daemon.runtime import Runtime
from bot.domain.models import DeliveryState
from bot.intake.queueing import draft_of
from bot.intake.stories import queue_story
from bot.reports.preview import preview_data
from bot.reports.views import article_json, in_line, with_staff_actions
from bot.store.desk import DeskStore

router = APIRouter(prefix="/api", tags=["articles"], dependencies=[Depends(bearer)],
                   responses={401: PROBLEMS[401]})

ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The story's id.")]


def crosspost(request: Request) -> Runtime:
    """The running application behind this API."""
    app: Runtime = request.app.state.crosspost
    return app


def _article(app: Runtime, article_id: int) -> dict[str, Any]:
    article, deliveries = app.queue.get_article(article_id)
    deliveries = in_line(app.queue, deliveries, app.clock.now())
    actions = DeskStore(engine=app.engine).actions(article_id)
    return with_staff_actions(article_json(article, deliveries), actions)


@router.post("/articles", status_code=201, responses={
    200: {"description": "A story with this URL was already queued; here it is."},
    201: {"description": "The story was queued."}, 400: PROBLEMS[400], 413: PROBLEMS[413]})
async def add_article(body: ArticleIn, request: Request, response: Response) -> dict[str, Any]:
    """Queue a story (the fields of a ``queue import`` line; a URL alone is fetched).
    Idempotent on the URL: posting it again returns the story already queued."""
    app = crosspost(request)

    def work() -> tuple[bool, dict[str, Any]]:
        added = queue_story(app.intake, body.mapping(), source="api", by="api")
        return added.created, _article(app, added.article_id)

    created, data = await run_in_threadpool(work)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/api/articles/{data['id']}"
    return data


@router.get("/articles")
def list_articles(
    request: Request,
    state: Annotated[DeliveryState | None, Query(
        description="Only stories with a delivery in this state.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """Newest stories first, each as ``queue show --json`` reports it."""
    found = crosspost(request).queue.list_articles(state=state, limit=limit)
    return {"articles": [article_json(a, ds) for a, ds in found]}


@router.get("/articles/{article_id}", responses={404: PROBLEMS[404]})
def get_article(article_id: ArticleId, request: Request) -> dict[str, Any]:
    """One story with its deliveries (the shape of ``queue show --json``)."""
    return _article(crosspost(request), article_id)


@router.post("/articles/{article_id}/cancel", responses={404: PROBLEMS[404]})
def cancel_article(article_id: ArticleId, request: Request) -> Moved:
    """Cancel every delivery of the story that has not gone out."""
    app = crosspost(request)
    moved = app.intake.cancel(article_id, by="api")
    return Moved(id=article_id, moved=moved, article=_article(app, article_id))


@router.post("/articles/{article_id}/retry", responses={404: PROBLEMS[404]})
def retry_article(article_id: ArticleId, request: Request) -> Moved:
    """Send again every delivery that failed, expired, was cancelled or waits for review."""
    app = crosspost(request)
    moved = app.intake.retry(article_id, by="api")
    return Moved(id=article_id, moved=moved, article=_article(app, article_id))


_DECISION_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: PROBLEMS[code] for code in (400, 404, 409, 413)}


@router.post("/articles/{article_id}/approve", responses=_DECISION_PROBLEMS)
def approve_article(article_id: ArticleId, request: Request,
                    body: ApproveIn | None = None) -> Decided:
    """Approve a story waiting for review (or one target, optionally with the editor's text);
    it is planned from now by each target's schedule."""
    app = crosspost(request)
    body = body or ApproveIn()
    done = app.review.approve(article_id, by=body.by or "api client", via="api",
                              target=body.target, text=body.text)
    return Decided(id=article_id, decided=done.targets, article=_article(app, article_id))


@router.post("/articles/{article_id}/reject", responses=_DECISION_PROBLEMS)
def reject_article(article_id: ArticleId, request: Request,
                   body: RejectIn | None = None) -> Decided:
    """Reject a story waiting for review (or one target): nothing of it goes out there."""
    app = crosspost(request)
    body = body or RejectIn()
    done = app.review.reject(article_id, by=body.by or "api client", via="api",
                             target=body.target, reason=body.reason)
    return Decided(id=article_id, decided=done.targets, article=_article(app, article_id))


@router.get("/articles/{article_id}/preview", responses={404: PROBLEMS[404]})
def preview_article(article_id: ArticleId, request: Request) -> dict[str, Any]:
    """Each of the story's targets' posts as they would go now, with length and limit."""
    app = crosspost(request)
    article, deliveries = app.queue.get_article(article_id)
    configured = {t.name: t for t in app.settings.targets}
    targets = [configured[d.target] for d in deliveries if d.target in configured]
    return preview_data(draft_of(article), targets)
