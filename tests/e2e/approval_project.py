"""A live project whose Telegram target needs approval, run as ``crosspost run`` against the fake
Bot API and fake X, with helpers to read approvers' cards and press their buttons."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.api.conftest import free_port
from tests.core.cli_helpers import Project, make_project
from tests.e2e.live import X_ENV, wait_until
from tests.fakes.httpbase import FakeServer
from tests.fakes.telegram_server import DEFAULT_TOKEN, TelegramFake

ANN, BOB, STRANGER = 111, 222, 999
API_TOKEN = "approvals-api-token"

CONFIG = """
database_url = "sqlite:///{{root}}/var/crosspost.db"
outbox_dir = "{{root}}/var/outbox"
dry_run = false
[telegram]
api_base_url = "{tg}"
timeout = 2
staff_user_ids = [{ann}, {bob}]
messages_per_chat_per_minute = 100000
messages_per_second = 100000
[x]
api_base_url = "{x}"
timeout = 2
[api]
enabled = true
port = {port}
[approval]
{approval}
{extra}
[[targets]]
name = "tg-news"
platform = "telegram"
chat = "@news"
approval = true
schedule = "{schedule}"
[[targets]]
name = "xa"
platform = "x"
"""


@dataclass
class Desk:
    """The approvers' side of the fake Bot API."""

    fake: TelegramFake

    def card(self, user: int, article_id: int) -> dict[str, Any] | None:
        """The card ``user`` got about story ``article_id`` (as it looks now)."""
        with self.fake.lock:
            for m in self.fake.messages:
                if m["chat"] == user and m["text"].split("\n")[0].split(" ·")[0] in (
                        f"Review #{article_id}", f"Reviewed #{article_id}"):
                    return dict(m)
        return None

    def wait_card(self, user: int, article_id: int, *, decided: bool = False,
                  timeout: float = 20) -> dict[str, Any]:
        """The card, once it exists (and, with ``decided``, once its buttons are gone)."""

        def ready() -> bool:
            c = self.card(user, article_id)
            return c is not None and (not decided or c["reply_markup"] is None)

        assert wait_until(ready, timeout), (user, article_id, self.said(user))
        found = self.card(user, article_id)
        assert found is not None
        return found

    def button(self, card: dict[str, Any], label_start: str) -> str:
        """The callback data of the card's button whose label starts with ``label_start``."""
        for row in card["reply_markup"]["inline_keyboard"]:
            for b in row:
                if b["text"].startswith(label_start):
                    return str(b["callback_data"])
        raise AssertionError(f"no button {label_start!r} in {card['reply_markup']}")

    def press(self, user: int, card: dict[str, Any], data: str, *,
              stale: bool = False) -> dict[str, Any]:
        """``user`` presses a button of ``card`` (in the card owner's chat); returns the
        answer once the bot gave it."""
        update = self.fake.press(user, card["chat"], card["message_id"], data, stale=stale)
        query_id = update["callback_query"]["id"]

        def answered() -> bool:
            with self.fake.lock:
                return self.fake.callbacks.queries[query_id].answer is not None

        assert wait_until(answered, 20), f"press {data} by {user} never answered"
        with self.fake.lock:
            answer = self.fake.callbacks.queries[query_id].answer
        assert answer is not None
        return answer

    def said(self, user: int) -> list[str]:
        """Every message text the bot sent to ``user``."""
        with self.fake.lock:
            return [m["text"] for m in self.fake.messages if m["chat"] == user]

    def channel(self) -> list[str]:
        """Every post in @news."""
        with self.fake.lock:
            return [m["text"] for m in self.fake.messages if m["chat_username"] == "news"]


def approval_project(root: Path, tg: FakeServer, x: FakeServer, *, approval: str = "",
                     extra: str = "", schedule: str = "default") -> tuple[Project, int]:
    """A project posting to the fakes whose tg-news target needs approval; returns it and
    its API port. Both approvers have opened a chat with the bot."""
    port = free_port()
    p = make_project(root, CONFIG.format(tg=tg.url, x=x.url, ann=ANN, bob=BOB, port=port,
                                         approval=approval, extra=extra, schedule=schedule))
    p.env.update(X_ENV)
    p.env["CROSSPOST_TELEGRAM__BOT_TOKEN"] = DEFAULT_TOKEN
    p.env["CROSSPOST_API__TOKEN"] = API_TOKEN
    fake = tg.app
    assert isinstance(fake, TelegramFake)
    for user in (ANN, BOB):
        fake.incoming(user, "/start")
    return p, port


def add_story(p: Project, n: int, *extra: str) -> int:
    """Queue story ``n`` through the CLI; returns its id."""
    body = p.root / f"story-{n}.txt"
    body.write_text(f"Event {n} happened in the city today. Officials confirmed detail {n}.")
    r = p.run("queue", "add", f"https://city.example/story-{n}", "--title",
              f"Story number {n}", "--body-file", str(body), *extra)
    assert r.code == 0, r.err
    return int(r.out.strip())


def delivery(p: Project, article_id: int, target: str) -> dict[str, Any]:
    """One delivery of a story, as ``queue show --json`` reports it."""
    data = p.run("queue", "show", str(article_id), "--json").json()
    [found] = [d for d in data["deliveries"] if d["target"] == target]
    return dict(found)


def wait_state(p: Project, article_id: int, target: str, state: str,
               timeout: float = 20) -> dict[str, Any]:
    """The delivery once it reaches ``state``."""
    deadline = time.monotonic() + timeout
    while True:
        d = delivery(p, article_id, target)
        if d["state"] == state or time.monotonic() > deadline:
            assert d["state"] == state, d
            return d
        time.sleep(0.2)
