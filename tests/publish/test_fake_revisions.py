"""The fakes edit and delete what they delivered, with the platforms' own refusals and faults."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from requests_oauthlib import OAuth1

from tests.fakes import telegram_revise as TR
from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeTelegram, MakeX
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN


@pytest.fixture
def api(telegram_server: FakeServer) -> Iterator[httpx.Client]:
    """A raw HTTP client on the fake Bot API."""
    with httpx.Client(base_url=telegram_server.url, timeout=5) as client:
        yield client


def call(client: httpx.Client, method: str, **params: Any) -> tuple[int, Any]:
    """One form-encoded Bot API call: status and JSON."""
    response = client.post(f"/bot{DEFAULT_TOKEN}/{method}", data=params)
    return response.status_code, response.json()


def sent(client: httpx.Client, text: str = "<b>First</b> text") -> int:
    """Send a message to @news and return its id."""
    status, body = call(client, "sendMessage", chat_id="@news", text=text, parse_mode="HTML")
    assert status == 200
    return int(body["result"]["message_id"])


def test_edit_text_changes_the_message(api: httpx.Client, telegram_server: FakeServer) -> None:
    """editMessageText replaces the text; the same text again is "message is not modified"."""
    mid = sent(api)
    status, body = call(api, "editMessageText", chat_id="@news", message_id=mid,
                        text="<b>Fixed</b> text", parse_mode="HTML")
    assert status == 200 and body["result"]["text"] == "Fixed text" and "edit_date" in body["result"]
    assert telegram_server.app.messages[0]["text"] == "Fixed text"
    status, body = call(api, "editMessageText", chat_id="@news", message_id=mid,
                        text="<b>Fixed</b> text", parse_mode="HTML")
    assert (status, body["description"]) == (400, TR.NOT_MODIFIED)


def test_edit_refusals(api: httpx.Client) -> None:
    """Unknown message, caption of a text, text of a photo: Telegram's own refusals."""
    mid = sent(api)
    assert call(api, "editMessageText", chat_id="@news", message_id=999, text="x")[1][
        "description"] == TR.EDIT_NOT_FOUND
    assert call(api, "editMessageCaption", chat_id="@news", message_id=mid, caption="x")[1][
        "description"] == TR.NO_CAPTION
    status, body = call(api, "sendPhoto", chat_id="@news", photo="https://e.org/p.jpg", caption="c")
    photo = body["result"]["message_id"]
    assert call(api, "editMessageText", chat_id="@news", message_id=photo, text="x")[1][
        "description"] == TR.NO_TEXT
    status, body = call(api, "editMessageCaption", chat_id="@news", message_id=photo,
                        caption="<i>new</i>", parse_mode="HTML")
    assert status == 200 and body["result"]["caption"] == "new"


def test_delete_and_its_refusals(api: httpx.Client, telegram_server: FakeServer) -> None:
    """deleteMessage removes it; again is "not found"; past the window it "can't be deleted"."""
    first, second = sent(api), sent(api, "second")
    assert call(api, "deleteMessage", chat_id="@news", message_id=first) == (
        200, {"ok": True, "result": True})
    assert call(api, "deleteMessage", chat_id="@news", message_id=first)[1][
        "description"] == TR.DELETE_NOT_FOUND
    assert call(api, "editMessageText", chat_id="@news", message_id=first, text="x")[1][
        "description"] == TR.EDIT_NOT_FOUND
    telegram_server.app.delete_window_seconds = 0  # type: ignore[attr-defined]
    assert call(api, "deleteMessage", chat_id="@news", message_id=second)[1][
        "description"] == TR.CANT_DELETE
    assert [m.get("deleted", False) for m in telegram_server.app.messages] == [True, False]


def test_edits_and_deletes_take_faults(make_telegram_server: MakeTelegram) -> None:
    """A dropped answer after a delete still deleted; a 429 announces a wait like a send."""
    server = make_telegram_server(faults=FaultPlan())
    with httpx.Client(base_url=server.url, timeout=5) as client:
        mid = sent(client)
        server.app.faults.queue(["drop_after", "429"])
        with pytest.raises(httpx.RemoteProtocolError):
            call(client, "deleteMessage", chat_id="@news", message_id=mid)
        assert server.app.messages[0]["deleted"] is True
        status, body = call(client, "editMessageText", chat_id="@news", message_id=mid, text="x")
        assert status == 429 and body["parameters"]["retry_after"] >= 1


@pytest.fixture
def signed() -> Iterator[requests.Session]:
    """A requests session signing with the X fake's default credentials."""
    with requests.Session() as session:
        session.auth = OAuth1("test-consumer-key", "test-consumer-secret",
                              "1000-test-access-token", "test-access-secret")
        yield session


def test_x_edit_chain_lookup_and_limit(signed: requests.Session, x_server: FakeServer) -> None:
    """Each edit is a new id in one chain; only the newest edits; a sixth edit is refused."""
    url = f"{x_server.url}/2/tweets"
    current = signed.post(url, json={"text": "v0"}).json()["data"]["id"]
    original = current
    for n in range(1, 6):
        reply = signed.post(url, json={"text": f"v{n}", "edit_options": {"previous_post_id": current}})
        assert reply.status_code == 201, reply.text
        current = reply.json()["data"]["id"]
    assert len(reply.json()["data"]["edit_history_tweet_ids"]) == 6
    sixth = signed.post(url, json={"text": "v6", "edit_options": {"previous_post_id": current}})
    assert sixth.status_code == 403 and "edited 5 times" in sixth.json()["detail"]
    stale = signed.post(url, json={"text": "v7", "edit_options": {"previous_post_id": original}})
    assert stale.status_code == 403 and "newest version" in stale.json()["detail"]
    looked = signed.get(f"{url}/{original}").json()["data"]
    assert looked["edit_history_tweet_ids"][0] == original and looked["edit_history_tweet_ids"][-1] == current
    timeline = signed.get(f"{x_server.url}/2/users/1000/tweets").json()
    assert [t["text"] for t in timeline["data"]] == ["v5"]


def test_x_edit_window_is_30_minutes(signed: requests.Session, x_server: FakeServer) -> None:
    """Past the edit window the edit is refused with 403."""
    url = f"{x_server.url}/2/tweets"
    post_id = signed.post(url, json={"text": "late"}).json()["data"]["id"]
    x_server.app.edit_window_seconds = 0  # type: ignore[attr-defined]
    refused = signed.post(url, json={"text": "later", "edit_options": {"previous_post_id": post_id}})
    assert refused.status_code == 403 and "30 minutes" in refused.json()["detail"]


def test_x_account_that_may_not_edit(signed: requests.Session, x_server: FakeServer) -> None:
    """An account without editing is refused at once, with X's 403."""
    url = f"{x_server.url}/2/tweets"
    post_id = signed.post(url, json={"text": "fresh"}).json()["data"]["id"]
    x_server.app.edit_refused_accounts = {"1000"}  # type: ignore[attr-defined]
    refused = signed.post(url, json={"text": "fresher", "edit_options": {"previous_post_id": post_id}})
    assert refused.status_code == 403 and "may not edit" in refused.json()["detail"]


def test_x_delete_removes_the_chain(signed: requests.Session, x_server: FakeServer) -> None:
    """Deleting any version deletes them all; afterwards GET and DELETE answer 404."""
    url = f"{x_server.url}/2/tweets"
    first = signed.post(url, json={"text": "a"}).json()["data"]["id"]
    second = signed.post(url, json={"text": "b", "edit_options": {"previous_post_id": first}}).json()
    gone = signed.delete(f"{url}/{first}")
    assert (gone.status_code, gone.json()) == (200, {"data": {"deleted": True}})
    assert signed.get(f"{url}/{second['data']['id']}").status_code == 404
    assert signed.delete(f"{url}/{first}").status_code == 404
    assert all(t["deleted"] for t in x_server.app.tweets)
    reply = signed.post(url, json={"text": "c", "reply": {"in_reply_to_tweet_id": first}})
    assert reply.status_code == 403


def test_x_delete_takes_faults(make_x_server: MakeX, signed: requests.Session) -> None:
    """A delete whose answer is dropped still happened; a 503 deletes nothing."""
    server = make_x_server(faults=FaultPlan())
    url = f"{server.url}/2/tweets"
    one = signed.post(url, json={"text": "one"}).json()["data"]["id"]
    two = signed.post(url, json={"text": "two"}).json()["data"]["id"]
    server.app.faults.queue(["5xx", "drop_after"])
    assert signed.delete(f"{url}/{one}").status_code == 503
    with pytest.raises(requests.ConnectionError):
        signed.delete(f"{url}/{two}")
    assert [t.get("deleted", False) for t in server.app.tweets] == [False, True]
