"""``/api/articles/{id}``: edit (PATCH), take down and confirm stories already queued or out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.api.auth import bearer
from bot.api.models import PROBLEMS, Text
from bot.daemon.runtime import Runtime
from bot.domain.revisions import StoryChange
from bot.reports.views import article_json, in_line, revision_json

router = APIRouter(prefix="/api", tags=["corrections"], dependencies=[Depends(bearer)],
                   responses={400: PROBLEMS[400], 401: PROBLEMS[401], 404: PROBLEMS[404],
                              413: PROBLEMS[413]})

ArticleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The story's id.")]


class ArticleEdit(BaseModel):
    """New fields of a story; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"title": "Harbour reopens after storm (corrected)"}]})

    title: Text | None = Field(default=None, max_length=1000)
    text: Text | None = Field(default=None, max_length=200_000)
    image_url: Text | None = Field(default=None, max_length=2048,
                                   description="An empty string removes the image.")


class Takedown(BaseModel):
    """Why the story is taken down (kept with every delivery's ``delete`` revision)."""

    model_config = ConfigDict(extra="forbid")

    reason: Text | None = Field(default=None, max_length=2000)


class Confirm(BaseModel):
    """How a ``needs_review`` delivery ended: published (with its id and link) or not posted."""

    model_config = ConfigDict(extra="forbid")

    target: Text = Field(min_length=1, max_length=200)
    post_id: Text | None = Field(default=None, max_length=200)
    permalink: Text | None = Field(default=None, max_length=2048)
    not_posted: bool = False


def _app(request: Request) -> Runtime:
    app: Runtime = request.app.state.crosspost
    return app


def _article(app: Runtime, article_id: int) -> dict[str, Any]:
    article, deliveries = app.queue.get_article(article_id)
    deliveries = in_line(app.queue, deliveries, app.clock.now())
    return article_json(article, deliveries, app.revisions.for_articles([article_id]))


@router.patch("/articles/{article_id}")
def edit_article(article_id: ArticleId, body: ArticleEdit, request: Request) -> dict[str, Any]:
    """Edit a story: its posts are composed again; unsent ones carry the new text, published
    ones are corrected as each target's ``on_edit`` says. Returns the revisions made."""
    app = _app(request)
    made = app.corrections.edit(article_id, StoryChange(
        title=body.title, text=body.text, image_url=body.image_url, requested_by="api"))
    return {"id": article_id, "revisions": [revision_json(r) for r in made],
            "article": _article(app, article_id)}


@router.post("/articles/{article_id}/takedown")
def take_down(article_id: ArticleId, request: Request,
              body: Takedown | None = None) -> dict[str, Any]:
    """Take a story down: what has not gone out is withdrawn, every published post deleted."""
    app = _app(request)
    made = app.corrections.takedown(article_id, reason=body.reason if body else None,
                                    requested_by="api")
    return {"id": article_id, "revisions": [revision_json(r) for r in made],
            "article": _article(app, article_id)}


@router.post("/articles/{article_id}/confirm")
def confirm(article_id: ArticleId, body: Confirm, request: Request) -> dict[str, Any]:
    """Settle a ``needs_review`` delivery as published, or (``not_posted``) send it again."""
    app = _app(request)
    made = app.corrections.confirm(article_id, body.target, post_id=body.post_id,
                                   permalink=body.permalink, not_posted=body.not_posted,
                                   requested_by="api")
    return {"id": article_id, "revision": revision_json(made),
            "article": _article(app, article_id)}
