"""The X adapter's rate-limit headers pace the account before X has to answer 429."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bot.domain.models import ArticleDraft
from bot.wiring import build_app, build_dispatcher
from tests.conftest import make_settings
from tests.e2e.live import X_ENV
from tests.fakes.fixtures import make_x_server  # noqa: F401
from tests.fakes.x_objects import XConfig


def test_remaining_zero_blocks_the_account_until_reset(tmp_path: Path, make_x_server) -> None:  # noqa: F811
    """With 3 posts allowed per window, the 4th story waits for the announced reset: the fake
    never has to refuse a post, and every story goes out once."""
    x = make_x_server(XConfig(post_limit=3, post_window_seconds=2))
    creds = {k.removeprefix("CROSSPOST_X__").lower(): v for k, v in X_ENV.items()}
    settings = make_settings(tmp_path, dry_run=False, x={**creds, "api_base_url": x.url},
                             targets=[{"name": "xa", "platform": "x"}])
    app = build_app(settings)
    for i in range(5):
        app.intake.add(ArticleDraft(url=f"https://a.example/{i}", title=f"Story {i}",
                                    text=f"Event {i} happened. It was confirmed."))
    dispatcher = build_dispatcher(app, echo=False)

    async def publish_all() -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            app.planner.replan()
            await dispatcher.publish_due()
            if not app.queue.due(app.clock.now()) and app.queue.next_planned_at() is None:
                return
            await asyncio.sleep(0.1)

    try:
        asyncio.run(publish_all())
        first = asyncio.run(dispatcher.publish_due())
        assert first == 0
    finally:
        asyncio.run(app.aclose())
        app.dispose()
    state = x.app.state()  # type: ignore[attr-defined]
    statuses = [r["status"] for r in state["requests"] if r["path"] == "/2/tweets"]
    assert statuses == [201] * 5, "no 429: the bot waited for the window"
    assert state["violations"] == []
    times = sorted(t["t"] for t in state["tweets"])
    assert times[3] - times[2] >= 0.5, "the 4th post waited for the reset"
