"""The fake X media endpoints accept what X accepts and refuse what X refuses."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from PIL import Image
from requests_oauthlib import OAuth1

from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeX
from tests.fakes.httpbase import FakeServer
from tests.fakes.x_objects import XAccount, XConfig


def png(width: int = 40, height: int = 30) -> bytes:
    """A small PNG."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def signed(x_server: FakeServer) -> Iterator[requests.Session]:
    """A requests session signing with the fake's default OAuth 1.0a credentials."""
    with requests.Session() as session:
        session.auth = OAuth1(
            "test-consumer-key", "test-consumer-secret", "1000-test-access-token", "test-access-secret"
        )
        yield session


def chunked(session: requests.Session, base: str, data: bytes, media_type: str = "image/png",
            chunk: int = 1000) -> tuple[str, requests.Response]:
    """INIT, APPEND in ``chunk``-byte segments, FINALIZE; returns the id and FINALIZE's answer."""
    url = f"{base}/2/media/upload"
    init = session.post(url, params={"command": "INIT", "media_type": media_type,
                                     "total_bytes": str(len(data)), "media_category": "tweet_image"})
    assert init.status_code == 200, init.text
    media_id = init.json()["data"]["id"]
    for index, start in enumerate(range(0, len(data), chunk)):
        append = session.post(url, data={"command": "APPEND", "media_id": media_id,
                                         "segment_index": str(index)},
                              files={"media": ("blob", data[start:start + chunk])})
        assert append.status_code == 200, append.text
    return media_id, session.post(url, params={"command": "FINALIZE", "media_id": media_id})


def post(session: requests.Session, base: str, text: str, media_ids: list[str]) -> requests.Response:
    """``POST /2/tweets`` with media."""
    return session.post(f"{base}/2/tweets", json={"text": text, "media": {"media_ids": media_ids}})


def test_chunked_upload_alt_text_and_post(signed: requests.Session, x_server: FakeServer) -> None:
    """INIT/APPEND/FINALIZE assemble the bytes; alt text sticks; the post carries the media id."""
    data = png()
    media_id, final = chunked(signed, x_server.url, data, chunk=100)
    assert final.status_code == 201
    assert final.json()["data"]["image"] == {"image_type": "image/png", "w": 40, "h": 30}
    meta = signed.post(f"{x_server.url}/2/media/metadata",
                       json={"id": media_id, "metadata": {"alt_text": {"text": "A red square"}}})
    assert meta.status_code == 200
    assert post(signed, x_server.url, "with a picture", [media_id]).status_code == 201
    upload = x_server.app.media.uploads[media_id]
    assert upload.data == data and upload.alt_text == "A red square"
    assert x_server.app.tweets[-1]["media_ids"] == [media_id]


def test_one_shot_upload(signed: requests.Session, x_server: FakeServer) -> None:
    """A small image can go up in one multipart request without a command."""
    answer = signed.post(f"{x_server.url}/2/media/upload", data={"media_category": "tweet_image"},
                         files={"media": ("a.png", png())})
    assert answer.status_code == 200
    media_id = answer.json()["data"]["id"]
    assert post(signed, x_server.url, "one shot", [media_id]).status_code == 201


@pytest.mark.parametrize(
    ("media_type", "data", "said"),
    [
        ("image/bmp", b"BM" + b"\0" * 100, "media type unrecognized."),
        ("image/png", b"<html>not an image</html>", "media type unrecognized."),
        ("image/jpeg", png(), "media type unrecognized."),
    ],
)
def test_refuses_what_is_not_the_image_it_claims(
    signed: requests.Session, x_server: FakeServer, media_type: str, data: bytes, said: str
) -> None:
    """An unsupported type is refused at INIT; bytes that are not the declared image at FINALIZE."""
    url = f"{x_server.url}/2/media/upload"
    init = signed.post(url, params={"command": "INIT", "media_type": media_type,
                                    "total_bytes": str(len(data))})
    if init.status_code == 400:
        assert init.json()["errors"][0]["message"] == said
        return
    media_id = init.json()["data"]["id"]
    signed.post(url, data={"command": "APPEND", "media_id": media_id, "segment_index": "0"},
                files={"media": ("blob", data)})
    final = signed.post(url, params={"command": "FINALIZE", "media_id": media_id})
    assert final.status_code == 400
    assert final.json()["errors"][0]["message"] == said
    assert post(signed, x_server.url, "refused media", [media_id]).status_code == 400


def test_too_large_is_refused(signed: requests.Session, x_server: FakeServer) -> None:
    """An image over 5 MB is refused at INIT with X's words."""
    init = signed.post(f"{x_server.url}/2/media/upload",
                       params={"command": "INIT", "media_type": "image/png",
                               "total_bytes": str(6 * 1024 * 1024)})
    assert init.status_code == 400
    assert init.json()["errors"][0]["message"] == "File size exceeds 5242880 bytes."


def test_unknown_expired_and_foreign_media_ids(x_server: FakeServer) -> None:
    """A post refuses an id never issued, an expired one, and another account's one."""
    x_server.app.config.accounts["2000-other"] = XAccount("2000", "other", "other-secret")
    mine = requests.Session()
    mine.auth = OAuth1("test-consumer-key", "test-consumer-secret",
                       "1000-test-access-token", "test-access-secret")
    theirs = requests.Session()
    theirs.auth = OAuth1("test-consumer-key", "test-consumer-secret", "2000-other", "other-secret")
    with mine, theirs:
        refused = post(mine, x_server.url, "never issued", ["1234567890"])
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["message"] == "Your media IDs are invalid."
        media_id, _ = chunked(mine, x_server.url, png())
        assert post(theirs, x_server.url, "not yours", [media_id]).status_code == 400
        x_server.app.media.expire(media_id)
        assert post(mine, x_server.url, "expired", [media_id]).status_code == 400
        status = mine.get(f"{x_server.url}/2/media/upload",
                          params={"command": "STATUS", "media_id": media_id})
        assert status.status_code == 400
    assert x_server.app.tweets == []


def test_status_reports_processing(signed: requests.Session, x_server: FakeServer) -> None:
    """With processing time set, FINALIZE says pending and a post must wait for STATUS."""
    signed.post(f"{x_server.url}/_fake/config", json={"media_processing_seconds": 30})
    media_id, final = chunked(signed, x_server.url, png())
    assert final.json()["data"]["processing_info"]["state"] == "in_progress"
    assert post(signed, x_server.url, "too early", [media_id]).status_code == 400
    status = signed.get(f"{x_server.url}/2/media/upload",
                        params={"command": "STATUS", "media_id": media_id})
    assert status.json()["data"]["processing_info"]["check_after_secs"] >= 1


def test_alt_text_over_1000_chars_is_refused(signed: requests.Session, x_server: FakeServer) -> None:
    """X takes at most 1000 characters of alt text."""
    media_id, _ = chunked(signed, x_server.url, png())
    answer = signed.post(f"{x_server.url}/2/media/metadata",
                         json={"id": media_id, "metadata": {"alt_text": {"text": "a" * 1001}}})
    assert answer.status_code == 400


def test_media_faults_apply_to_uploads_only(make_x_server: MakeX) -> None:
    """``media_faults`` makes uploads fail (503 here) while posts behave."""
    server = make_x_server(XConfig())
    server.app.media.configure({"media_faults": {"next": ["5xx"]}})
    with requests.Session() as session:
        session.auth = OAuth1("test-consumer-key", "test-consumer-secret",
                              "1000-test-access-token", "test-access-secret")
        init: dict[str, Any] = {"command": "INIT", "media_type": "image/png", "total_bytes": "10"}
        assert session.post(f"{server.url}/2/media/upload", params=init).status_code == 503
        assert session.post(f"{server.url}/2/tweets", json={"text": "fine"}).status_code == 201
        assert session.post(f"{server.url}/2/media/upload", params=init).status_code == 200


def test_app_faults_reach_uploads_too(make_x_server: MakeX) -> None:
    """Without ``media_faults``, the app's fault plan covers the media writes as well."""
    server = make_x_server(None, FaultPlan(rate=0.0))
    server.app.faults.queue(["429"])
    with requests.Session() as session:
        session.auth = OAuth1("test-consumer-key", "test-consumer-secret",
                              "1000-test-access-token", "test-access-secret")
        answer = session.post(f"{server.url}/2/media/upload",
                              params={"command": "INIT", "media_type": "image/png", "total_bytes": "10"})
        assert answer.status_code == 429
        assert "x-rate-limit-reset" in answer.headers
