"""Health, metrics, the OpenAPI document and fetching a bare URL, on the real process."""

from __future__ import annotations

import re
import time

import httpx

from tests.api.conftest import RunningApi
from tests.api.pages import story_pages


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and (match[2] or "") == wanted:
            return float(match[3])
    return 0.0


def test_healthz_reports_database_and_scheduler(running_api: RunningApi) -> None:
    """/healthz is 200 with both parts named, and needs no token."""
    with httpx.Client(base_url=running_api.url, timeout=10) as anonymous:
        answer = anonymous.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"ok": True, "database": "ok", "scheduler": "alive"}


def test_metrics_count_deliveries_latency_and_errors(running_api: RunningApi) -> None:
    """After one story goes out (two dry-run targets, one live target whose channel is missing),
    /metrics shows deliveries by state and target, the latency histogram and errors by kind."""
    before = httpx.get(f"{running_api.url}/metrics").text
    body = {"url": "https://news.example.com/metrics-story", "title": "Metrics story",
            "text": "Counting what went out. And what did not.", "targets": ["tg", "xa", "live"]}
    created = running_api.client.post("/api/articles", json=body).json()
    story = running_api.wait_for(created["id"], "failed")
    states = {d["target"]: d["state"] for d in story["deliveries"]}  # type: ignore[attr-defined]
    assert states == {"tg": "published", "xa": "published", "live": "failed"}
    deadline = time.monotonic() + 5
    while True:
        answer = httpx.get(f"{running_api.url}/metrics")
        text = answer.text
        count = metric(text, "crosspost_publish_latency_seconds_count",
                       target="xa", platform="x")
        if count >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert answer.headers["content-type"].startswith("text/plain")
    assert count == metric(before, "crosspost_publish_latency_seconds_count",
                           target="xa", platform="x") + 1
    assert metric(text, "crosspost_deliveries", target="tg", state="published") >= 1
    assert metric(text, "crosspost_deliveries", target="live", state="failed") >= 1
    assert metric(text, "crosspost_delivery_errors_total", kind="permanent") >= 1
    assert metric(text, "crosspost_scheduler_alive") == 1
    assert "# TYPE crosspost_publish_latency_seconds histogram" in text


def test_retry_sends_a_failed_delivery_again(running_api: RunningApi) -> None:
    """Retry puts a failed delivery back in the queue; it is attempted (and fails) again."""
    body = {"url": "https://news.example.com/retry-story", "title": "Retry story",
            "text": "It will fail twice.", "targets": ["live"]}
    created = running_api.client.post("/api/articles", json=body).json()
    running_api.wait_for(created["id"], "failed")
    retried = running_api.client.post(f"/api/articles/{created['id']}/retry").json()
    assert retried["moved"] == 1
    again = running_api.wait_for(created["id"], "failed")
    assert len(again["deliveries"][0]["history"]) == 2  # type: ignore[index]


def test_openapi_document_lists_the_routes(running_api: RunningApi) -> None:
    """/openapi.json describes every route and the bearer scheme."""
    doc = httpx.get(f"{running_api.url}/openapi.json").json()
    assert set(doc["paths"]) >= {
        "/api/articles", "/api/articles/{article_id}", "/api/articles/{article_id}/cancel",
        "/api/articles/{article_id}/retry", "/api/articles/{article_id}/preview",
        "/healthz", "/metrics"}
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_a_url_alone_is_fetched_and_queued(running_api: RunningApi) -> None:
    """Posting only a URL fetches the page and queues its title; posting it again is a 200."""
    with story_pages() as base:
        url = f"{base}/story/api-fetch"
        first = running_api.client.post("/api/articles", json={"url": url, "targets": ["tg"]})
        assert first.status_code == 201, first.text
        assert first.json()["title"] == "Harbour reopens: api-fetch"
        again = running_api.client.post("/api/articles", json={"url": url})
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        missing = running_api.client.post("/api/articles", json={"url": f"{base}/nothing"})
        assert missing.status_code == 422
