"""The fake X API refuses what X refuses and records every post and request."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import requests
from requests_oauthlib import OAuth1

from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeX
from tests.fakes.httpbase import FakeServer


@pytest.fixture
def signed(x_server: FakeServer) -> Iterator[requests.Session]:
    """A requests session signing with the fake's default OAuth 1.0a credentials."""
    with requests.Session() as session:
        session.auth = OAuth1(
            "test-consumer-key", "test-consumer-secret", "1000-test-access-token", "test-access-secret"
        )
        yield session


def test_post_without_oauth_is_401(x_server: FakeServer) -> None:
    """No Authorization header: 401 in X's problem shape; nothing is posted."""
    response = httpx.post(f"{x_server.url}/2/tweets", json={"text": "x"})
    assert response.status_code == 401
    assert response.json()["title"] == "Unauthorized"
    assert x_server.app.tweets == []


def test_bearer_token_cannot_post(x_server: FakeServer) -> None:
    """App-only auth is refused for posting (403 Unsupported Authentication)."""
    response = httpx.post(
        f"{x_server.url}/2/tweets", json={"text": "x"}, headers={"Authorization": "Bearer abc"}
    )
    assert response.status_code == 403


def test_weighted_length_is_enforced(signed: requests.Session, x_server: FakeServer) -> None:
    """280 weighted units pass; CJK weighs 2, so 141 of them are refused with 400."""
    url = f"{x_server.url}/2/tweets"
    assert signed.post(url, json={"text": "界" * 140}).status_code == 201
    response = signed.post(url, json={"text": "界" * 141})
    assert response.status_code == 400


def test_duplicate_and_missing_reply(signed: requests.Session, x_server: FakeServer) -> None:
    """Same text twice → 403 duplicate content; a reply to an unknown post → 403."""
    url = f"{x_server.url}/2/tweets"
    assert signed.post(url, json={"text": "same"}).status_code == 201
    dup = signed.post(url, json={"text": "same"})
    assert dup.status_code == 403
    assert "duplicate content" in dup.json()["detail"]
    orphan = signed.post(url, json={"text": "r", "reply": {"in_reply_to_tweet_id": "1"}})
    assert orphan.status_code == 403


def test_timeline_shows_text_as_x_does(signed: requests.Session, x_server: FakeServer) -> None:
    """Recent posts come newest first, with t.co links and escaped ampersands; 5..100 only."""
    signed.post(f"{x_server.url}/2/tweets", json={"text": "a & b https://e.org/x"})
    timeline = signed.get(f"{x_server.url}/2/users/1000/tweets", params={"max_results": 5})
    [tweet] = timeline.json()["data"]
    assert tweet["text"].startswith("a &amp; b https://t.co/")
    bad = signed.get(f"{x_server.url}/2/users/1000/tweets", params={"max_results": 3})
    assert bad.status_code == 400


def test_rate_limit_headers_and_violation(make_x_server: MakeX) -> None:
    """A 429 carries x-rate-limit-reset; posting before it is a recorded violation."""
    server = make_x_server(faults=FaultPlan(retry_after=1))
    server.app.faults.queue(["429"])
    with requests.Session() as session:
        session.auth = OAuth1(
            "test-consumer-key", "test-consumer-secret", "1000-test-access-token", "test-access-secret"
        )
        first = session.post(f"{server.url}/2/tweets", json={"text": "x"})
        assert first.status_code == 429
        assert first.headers["x-rate-limit-remaining"] == "0"
        reset = int(first.headers["x-rate-limit-reset"])
        assert session.post(f"{server.url}/2/tweets", json={"text": "x"}).status_code == 429
        time.sleep(max(0.0, reset - time.time()) + 0.01)
        assert session.post(f"{server.url}/2/tweets", json={"text": "x"}).status_code == 201
    [violation] = server.app.violations
    assert violation["blocked_until"] == reset


def test_cli_serves_and_prints_url() -> None:
    """``python -m tests.fakes.x_server`` prints its URL first and answers until terminated."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.x_server", "--port", "0", "--fault-rate", "0.3", "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        state = httpx.get(f"{url}/_fake/state").json()
        assert state["faults"]["rate"] == 0.3
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        assert proc.stdout is not None
        proc.stdout.close()
