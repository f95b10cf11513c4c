"""The X adapter through the real tweepy client to the strict fake X API v2."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from bot.domain.errors import (
    AuthError,
    DuplicateContentError,
    PermanentError,
    RateLimitedError,
    TransientError,
    UncertainError,
)
from bot.domain.models import Platform
from bot.publish.x import XPublisher, normalise
from tests.fakes.faults import FaultPlan
from tests.fakes.fixtures import MakeX
from tests.fakes.httpbase import FakeServer
from tests.publish.conftest import request_for, x_publisher

pytestmark = pytest.mark.anyio
X = Platform.X


async def test_single_post_with_permalink(xp: XPublisher, x_server: FakeServer) -> None:
    """One part becomes one post; the permalink names the account from /2/users/me."""
    receipt = await xp.publish(request_for(X, "Hello, world"))
    [tweet] = x_server.app.tweets
    assert receipt.post_ids == (tweet["id"],)
    assert receipt.permalink == f"https://x.com/newsroom/status/{tweet['id']}"
    assert tweet["in_reply_to"] is None


async def test_thread_replies_to_previous_part(xp: XPublisher, x_server: FakeServer) -> None:
    """Each part of a thread replies to the part before it."""
    seen: list[tuple[int, str]] = []

    async def on_part_sent(index: int, post_id: str) -> None:
        seen.append((index, post_id))

    receipt = await xp.publish(request_for(X, "1/3 a", "2/3 b", "3/3 c", on_part_sent=on_part_sent))
    first, second, third = x_server.app.tweets
    assert receipt.post_ids == (first["id"], second["id"], third["id"])
    assert (second["in_reply_to"], third["in_reply_to"]) == (first["id"], second["id"])
    assert seen == list(enumerate(receipt.post_ids))


async def test_resumed_thread_replies_to_last_sent(xp: XPublisher, x_server: FakeServer) -> None:
    """After a cut, the next part replies to the last id in ``already_sent``."""
    first = await xp.publish(request_for(X, "1/2 start"))
    receipt = await xp.publish(request_for(X, "1/2 start", "2/2 end", already_sent=first.post_ids))
    assert len(x_server.app.tweets) == 2
    assert x_server.app.tweets[1]["in_reply_to"] == first.post_ids[0]
    assert receipt.post_ids[0] == first.post_ids[0]


async def test_duplicate_text_is_duplicate_error(xp: XPublisher) -> None:
    """X's 403 duplicate content becomes DuplicateContentError with X's words."""
    await xp.publish(request_for(X, "Same words"))
    with pytest.raises(DuplicateContentError) as info:
        await xp.publish(request_for(X, "Same words"))
    assert "duplicate content" in info.value.platform_message


async def test_rate_limit_gives_reset_time(make_x_server: MakeX) -> None:
    """A 429 becomes RateLimitedError with ``reset_at`` from x-rate-limit-reset."""
    server = make_x_server(faults=FaultPlan(retry_after=30))
    server.app.faults.queue(["429"])
    publisher = x_publisher(server)
    try:
        with pytest.raises(RateLimitedError) as info:
            await publisher.publish(request_for(X, "hi"))
    finally:
        await publisher.aclose()
    [until] = server.app.limits.blocked().values()
    assert info.value.reset_at == datetime.fromtimestamp(until, UTC)
    assert info.value.retry_after is None


async def test_post_quota_is_announced_and_enforced(make_x_server: MakeX) -> None:
    """With a quota of 2, the third post is refused with the window's reset time."""
    from tests.fakes.x_server import XConfig

    server = make_x_server(XConfig(post_limit=2, post_window_seconds=60))
    publisher = x_publisher(server)
    try:
        await publisher.publish(request_for(X, "one"))
        await publisher.publish(request_for(X, "two"))
        with pytest.raises(RateLimitedError) as info:
            await publisher.publish(request_for(X, "three"))
    finally:
        await publisher.aclose()
    assert info.value.reset_at is not None
    assert 0 < (info.value.reset_at - datetime.now(UTC)).total_seconds() <= 61


@pytest.mark.parametrize(
    ("fault", "kind", "delivered"),
    [
        ("5xx", TransientError, False),
        ("slow", UncertainError, True),
        ("drop_after", UncertainError, True),
        ("drop_before", UncertainError, False),
    ],
)
async def test_faults_map_to_kinds_without_resending(
    make_x_server: MakeX, fault: str, kind: type[Exception], delivered: bool
) -> None:
    """5xx is transient; a timeout or a dropped answer is uncertain; nothing is resent."""
    server = make_x_server(faults=FaultPlan(slow_seconds=2.0))
    publisher = x_publisher(server, read_timeout=0.3)
    try:
        await publisher.me()
        server.app.faults.queue([fault])
        with pytest.raises(kind):
            await publisher.publish(request_for(X, "hi"))
    finally:
        await publisher.aclose()
    posts = [r for r in server.app.requests if r["path"] == "/2/tweets"]
    assert len(posts) == 1
    assert len(server.app.tweets) == (1 if delivered else 0)


async def test_connection_refused_is_transient(anyio_backend: str) -> None:
    """Nobody listening: the request never left, so it is safe to retry; the error says in
    one plain line what was not reached, where and why."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    publisher = x_publisher(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(TransientError) as info:
            await publisher.publish(request_for(X, "hi"))
    finally:
        await publisher.aclose()
    said = str(info.value)  # one plain line: what, where, why; no library reprs
    assert said.endswith(f"not reached at 127.0.0.1:{port}: connection refused"), said
    assert "\n" not in said and "Error" not in said and "Max retries" not in said


async def test_wrong_credentials_are_auth_error(x_server: FakeServer) -> None:
    """A wrong access secret fails the OAuth signature: 401 → AuthError."""
    publisher = x_publisher(x_server, access_token_secret="wrong")
    try:
        with pytest.raises(AuthError):
            await publisher.publish(request_for(X, "hi"))
    finally:
        await publisher.aclose()
    assert x_server.app.tweets == []


async def test_too_long_is_permanent(xp: XPublisher) -> None:
    """Text over 280 weighted characters is refused for good (400)."""
    with pytest.raises(PermanentError) as info:
        await xp.publish(request_for(X, "界" * 141))
    assert type(info.value) is PermanentError


async def test_reconcile_finds_post_whose_answer_timed_out(make_x_server: MakeX) -> None:
    """A post delivered while its answer timed out is found among recent posts afterwards."""
    server = make_x_server(faults=FaultPlan(slow_seconds=2.0))
    publisher = x_publisher(server, read_timeout=0.3)
    request = request_for(X, "Storm & flood: https://example.org/a?b=1&c=2", "2/2 more")
    try:
        await publisher.publish(request_for(X, "older post"))
        server.app.faults.queue(["slow"])
        with pytest.raises(UncertainError):
            await publisher.publish(request)
        found = await publisher.find_published(request)
        absent = await publisher.find_published(request_for(X, "never sent"))
    finally:
        await publisher.aclose()
    delivered = server.app.tweets[-1]
    assert found is not None
    assert found.post_ids == (delivered["id"],)
    assert found.permalink == f"https://x.com/newsroom/status/{delivered['id']}"
    assert absent is None


async def test_reconcile_after_sent_parts_looks_for_next_part(xp: XPublisher) -> None:
    """With parts already sent, reconciliation looks for the first unsent one."""
    first = await xp.publish(request_for(X, "1/2 head"))
    second = await xp.publish(request_for(X, "1/2 head", "2/2 tail", already_sent=first.post_ids))
    request = request_for(X, "1/2 head", "2/2 tail", already_sent=first.post_ids)
    found = await xp.find_published(request)
    assert found is not None
    assert found.post_ids == second.post_ids


async def test_reconcile_finds_a_post_with_a_bare_domain(make_x_server: MakeX) -> None:
    """X links bare domains (``bbc.com``) too; a post with one whose answer timed out is still
    found, not sent again into "duplicate content"."""
    server = make_x_server(faults=FaultPlan(slow_seconds=2.0))
    publisher = x_publisher(server, read_timeout=0.3)
    request = request_for(X, "Storm warning, details at bbc.com/weather and met.gov.uk today")
    try:
        server.app.faults.queue(["slow"])
        with pytest.raises(UncertainError):
            await publisher.publish(request)
        found = await publisher.find_published(request)
    finally:
        await publisher.aclose()
    assert found is not None and found.post_ids == (server.app.tweets[-1]["id"],)


def test_normalise_evens_out_what_x_changes() -> None:
    """t.co links, HTML escapes and whitespace do not hide a match."""
    assert normalise("a &amp; b\n https://t.co/xyz") == normalise("a & b https://e.org/long?q=1")
