"""The HTTP API of a real ``crosspost run`` process: auth, validation, idempotence, actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.api.conftest import MAX_BODY, RunningApi


def story(slug: str, **extra: object) -> dict[str, object]:
    """A complete story body for ``POST /api/articles``."""
    body: dict[str, object] = {
        "url": f"https://news.example.com/2026/{slug}",
        "title": f"Harbour story {slug}",
        "text": "The harbour reopened on Monday. Ships queued since dawn. Officials were pleased.",
    }
    body.update(extra)
    return body


def later() -> str:
    """An ISO time a day from now, so deliveries stay pending."""
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/articles"), ("GET", "/api/articles/1"), ("POST", "/api/articles"),
    ("POST", "/api/articles/1/cancel"), ("POST", "/api/articles/1/retry"),
    ("GET", "/api/articles/1/preview"),
])
@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic czNjcmV0", "Bearer s3cret"])
def test_api_refuses_missing_or_wrong_token(running_api: RunningApi, method: str, path: str,
                                            header: str | None) -> None:
    """Every /api route answers 401 without the bearer token or with a wrong one."""
    headers = {"Authorization": header} if header else {}
    with httpx.Client(base_url=running_api.url, timeout=10) as anonymous:
        answer = anonymous.request(method, path, headers=headers, json=story("anon"))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json() == {"detail": "missing or wrong bearer token"}


def test_stranger_cannot_queue(running_api: RunningApi) -> None:
    """A refused request queues nothing."""
    with httpx.Client(base_url=running_api.url, timeout=10) as anonymous:
        anonymous.post("/api/articles", json=story("stranger"))
    listed = running_api.client.get("/api/articles").json()["articles"]
    assert all("stranger" not in a["url"] for a in listed)


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "No URL"}, "url"),
    (story("extra", colour="red"), "colour"),
    (story("prio", priority="urgent"), "priority"),
    (story("nb", not_before="2026-05-01T09:00"), "not_before"),
    (story("tags", tags="not-a-list"), "tags"),
    (story("nul", title="bad\x00title"), "title"),
    (story("long", title="x" * 1001), "title"),
])
def test_bad_bodies_get_422_with_field_errors(running_api: RunningApi, body: dict[str, object],
                                               field: str) -> None:
    """Schema errors answer 422 naming the field at fault."""
    answer = running_api.client.post("/api/articles", json=body)
    assert answer.status_code == 422, answer.text
    fields = [err["loc"][-1] for err in answer.json()["detail"]]
    assert field in fields


@pytest.mark.parametrize(("body", "words"), [
    (story("t", targets=["nowhere"]), "unknown target(s): nowhere"),
    ({"url": "ftp://news.example.com/x", "title": "FTP"}, "not an http(s) URL"),
    ({"url": "https://news.example.com/blank", "title": "   "}, "title is empty"),
    ({"url": "http://news.example.com:99999/x", "title": "Port"}, "bad port"),
    ({"url": "http://news.example.com:99999/x"}, "bad port"),
])
def test_refused_stories_get_422_in_plain_words(running_api: RunningApi,
                                                body: dict[str, object], words: str) -> None:
    """What the queue refuses (same checks as the CLI) answers 422 with its reason."""
    answer = running_api.client.post("/api/articles", json=body)
    assert answer.status_code == 422, answer.text
    assert words in answer.json()["detail"][0]["msg"]


def test_repeated_target_names_are_one_target(running_api: RunningApi) -> None:
    """A target named twice is one delivery: 201, never a 503 database problem."""
    answer = running_api.client.post("/api/articles", json=story("twice", targets=["tg", "tg"],
                                                                 not_before=later()))
    assert answer.status_code == 201, answer.text
    assert [d["target"] for d in answer.json()["deliveries"]] == ["tg"]


def test_created_story_says_when_each_target_posts(running_api: RunningApi) -> None:
    """The answer to a new story carries each delivery's outlook: when it posts (or that it
    will not, and why), in words, beside planned_at and plan_reason."""
    answer = running_api.client.post("/api/articles", json=story("outlook", not_before=later()))
    assert answer.status_code == 201, answer.text
    for d in answer.json()["deliveries"]:
        assert d["outlook"].startswith(("posts ", "not planned yet: ", "will not post: ")), d


def test_not_json_gets_422(running_api: RunningApi) -> None:
    """A body that is not JSON is a 422, not a server error."""
    answer = running_api.client.post("/api/articles", content=b"{not json",
                                     headers={"Content-Type": "application/json"})
    assert answer.status_code == 422


def test_too_large_body_gets_413(running_api: RunningApi) -> None:
    """A body over ``[api] max_body_bytes`` is refused with 413, declared or streamed."""
    big = story("big", text="x" * (MAX_BODY + 10))
    assert running_api.client.post("/api/articles", json=big).status_code == 413

    def chunks() -> object:
        for _ in range(30):
            yield b"y" * 1000

    streamed = running_api.client.post("/api/articles", content=chunks(),  # type: ignore[arg-type]
                                       headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    listed = running_api.client.get("/api/articles").json()["articles"]
    assert all("big" not in a["url"] for a in listed)


def test_post_is_idempotent_on_the_url(running_api: RunningApi) -> None:
    """The same story again (even with tracking parameters) returns the first one with 200."""
    first = running_api.client.post("/api/articles", json=story("same", not_before=later()))
    assert first.status_code == 201
    assert first.headers["location"] == f"/api/articles/{first.json()['id']}"
    again = running_api.client.post(
        "/api/articles", json=story("same?utm_source=cms", title="Edited title"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] == "Harbour story same"


def test_get_and_list_show_the_queue_shape(running_api: RunningApi) -> None:
    """GET returns the ``queue show --json`` shape; the list filters by delivery state."""
    created = running_api.client.post(
        "/api/articles", json=story("shape", not_before=later(), targets=["tg", "xa"])).json()
    got = running_api.client.get(f"/api/articles/{created['id']}").json()
    assert got == created
    assert {d["target"] for d in got["deliveries"]} == {"tg", "xa"}
    assert {"id", "url", "canonical_url", "title", "state", "deliveries"} <= set(got)
    pending = running_api.client.get("/api/articles", params={"state": "pending"}).json()
    assert created["id"] in [a["id"] for a in pending["articles"]]
    cancelled = running_api.client.get("/api/articles", params={"state": "cancelled"}).json()
    assert created["id"] not in [a["id"] for a in cancelled["articles"]]
    assert running_api.client.get("/api/articles", params={"state": "bogus"}).status_code == 422
    assert running_api.client.get("/api/articles/999999").status_code == 404


def test_cancel_then_retry(running_api: RunningApi) -> None:
    """Cancel stops every waiting delivery; retry puts them back in the queue."""
    created = running_api.client.post(
        "/api/articles", json=story("cancel", not_before=later(), targets=["tg", "xa"])).json()
    cancelled = running_api.client.post(f"/api/articles/{created['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["moved"] == 2
    assert {d["state"] for d in cancelled.json()["article"]["deliveries"]} == {"cancelled"}
    retried = running_api.client.post(f"/api/articles/{created['id']}/retry").json()
    assert retried["moved"] == 2
    assert {d["state"] for d in retried["article"]["deliveries"]} == {"pending"}
    assert running_api.client.post("/api/articles/999999/cancel").status_code == 404
    assert running_api.client.post("/api/articles/999999/retry").status_code == 404


def test_preview_shows_each_targets_posts(running_api: RunningApi) -> None:
    """The preview lists every target's parts with length and limit."""
    created = running_api.client.post(
        "/api/articles", json=story("preview", not_before=later(), targets=["tg", "xa"])).json()
    data = running_api.client.get(f"/api/articles/{created['id']}/preview").json()
    by_target = {t["target"]: t for t in data["targets"]}
    assert set(by_target) == {"tg", "xa"}
    x_part = by_target["xa"]["parts"][0]
    assert x_part["length"] <= x_part["limit"] == 280
    assert "Harbour story preview" in by_target["tg"]["parts"][0]["text"]
