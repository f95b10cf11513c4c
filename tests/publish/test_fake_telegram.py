"""The fake Bot API refuses what Telegram refuses, injects faults, and records everything."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeTelegram
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN


@pytest.fixture
def api(telegram_server: FakeServer) -> Iterator[httpx.Client]:
    """A raw HTTP client on the fake."""
    with httpx.Client(base_url=telegram_server.url, timeout=5) as client:
        yield client


def call(client: httpx.Client, method: str, token: str = DEFAULT_TOKEN, **params: Any) -> Any:
    """POST a form-encoded Bot API call (as python-telegram-bot does); return status and JSON."""
    response = client.post(f"/bot{token}/{method}", data=params)
    return response.status_code, response.json()


@pytest.mark.parametrize(
    "html",
    ["<p>para</p>", "a < b", "<b>unclosed", "<a>no href</a>", "<i><b>bad</i></b>"],
)
def test_invalid_html_is_refused(api: httpx.Client, html: str) -> None:
    """Markup Telegram would not parse gets 400 "can't parse entities"."""
    status, body = call(api, "sendMessage", chat_id="@news", text=html, parse_mode="HTML")
    assert status == 400
    assert body["description"].startswith("Bad Request: can't parse entities")


def test_length_counts_utf16_after_parsing(api: httpx.Client) -> None:
    """4096 UTF-16 units after entity parsing pass; one more is "message is too long"."""
    tags = "<b>" + "a" * 4094 + "</b>😀"  # 4094 + 2 units: markup does not count
    assert call(api, "sendMessage", chat_id="@news", text=tags, parse_mode="HTML")[0] == 200
    status, body = call(api, "sendMessage", chat_id="@news", text="a" * 4095 + "😀")
    assert (status, body["description"]) == (400, "Bad Request: message is too long")


def test_caption_limit_is_1024(api: httpx.Client) -> None:
    """A photo caption over 1024 units is refused."""
    status, body = call(api, "sendPhoto", chat_id="@news", photo="https://e.org/p.jpg", caption="x" * 1025)
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")


def test_bad_token_unknown_chat_and_method(api: httpx.Client) -> None:
    """Unknown token → 401; unknown chat → 400 chat not found; unknown method → 404."""
    assert call(api, "getMe", token="1:nope")[0] == 401
    assert call(api, "sendMessage", chat_id="@ghost", text="x")[1]["description"] == (
        "Bad Request: chat not found"
    )
    assert call(api, "noSuchMethod")[0] == 404


def test_json_bodies_are_accepted_too(api: httpx.Client, telegram_server: FakeServer) -> None:
    """A JSON body works like a form body."""
    response = api.post(f"/bot{DEFAULT_TOKEN}/sendMessage", json={"chat_id": "@news", "text": "j"})
    assert response.json()["result"]["chat"]["username"] == "news"
    assert telegram_server.app.messages[0]["text"] == "j"


def test_early_retry_is_a_violation(make_telegram_server: MakeTelegram) -> None:
    """Coming back before retry_after is answered 429 again and recorded as a violation."""
    server = make_telegram_server(faults=FaultPlan(retry_after=1))
    server.app.faults.queue(["429"])
    with httpx.Client(base_url=server.url) as client:
        status, body = call(client, "sendMessage", chat_id="@news", text="x")
        assert (status, body["parameters"]) == (429, {"retry_after": 1})
        assert call(client, "sendMessage", chat_id="@news", text="x")[0] == 429
        time.sleep(1.05)
        assert call(client, "sendMessage", chat_id="@news", text="x")[0] == 200
        state = client.get("/_fake/state").json()
    [violation] = state["violations"]
    assert violation["key"] == f"chat:{state['chats'][0]['id']}"
    assert len(state["messages"]) == 1


def test_seeded_faults_repeat(make_telegram_server: MakeTelegram) -> None:
    """The same seed and rate give the same fault sequence."""
    picks = []
    for _ in range(2):
        plan = FaultPlan(rate=0.5, seed=7)
        picks.append([plan.pick() for _ in range(40)])
    assert picks[0] == picks[1]
    assert 5 < sum(p is not None for p in picks[0]) < 35


def test_control_endpoints(api: httpx.Client, telegram_server: FakeServer) -> None:
    """Config over HTTP marks a chat kicked; state lists requests; reset clears them."""
    api.post("/_fake/config", json={"kicked": ["@news"], "faults": {"rate": 0}})
    status, body = call(api, "sendMessage", chat_id="@news", text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot was kicked from the channel chat")
    state = api.get("/_fake/state").json()
    assert set(state) >= {"requests", "violations", "messages", "chats", "faults", "blocked"}
    assert state["requests"][-1]["status"] == 403
    api.post("/_fake/reset")
    assert api.get("/_fake/state").json()["requests"] == []


def test_incoming_private_messages_and_answers(api: httpx.Client) -> None:
    """An injected user message shows in getUpdates; the bot may then answer that user."""
    api.post("/_fake/incoming", json={"user_id": 42, "text": "/queue", "username": "ed"})
    _, body = call(api, "getUpdates", offset=0, timeout=0)
    [update] = body["result"]
    assert update["message"]["text"] == "/queue"
    assert call(api, "sendMessage", chat_id=42, text="3 queued")[0] == 200
    later = call(api, "getUpdates", offset=update["update_id"] + 1, timeout=0)[1]
    assert later["result"] == []
    assert call(api, "sendMessage", chat_id=43, text="hi")[0] == 400


def test_link_preview_options_must_be_an_object(api: httpx.Client) -> None:
    """Malformed link_preview_options are refused."""
    status, _ = call(api, "sendMessage", chat_id="@news", text="x", link_preview_options="[1]")
    assert status == 400
    options = json.dumps({"is_disabled": True})
    assert call(api, "sendMessage", chat_id="@news", text="x", link_preview_options=options)[0] == 200


def test_per_chat_pacing_when_enabled(make_telegram_server: MakeTelegram) -> None:
    """With Telegram's per-chat limit switched on, the third message in a minute gets 429."""
    from tests.fakes.telegram_server import TelegramConfig

    server = make_telegram_server(TelegramConfig(chats=("@news", "@sport"), chat_per_minute=2))
    with httpx.Client(base_url=server.url) as client:
        assert call(client, "sendMessage", chat_id="@news", text="1")[0] == 200
        assert call(client, "sendMessage", chat_id="@news", text="2")[0] == 200
        status, body = call(client, "sendMessage", chat_id="@news", text="3")
        assert status == 429
        assert 59 <= body["parameters"]["retry_after"] <= 60
        assert call(client, "sendMessage", chat_id="@sport", text="other chat")[0] == 200
        assert call(client, "sendMessage", chat_id="@news", text="4")[0] == 429
    assert len(server.app.violations) == 1


def test_cli_serves_and_prints_url() -> None:
    """``python -m tests.fakes.telegram_server`` prints its URL first and serves the Bot API."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.telegram_server",
            "--port",
            "0",
            "--chat",
            "@a",
            "--kicked",
            "@b",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        with httpx.Client(base_url=url) as client:
            assert call(client, "getMe")[1]["result"]["is_bot"] is True
            assert call(client, "sendMessage", chat_id="@b", text="x")[0] == 403
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
        assert proc.stdout is not None
        proc.stdout.close()
