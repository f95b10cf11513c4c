"""PATCH, takedown and confirm through the HTTP API (in-process, on SQLite)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from bot.api.app import create_api
from bot.daemon.runtime import Runtime as App
from bot.domain.models import ArticleDraft, DeliveryState, PublishReceipt
from bot.domain.ports import ManualClock
from bot.wiring import build_app
from tests.conftest import make_settings

AUTH = {"Authorization": "Bearer t"}


def call(app: App, method: str, path: str, body: Any = None) -> httpx.Response:
    """One request through the ASGI app with the right token."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_api(app, alive=lambda: True))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
            return await client.request(method, path, json=body, headers=AUTH)

    return asyncio.run(go())


def story(app: App) -> int:
    """A queued story whose Telegram post went out and whose X post's fate is unknown."""
    added = app.intake.add(ArticleDraft(url="https://news.example/h", title="Harbour reopens",
                                        text="The harbour reopened today. Ships are back."))
    _, (tg, xa) = app.queue.get_article(added.article_id)
    now = app.clock.now()
    app.queue.set_plans([(tg.id, now, "now"), (xa.id, now, "now")])
    for d, state in ((tg, DeliveryState.PUBLISHED), (xa, DeliveryState.NEEDS_REVIEW)):
        assert app.queue.claim(d.id, "a", now)
        app.queue.finish(d.id, "a", state=state, now=now, outcome=state.value,
                         receipt=PublishReceipt(("5",)) if state is DeliveryState.PUBLISHED else None)
    return added.article_id


def test_patch_takedown_and_confirm(tmp_path: Path) -> None:
    """PATCH corrects, confirm settles needs_review (a permalink must be an http(s) URL, a post
    id the post's number), takedown withdraws; bad input is 422."""
    app = build_app(make_settings(tmp_path, api={"token": "t"}), clock=ManualClock())
    try:
        article_id = story(app)
        edited = call(app, "PATCH", f"/api/articles/{article_id}", {"title": "Harbour reopens at 9"})
        assert edited.status_code == 200, edited.text
        kinds = {r["kind"] for r in edited.json()["revisions"]}
        assert kinds == {"edit", "record"}
        tg = edited.json()["article"]["deliveries"][0]
        assert tg["revisions"][-1]["changed"] == ["title"] and "at 9" in tg["text"]
        assert call(app, "PATCH", f"/api/articles/{article_id}", {}).status_code == 422
        assert call(app, "PATCH", f"/api/articles/{article_id}", {"bad": 1}).status_code == 422
        assert call(app, "PATCH", "/api/articles/99", {"title": "x"}).status_code == 404

        bad_link = call(app, "POST", f"/api/articles/{article_id}/confirm",
                        {"target": "xa", "post_id": "77", "permalink": "x.com/n/status/77"})
        assert bad_link.status_code == 422
        assert "permalink: not an http(s) URL" in bad_link.json()["detail"][0]["msg"]
        bad_id = call(app, "POST", f"/api/articles/{article_id}/confirm",
                      {"target": "xa", "post_id": "x.com/n/status/77"})
        assert bad_id.status_code == 422
        assert "post id: 'x.com/n/status/77' is a link" in bad_id.json()["detail"][0]["msg"]
        confirmed = call(app, "POST", f"/api/articles/{article_id}/confirm",
                         {"target": "xa", "post_id": "77", "permalink": "https://x.com/n/status/77"})
        assert confirmed.status_code == 200, confirmed.text
        xa = confirmed.json()["article"]["deliveries"][1]
        assert (xa["state"], xa["platform_post_id"], xa["permalink"]) == (
            "published", "77", "https://x.com/n/status/77")
        again = call(app, "POST", f"/api/articles/{article_id}/confirm", {"target": "xa"})
        assert again.status_code == 422
        assert "not needs_review" in again.json()["detail"][0]["msg"]

        down = call(app, "POST", f"/api/articles/{article_id}/takedown", {"reason": "legal"})
        assert down.status_code == 200, down.text
        assert [(r["kind"], r["reason"], r["requested_by"]) for r in down.json()["revisions"]] == [
            ("delete", "legal", "api"), ("delete", "legal", "api")]
    finally:
        app.dispose()
