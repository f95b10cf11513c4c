"""The desk's guards over plain HTTP, in-process: sign-in, sessions, CSRF, roles, limits."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.api.app import create_api
from bot.api.server import api_service
from bot.daemon.runtime import Runtime as App
from bot.domain.errors import ConfigError
from bot.domain.models import DeliveryState
from bot.web.auth import check_password, hash_password
from bot.wiring import build_app
from tests.conftest import make_settings

PASSWORD = "a long enough passphrase"
HASH = hash_password(PASSWORD)
USERS = [{"name": "erin", "password_hash": HASH, "role": "editor"},
         {"name": "victor", "password_hash": HASH, "role": "viewer"}]
BODY = "The council met on Monday. It passed a budget that funds two bridges and a tram."


class TestClient:
    """A small synchronous client over the ASGI app that keeps its cookies between calls."""

    __test__ = False

    def __init__(self, api: Any, *, base_url: str, follow_redirects: bool = False) -> None:
        self.api = api
        self.base_url = base_url
        self.cookies = httpx.Cookies()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.api)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url,
                                         cookies=self.cookies) as client:
                answer = await client.request(method, path, **kwargs)
                self.cookies = client.cookies
                return answer

        return asyncio.run(call())

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        """GET, not following redirects."""
        return self._send("GET", path, headers=headers or {})

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        """POST a form, not following redirects."""
        return self._send("POST", path, data=data)


@pytest.fixture
def desk_app(tmp_path: Path) -> Iterator[App]:
    """An app with the desk on, an editor and a viewer, and one queued story."""
    app = build_app(make_settings(tmp_path, web={"enabled": True, "users": USERS,
                                                 "sign_in_attempts": 3}, api={"token": "t"}))
    app.intake.import_lines([f'{{"url": "https://example.org/one", "title": "One", '
                             f'"text": "{BODY}"}}'])
    try:
        yield app
    finally:
        app.dispose()


def csrf(page: str) -> str:
    """The CSRF token in a page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def signed_in(app: App, name: str, base: str = "http://desk") -> tuple[TestClient, str]:
    """A client signed in as ``name`` and its CSRF token."""
    client = TestClient(create_api(app), base_url=base, follow_redirects=False)
    token = csrf(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "name": name, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return client, csrf(client.get("/").text)


def states(app: App) -> list[str]:
    """The states of story 1's deliveries."""
    return [d.state.value for d in app.queue.get_article(1)[1]]


ACTIONS = ["/stories", "/stories/1/cancel", "/stories/1/retry", "/stories/1/approve",
           "/stories/1/reject", "/stories/1/takedown", "/stories/1/correct",
           "/stories/1/deliveries/1/confirm",
           "/stories/1/deliveries/2/edit", "/stories/1/deliveries/2/check"]


def test_every_action_without_or_with_a_wrong_token_is_refused(desk_app: App) -> None:
    """Each state-changing endpoint answers 403 without the session's CSRF token (or with
    another session's), and nothing changes."""
    client, token = signed_in(desk_app, "erin")
    _, other_token = signed_in(desk_app, "erin")
    assert token != other_token
    for path in ACTIONS:
        for data in ({"url": "https://example.org/two", "part": "x"},
                     {"csrf": other_token, "url": "https://example.org/two", "part": "x"}):
            answer = client.post(path, data=data)
            assert answer.status_code == 403, (path, answer.status_code)
            assert "security token" in answer.text
    assert states(desk_app) == ["pending", "pending"]
    assert desk_app.queue.find_by_canonical("https://example.org/two") is None
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/").status_code == 200  # still signed in


def test_a_viewer_cannot_act(desk_app: App) -> None:
    """A viewer's valid token does not let it queue, edit, cancel or retry."""
    client, token = signed_in(desk_app, "victor")
    for path in ACTIONS:
        answer = client.post(path, data={"csrf": token, "url": "https://example.org/v",
                                         "title": "V", "text": BODY, "part": "Short.",
                                         "confirmed": "yes", "outcome": "not_posted"})
        assert answer.status_code == 403, path
        assert "role: viewer" in answer.text
    assert states(desk_app) == ["pending", "pending"]
    assert "Queue a story" not in client.get("/").text
    page = client.get("/stories/1").text
    assert "Cancel…" not in page and "Edit story…" not in page and "Take down…" not in page
    assert client.get("/stories/1/correct").status_code == 403
    assert desk_app.queue.get_article(1)[0].title == "One"


def test_strangers_are_sent_to_sign_in_and_change_nothing(desk_app: App) -> None:
    """Without a session every page redirects to the sign-in form and every action too."""
    client = TestClient(create_api(desk_app), base_url="http://desk", follow_redirects=False)
    for path in ("/", "/stories/1", "/status", "/stories/1/cancel"):
        answer = client.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=")
    for path in ACTIONS:
        assert client.post(path, data={"csrf": "x"}).status_code == 303
    assert states(desk_app) == ["pending", "pending"]


def test_sign_in_is_rate_limited(desk_app: App) -> None:
    """After ``sign_in_attempts`` failures even the right password is refused for a while."""
    client = TestClient(create_api(desk_app), base_url="http://desk", follow_redirects=False)
    token = csrf(client.get("/login").text)
    for _ in range(3):
        answer = client.post("/login", data={"csrf": token, "name": "erin", "password": "wrong"})
        assert answer.status_code == 401
        assert "do not match" in answer.text
    answer = client.post("/login", data={"csrf": token, "name": "erin", "password": PASSWORD})
    assert answer.status_code == 429
    assert "Too many failed sign-ins" in answer.text


def test_session_cookie_flags_and_safe_redirects(desk_app: App) -> None:
    """The session cookie is HttpOnly and SameSite=strict, Secure over HTTPS; a sign-in never
    redirects off the site."""
    client = TestClient(create_api(desk_app), base_url="https://desk", follow_redirects=False)
    token = csrf(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "name": "erin", "password": PASSWORD,
                                         "next": "//evil.example/"})
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"].lower()
    assert "crosspost_session=" in cookie
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    plain = TestClient(create_api(desk_app), base_url="http://desk", follow_redirects=False)
    token = csrf(plain.get("/login").text)
    answer = plain.post("/login", data={"csrf": token, "name": "erin", "password": PASSWORD,
                                        "next": "/stories/1"})
    assert answer.headers["location"] == "/stories/1"
    assert "secure" not in answer.headers["set-cookie"].lower()
    page = plain.get("/stories/1")
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_saving_text_checks_limits_and_records_the_editor(desk_app: App) -> None:
    """An X text over its limit is refused with the count; a good one is saved and recorded;
    a published delivery cannot be edited."""
    client, token = signed_in(desk_app, "erin")
    x = next(d for d in desk_app.queue.get_article(1)[1] if d.target == "xa")
    path = f"/stories/1/deliveries/{x.id}/edit"
    answer = client.post(path, data={"csrf": token, "part": "é" * 281, "do": "save"})
    assert answer.status_code == 422
    assert "281 weighted characters, over the limit of 280 by 1" in answer.text
    check = client.post(f"/stories/1/deliveries/{x.id}/check",
                        data={"csrf": token, "part": "https://example.org/" + "a" * 300})
    assert check.json()["parts"] == [{"length": 23, "limit": 280, "over": 0}]
    answer = client.post(path, data={"csrf": token, "part": "New words. https://example.org/one"})
    assert answer.status_code == 303
    assert desk_app.queue.get_article(1)[1][1].parts == ("New words. https://example.org/one",)
    actions = desk_app_actions(desk_app)
    assert ("web:erin", "edited text", x.id) in actions
    desk_app.queue.set_state(1, from_states=[DeliveryState.PENDING], to=DeliveryState.PUBLISHED,
                             now=desk_app.clock.now())
    answer = client.post(path, data={"csrf": token, "part": "Too late."})
    assert answer.status_code == 409
    assert "can no longer change" in answer.text


def test_telegram_html_that_is_invalid_is_refused(desk_app: App) -> None:
    """A Telegram edit with a tag Telegram does not accept is refused, naming the tag."""
    client, token = signed_in(desk_app, "erin")
    tg = next(d for d in desk_app.queue.get_article(1)[1] if d.target == "tg")
    answer = client.post(f"/stories/1/deliveries/{tg.id}/edit",
                         data={"csrf": token, "part": "<b>Hi</b> <div>x</div>"})
    assert answer.status_code == 422
    assert "unsupported tag &lt;div&gt;" in answer.text


def desk_app_actions(app: App) -> list[tuple[str, str, int | None]]:
    """Who did what to which delivery of story 1."""
    from bot.store.desk import DeskStore

    return [(a.actor, a.action, a.delivery_id) for a in DeskStore(engine=app.engine).actions(1)]


def test_the_story_page_and_the_api_say_a_waiting_storys_place(desk_app: App) -> None:
    """With one planned place per target, two more stories wait on each target, the newest
    first in line: the story page and the API's story say so; the planned one its time."""
    from bot.daemon.planning import Planner

    app = desk_app
    app.planner = Planner(queue=app.queue, state=app.state, settings=app.settings,
                          clock=app.clock, horizon=1)
    app.intake.on_change = app.planner.replan
    app.intake.import_lines([f'{{"url": "https://example.org/{n}", "title": "Story {n}", '
                             f'"text": "{BODY}"}}' for n in ("two", "three")])
    client, _ = signed_in(app, "victor")
    for story, place in ((3, "1st"), (2, "2nd")):
        page = " ".join(client.get(f"/stories/{story}").text.split())
        for target in ("tg", "xa"):
            assert (f"Not planned yet: waiting: {place} in line for {target} (1 post planned "
                    "ahead)") in page
        data = client.get(f"/api/articles/{story}", headers={"Authorization": "Bearer t"}).json()
        assert [d["plan_reason"] for d in data["deliveries"]] == [
            f"waiting: {place} in line for {t} (1 post planned ahead); it gets a time as places "
            "free up" for t in ("tg", "xa")]
    page = " ".join(client.get("/stories/1").text.split())
    assert "Planned for" in page and "in line" not in page


def test_cancel_and_retry_record_who_moved_which_delivery(desk_app: App) -> None:
    """Cancel and retry move the deliveries and note the editor on each one that moved, shown on
    the story page and in the API's story (as in ``queue show --json``)."""
    client, token = signed_in(desk_app, "erin")
    assert client.post("/stories/1/cancel", data={"csrf": token}).status_code == 303
    assert states(desk_app) == ["cancelled", "cancelled"]
    assert client.post("/stories/1/retry", data={"csrf": token}).status_code == 303
    assert states(desk_app) == ["pending", "pending"]
    recorded = desk_app_actions(desk_app)
    assert [(who, what) for who, what, _ in recorded] == [("web:erin", "cancelled")] * 2 + \
        [("web:erin", "retried")] * 2
    page = client.get("/stories/1").text
    assert "web:erin</strong> cancelled" in page and "web:erin</strong> retried" in page
    story = client.get("/api/articles/1", headers={"Authorization": "Bearer t"}).json()
    for d in story["deliveries"]:
        assert [(a["actor"], a["action"]) for a in d["staff_actions"]] == [
            ("web:erin", "cancelled"), ("web:erin", "retried")]
    assert story["staff_actions"] == []


def test_passwords_and_config(tmp_path: Path) -> None:
    """Hashes check only their password; config refuses a non-argon2 hash, and a desk with no
    users refuses to start; a desk without the API leaves /api closed."""
    from pydantic import ValidationError

    from bot.config.settings import WebUser

    users = [WebUser(name="erin", password_hash=HASH, role="editor")]
    assert check_password(users, "erin", PASSWORD) is not None
    assert check_password(users, "erin", PASSWORD + "x") is None
    assert check_password(users, "nobody", PASSWORD) is None
    with pytest.raises(ValidationError, match="not an argon2 hash"):
        WebUser(name="erin", password_hash="plaintext")
    app = build_app(make_settings(tmp_path, web={"enabled": True}))
    try:
        with pytest.raises(ConfigError, match=r"\[\[web.users\]\]"):
            api_service(app, object())  # type: ignore[arg-type]
    finally:
        app.dispose()
    app = build_app(make_settings(tmp_path, web={"enabled": True, "users": USERS}))
    try:
        assert api_service(app, object()) is not None  # type: ignore[arg-type]
        client = TestClient(create_api(app), base_url="http://desk")
        assert client.get("/api/articles").status_code == 401
    finally:
        app.dispose()


def test_desk_is_absent_unless_enabled(tmp_path: Path) -> None:
    """With ``[web] enabled = false`` the server has no desk pages."""
    app = build_app(make_settings(tmp_path, api={"token": "t"}))
    try:
        client = TestClient(create_api(app), base_url="http://desk", follow_redirects=False)
        assert client.get("/").status_code == 404
        assert client.get("/login").status_code == 404
    finally:
        app.dispose()


def test_docs_need_nothing_from_another_host(desk_app: App) -> None:
    """/docs names only this server's files, and they are served (no browser needed)."""
    client = TestClient(create_api(desk_app), base_url="http://desk")
    page = client.get("/docs").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page) + re.findall(r"url: '([^']+)'", page)
    assert sources and all(s.startswith("/") for s in sources), sources
    assert "swagger-ui-bundle.js" in page
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_the_editorial_check_advises_but_does_not_block(desk_app: App) -> None:
    """A hand-edited X text with an unclosed quote mark is saved, and the story page shows what
    the editorial check would send it back for; the composed Telegram post gets no advice."""
    client, token = signed_in(desk_app, "erin")
    x = next(d for d in desk_app.queue.get_article(1)[1] if d.target == "xa")
    path = f"/stories/1/deliveries/{x.id}/edit"
    text = 'The council said "two bridges will open. https://example.org/one'
    checked = client.post(path, data={"csrf": token, "part": text, "do": "check"})
    assert checked.status_code == 200 and "you may still save it" in checked.text
    assert client.post(path, data={"csrf": token, "part": text}).status_code == 303
    page = client.get("/stories/1").text
    assert page.count("The editorial check would send this back") == 1
    assert "a quote mark or bracket is not closed" in page


def test_editing_a_story_corrects_it_and_records_the_editor(desk_app: App) -> None:
    """The desk's story edit goes the way of ``queue edit``: the title and text change, each
    post is composed again, a published post gets an open correction, and the editor is
    recorded; an edit that changes nothing is refused with the reason."""
    client, token = signed_in(desk_app, "erin")
    form = client.get("/stories/1/correct")
    assert form.status_code == 200 and 'value="One"' in form.text
    assert 'name="csrf"' in form.text
    desk_app.queue.set_state(1, from_states=[DeliveryState.PENDING], to=DeliveryState.PUBLISHED,
                             now=desk_app.clock.now())
    answer = client.post("/stories/1/correct", data={
        "csrf": token, "title": "One, corrected", "text": BODY + " The tram opens in May.",
        "image_url": ""})
    assert answer.status_code == 303, answer.text
    article, found = desk_app.queue.get_article(1)
    assert article.title == "One, corrected" and "May" in (article.text or "")
    made = [r for rs in desk_app.revisions.for_articles([1]).values() for r in rs]
    assert made and all(r.requested_by == "web:erin" for r in made)
    assert any(r.open for r in made)
    assert [(who, what) for who, what, _ in desk_app_actions(desk_app)] == [
        ("web:erin", "edited story")] * len(found)
    same = client.post("/stories/1/correct", data={
        "csrf": token, "title": "One, corrected", "text": BODY + " The tram opens in May."})
    assert same.status_code == 422 and "nothing to change" in same.text


def test_a_takedown_needs_its_confirmation_page(desk_app: App) -> None:
    """A takedown posted without the confirmation page's answer only leads to that page; from
    the page it withdraws the story and records the editor with the reason."""
    client, token = signed_in(desk_app, "erin")
    assert 'href="/stories/1/takedown"' in client.get("/stories/1").text
    answer = client.post("/stories/1/takedown", data={"csrf": token, "reason": "libel"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/stories/1/takedown"
    assert states(desk_app) == ["pending", "pending"]
    page = client.get("/stories/1/takedown").text
    assert "Take this story down?" in page and 'name="confirmed" value="yes"' in page
    assert 'name="reason"' in page
    answer = client.post("/stories/1/takedown", data={"csrf": token, "confirmed": "yes",
                                                      "reason": "libel"})
    assert answer.status_code == 303
    assert states(desk_app) == ["withdrawn", "withdrawn"]
    assert [(who, what) for who, what, _ in desk_app_actions(desk_app)] == [
        ("web:erin", "took down")] * 2
    assert "web:erin</strong> took down: libel" in client.get("/stories/1").text
    client.post("/stories/1/takedown", data={"csrf": token, "confirmed": "yes"})
    assert "Nothing to take down" in client.get("/stories/1").text
    assert len(desk_app_actions(desk_app)) == 2


def test_confirming_a_post_whose_fate_was_unknown(desk_app: App) -> None:
    """A needs_review post gets the confirm form; "it went out" publishes it with the post id
    given, "not posted" sends it again; each is recorded; a post not in review is refused."""
    client, token = signed_in(desk_app, "erin")
    assert "Confirm it went out" not in client.get("/stories/1").text
    desk_app.queue.set_state(1, from_states=[DeliveryState.PENDING],
                             to=DeliveryState.NEEDS_REVIEW, now=desk_app.clock.now())
    tg, x = desk_app.queue.get_article(1)[1]
    assert client.get("/stories/1").text.count("Not posted — send again") == 2
    answer = client.post(f"/stories/1/deliveries/{tg.id}/confirm",
                         data={"csrf": token, "outcome": "posted", "post_id": "4242"})
    assert answer.status_code == 303
    answer = client.post(f"/stories/1/deliveries/{x.id}/confirm",
                         data={"csrf": token, "outcome": "not_posted", "post_id": ""})
    assert answer.status_code == 303
    tg, x = desk_app.queue.get_article(1)[1]
    assert (tg.state, tg.platform_post_id) == (DeliveryState.PUBLISHED, "4242")
    assert x.state is DeliveryState.PENDING
    assert desk_app_actions(desk_app) == [("web:erin", "confirmed posted", tg.id),
                                          ("web:erin", "confirmed not posted", x.id)]
    again = client.post(f"/stories/1/deliveries/{tg.id}/confirm",
                        data={"csrf": token, "outcome": "posted"})
    assert again.status_code == 303
    assert "not needs_review" in client.get("/stories/1").text
    assert len(desk_app_actions(desk_app)) == 2


def test_confirming_with_a_link_to_the_post(desk_app: App) -> None:
    """The confirm form takes the post's link: a link that is not an http(s) URL (or a link
    given as the post id) is refused with the reason and changes nothing; a good one is stored
    with the post id and the story page links to it where it shows what went out."""
    client, token = signed_in(desk_app, "erin")
    desk_app.queue.set_state(1, from_states=[DeliveryState.PENDING],
                             to=DeliveryState.NEEDS_REVIEW, now=desk_app.clock.now())
    tg, _ = desk_app.queue.get_article(1)[1]
    page = client.get("/stories/1").text
    assert f'id="permalink-{tg.id}" name="permalink"' in page
    bad = client.post(f"/stories/1/deliveries/{tg.id}/confirm",
                      data={"csrf": token, "outcome": "posted", "post_id": "4242",
                            "permalink": "javascript:alert(1)"})
    assert bad.status_code == 303
    page = client.get("/stories/1").text
    assert "Not done: permalink: not an http(s) URL: &#39;javascript:alert(1)&#39;" in page
    assert 'href="javascript:' not in page
    tg = desk_app.queue.get_article(1)[1][0]
    assert (tg.state, tg.platform_post_id, tg.permalink) == (DeliveryState.NEEDS_REVIEW, None,
                                                             None)
    assert desk_app_actions(desk_app) == []
    link_as_id = client.post(f"/stories/1/deliveries/{tg.id}/confirm",
                             data={"csrf": token, "outcome": "posted",
                                   "post_id": "https://t.me/news/4242"})
    assert link_as_id.status_code == 303
    assert ("Not done: post id: &#39;https://t.me/news/4242&#39; is a link"
            in client.get("/stories/1").text)
    assert desk_app.queue.get_article(1)[1][0].state is DeliveryState.NEEDS_REVIEW
    assert desk_app_actions(desk_app) == []

    link = "https://t.me/news/4242"
    good = client.post(f"/stories/1/deliveries/{tg.id}/confirm",
                       data={"csrf": token, "outcome": "posted", "post_id": "4242",
                             "permalink": f" {link} "})
    assert good.status_code == 303
    tg = desk_app.queue.get_article(1)[1][0]
    assert (tg.state, tg.platform_post_id, tg.permalink) == (DeliveryState.PUBLISHED, "4242",
                                                             link)
    page = client.get("/stories/1").text
    assert f'<a href="{link}" rel="noopener noreferrer">{link}</a>' in page
    assert f"web:erin</strong> confirmed posted: 4242, {link}" in page
    assert desk_app_actions(desk_app) == [("web:erin", "confirmed posted", tg.id)]


def test_a_stored_link_that_is_not_http_is_shown_as_text(desk_app: App) -> None:
    """A permalink stored before links were checked (here written straight into the table) is
    never drawn as a link: the story page shows it as text, the queue page leaves it out; an
    http(s) one is a link on both."""
    from sqlalchemy import update

    from bot.store.tables import deliveries

    client, _ = signed_in(desk_app, "erin")
    tg, x = desk_app.queue.get_article(1)[1]
    with desk_app.engine.begin() as conn:
        conn.execute(update(deliveries).where(deliveries.c.id == tg.id).values(
            state="published", published_at=desk_app.clock.now(),
            permalink="javascript:alert(1)"))
        conn.execute(update(deliveries).where(deliveries.c.id == x.id).values(
            state="published", published_at=desk_app.clock.now(),
            permalink="https://x.com/news/status/1"))
    for path in ("/stories/1", "/?state=published"):
        page = client.get(path).text
        assert 'href="javascript:' not in page, path
        assert 'href="https://x.com/news/status/1"' in page, path
    assert ": javascript:alert(1)" in client.get("/stories/1").text


def test_the_desk_notes_each_action_once(desk_app: App) -> None:
    """A story queued on the desk and approved there is noted once per delivery for each (the
    core notes it; the desk adds nothing of its own); a refused reject notes nothing; the
    story page shows who did it."""
    from bot.store.desk import DeskStore

    client, token = signed_in(desk_app, "erin")
    answer = client.post("/stories", data={"csrf": token, "url": "https://example.org/two",
                                           "title": "Two", "text": BODY,
                                           "needs_approval": "true"})
    assert answer.status_code == 303 and answer.headers["location"] == "/stories/2"
    assert client.post("/stories/2/approve", data={"csrf": token}).status_code == 303
    assert client.post("/stories/2/reject", data={"csrf": token}).status_code == 303
    noted = [(a.actor, a.action, a.delivery_id) for a in DeskStore(engine=desk_app.engine)
             .actions(2)]
    tg, x = (d.id for d in desk_app.queue.get_article(2)[1])
    assert noted == [("web:erin", "queued", tg), ("web:erin", "queued", x),
                     ("web:erin", "approved", tg), ("web:erin", "approved", x)]
    assert "web:erin</strong> approved" in client.get("/stories/2").text
