"""Review before publishing, end to end: ``crosspost run`` with the staff chat on the fake Bot API,
decisions by button, by edited text in the chat, by the CLI and by the HTTP API, and timeouts."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from bot.staff.approvals import NOT_APPROVER
from tests.e2e.approval_project import (
    ANN,
    API_TOKEN,
    BOB,
    STRANGER,
    Desk,
    add_story,
    approval_project,
    delivery,
    wait_state,
)
from tests.e2e.live import start_daemon, wait_until
from tests.fakes.fixtures import start_fake
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import TelegramFake
from tests.fakes.x_server import XFake

pytestmark = pytest.mark.slow
EDITED = "Ferries run again from Tuesday, the harbour master said. https://city.example/story-2"


Fakes = tuple[FakeServer, FakeServer]


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    """A fake Bot API (channel @news) and a fake X API, stopped after the test."""
    tg, x = start_fake(TelegramFake()), start_fake(XFake())
    yield tg, x
    tg.stop()
    x.stop()


def stop(proc: object) -> None:
    """SIGTERM the daemon and expect a clean exit."""
    import subprocess

    assert isinstance(proc, subprocess.Popen)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_decisions_in_the_staff_chat(tmp_path: Path, fakes: Fakes) -> None:
    """Waiting stories are not published; a stranger's press is refused; an approver's press
    publishes; a second approver's later press is refused politely; an edit in the chat
    publishes the editor's text; a reject leaves nothing on the channel; every card ends up
    showing the decision and who made it, without buttons."""
    tg, x = fakes
    fake = tg.app
    assert isinstance(fake, TelegramFake)
    desk = Desk(fake)
    p, _ = approval_project(tmp_path / "p", tg, x)
    ids = [add_story(p, n) for n in (1, 2, 3)]
    proc = start_daemon(p)
    try:
        cards = {(u, a): desk.wait_card(u, a) for u in (ANN, BOB) for a in ids}
        assert wait_until(lambda: len(x.app.state()["tweets"]) == 3, 20)  # type: ignore[attr-defined]
        time.sleep(1.5)  # time enough to publish, were it allowed
        assert desk.channel() == []
        first = cards[(ANN, 1)]
        assert "Story number 1" in first["text"] and "waits: target tg-news needs approval" in \
            first["text"]
        assert [b["text"] for row in first["reply_markup"]["inline_keyboard"] for b in row] == [
            "✅ Approve all", "✏️ Edit tg-news", "❌ Reject"]

        refused = desk.press(STRANGER, first, "a:1:*")
        assert refused == refused | {"text": NOT_APPROVER, "show_alert": True}
        assert delivery(p, 1, "tg-news")["state"] == "awaiting_approval"

        approved = desk.press(ANN, first, "a:1:*")
        assert approved["text"] == "Approved #1 on tg-news."
        assert wait_until(lambda: len(desk.channel()) == 1, 20)
        assert "Story number 1" in desk.channel()[0]
        for user in (ANN, BOB):
            shown = desk.wait_card(user, 1, decided=True)
            assert "Reviewed #1" in shown["text"]
            assert "approved by Staff (telegram:111) via telegram" in shown["text"]
        late = desk.press(BOB, cards[(BOB, 1)], "a:1:*", stale=True)
        assert late["show_alert"] is True
        assert late["text"].startswith("Already decided, nothing changed: story 1 has nothing "
                                       "waiting for approval (tg-news: approved by Staff")
        published = wait_state(p, 1, "tg-news", "published")
        assert published["approval"]["by"] == "Staff (telegram:111)"
        assert published["approval"]["via"] == "telegram"
        assert datetime.fromisoformat(published["published_at"]) >= datetime.fromisoformat(
            published["approval"]["at"])

        edit = cards[(BOB, 2)]
        answer = desk.press(BOB, edit, desk.button(edit, "✏️ Edit tg-news"))
        assert answer["text"] == "Send me the new text for tg-news."
        assert wait_until(lambda: desk.said(BOB)[-1].startswith(
            "Send me the new text for tg-news"), 20)
        before = len(desk.said(BOB))
        fake.incoming(BOB, "<b>not html</b> " + "x" * 4100)
        assert wait_until(lambda: len(desk.said(BOB)) > before, 20)
        assert "text for tg-news: the text is" in desk.said(BOB)[-1]
        fake.incoming(BOB, EDITED)
        assert wait_until(lambda: EDITED in desk.channel(), 20), desk.said(BOB)
        assert "Approved #2 on tg-news with your text." in desk.said(BOB)
        assert "approved with edited text by Staff (telegram:222)" in desk.wait_card(
            ANN, 2, decided=True)["text"]

        rejected = desk.press(ANN, cards[(ANN, 3)], "r:3:*")
        assert rejected["text"] == "Rejected #3 on tg-news."
        gone = wait_state(p, 3, "tg-news", "rejected")
        assert gone["error"] == "rejected by Staff (telegram:111): rejected in the staff chat"
        assert "⛔" in desk.wait_card(BOB, 3, decided=True)["text"]
    finally:
        stop(proc)
    news = desk.channel()
    assert len(news) == 2 and sum("Story number 1" in t for t in news) == 1
    assert not any("Story number 3" in t for t in news)


def test_decisions_from_the_cli_and_the_api(tmp_path: Path, fakes: Fakes) -> None:
    """``queue approve`` / ``reject`` and the API's approve / reject decide, publish (or not),
    refuse a second decision, and update every approver's card in the chat."""
    tg, x = fakes
    fake = tg.app
    assert isinstance(fake, TelegramFake)
    desk = Desk(fake)
    p, port = approval_project(tmp_path / "p", tg, x)
    cli_ok, cli_no = add_story(p, 1), add_story(p, 2)
    proc = start_daemon(p)
    api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10,
                       headers={"Authorization": f"Bearer {API_TOKEN}"})
    try:
        assert wait_until(lambda: _healthy(api), 30)
        created = api.post("/api/articles", json={
            "url": "https://city.example/story-3", "title": "Story number 3",
            "text": "Event 3 happened in the city today. Officials confirmed detail 3.",
            "targets": ["xa"], "needs_approval": True})
        assert created.status_code == 201
        api_id = created.json()["id"]
        waiting = api.get("/api/articles", params={"state": "awaiting_approval"}).json()
        assert sorted(a["id"] for a in waiting["articles"]) == [cli_ok, cli_no, api_id]
        for a in (cli_ok, cli_no, api_id):
            desk.wait_card(ANN, a)

        r = p.run("queue", "approve", str(cli_ok))
        assert (r.code, r.out.strip()) == (0, f"approved story {cli_ok} on tg-news"), r.err
        again = p.run("queue", "approve", str(cli_ok))
        assert again.code == 1 and "nothing waiting for approval" in again.err
        r = p.run("queue", "reject", str(cli_no), "--reason", "not confirmed yet")
        assert r.code == 0, r.err
        assert wait_until(lambda: any("Story number 1" in t for t in desk.channel()), 20)
        shown = desk.wait_card(BOB, cli_ok, decided=True)["text"]
        assert "approved by cli:" in shown and "via cli" in shown
        assert "rejected by cli:" in desk.wait_card(ANN, cli_no, decided=True)["text"]
        assert "not confirmed yet" in desk.wait_card(ANN, cli_no, decided=True)["text"]

        bad = api.post(f"/api/articles/{api_id}/approve", json={"text": "x" * 300})
        assert bad.status_code == 422 and "300 weighted" in bad.text
        ok = api.post(f"/api/articles/{api_id}/approve",
                      json={"text": "Story number 3, as the desk wrote it.", "by": "Cleo"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["decided"] == ["xa"]
        late = api.post(f"/api/articles/{api_id}/reject", json={"reason": "too late"})
        assert late.status_code == 409 and "approved with edited text by Cleo" in late.text
        assert wait_until(lambda: any(t["text"] == "Story number 3, as the desk wrote it."
                                      for t in x.app.state()["tweets"]), 20)  # type: ignore[attr-defined]
        assert "by Cleo via api" in desk.wait_card(ANN, api_id, decided=True)["text"]
    finally:
        api.close()
        stop(proc)
    assert wait_state(p, cli_no, "tg-news", "rejected")["approval"]["via"] == "cli"
    assert not any("Story number 2" in t for t in desk.channel())


def _healthy(api: httpx.Client) -> bool:
    try:
        return api.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def test_timeout_expires_what_nobody_decided(tmp_path: Path, fakes: Fakes) -> None:
    """With ``[approval] timeout``, a story nobody decided expires; the cards say so."""
    tg, x = fakes
    fake = tg.app
    assert isinstance(fake, TelegramFake)
    desk = Desk(fake)
    p, _ = approval_project(tmp_path / "p", tg, x, approval='timeout = "3s"')
    article_id = add_story(p, 1)
    proc = start_daemon(p)
    try:
        desk.wait_card(ANN, article_id)
        expired = wait_state(p, article_id, "tg-news", "expired", timeout=30)
        assert expired["error"] == "nobody approved it within 3s"
        assert expired["approval"]["by"] == "timeout"
        assert "expired by timeout via daemon" in desk.wait_card(BOB, article_id,
                                                                 decided=True)["text"]
    finally:
        stop(proc)
    assert desk.channel() == []


def test_killed_between_decision_and_publish_publishes_once(
        tmp_path: Path, fakes: Fakes) -> None:
    """SIGKILL after an approver's press was recorded but before its planned time: the
    restarted daemon publishes the story once, at its planned time."""
    tg, x = fakes
    fake = tg.app
    assert isinstance(fake, TelegramFake)
    desk = Desk(fake)
    p, _ = approval_project(tmp_path / "p", tg, x, schedule="paced",
                            extra='[schedules.paced]\nmin_interval = "8s"')
    first, second = add_story(p, 1), add_story(p, 2)
    proc = start_daemon(p)
    try:
        desk.press(ANN, desk.wait_card(ANN, first), f"a:{first}:*")
        assert wait_until(lambda: len(desk.channel()) == 1, 20)
        desk.press(ANN, desk.wait_card(ANN, second), f"a:{second}:*")
        planned = wait_state(p, second, "tg-news", "pending")
        assert planned["planned_at"] is not None, planned
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert len(desk.channel()) == 1  # killed before the second one's time
    proc = start_daemon(p, "restart.log")
    try:
        done = wait_state(p, second, "tg-news", "published", timeout=30)
    finally:
        stop(proc)
    assert datetime.fromisoformat(done["published_at"]) >= datetime.fromisoformat(
        planned["planned_at"])
    news = desk.channel()
    assert len(news) == 2 and sum("Story number 2" in t for t in news) == 1
