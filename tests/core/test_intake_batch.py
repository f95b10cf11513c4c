"""An import plans the queue once for the whole batch, not once per story."""

from __future__ import annotations

import json
from pathlib import Path

from bot.wiring import build_app
from tests.conftest import make_settings


def test_import_plans_once_for_the_batch(tmp_path: Path) -> None:
    """Fifty good lines and a bad one: one planning pass after the last line, and every stored
    delivery has a plan (a bad line never leaves the good ones unplanned)."""
    app = build_app(make_settings(tmp_path))
    calls: list[int] = []
    replan = app.intake.on_change
    assert replan is not None

    def counting(**kwargs: object) -> object:
        calls.append(1)
        return replan(**kwargs)

    app.intake.on_change = counting
    lines = [json.dumps({"url": f"https://a.example/{i}", "title": f"Story {i}",
                         "text": "Something happened."}) for i in range(50)]
    lines.insert(10, "{not json")
    result = app.intake.import_lines(lines)
    assert len(result.added) == 50 and len(result.errors) == 1
    assert calls == [1]
    assert app.queue.next_planned_at() is not None
    app.dispose()
