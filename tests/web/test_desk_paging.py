"""The desk's queue pages: keyset paging and filters, correct on both databases and as fast deep
down a 100,000-delivery queue as at its top."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bench.desk_paging_bench import fill, measure
from bot.domain.models import DeliveryState
from bot.store.db import make_engine, upgrade
from bot.store.desk import DeskStore


def walk(store: DeskStore, **filters: object) -> list[int]:
    """Every story id, page by page (10 a page), following the cursor."""
    seen: list[int] = []
    before = None
    while True:
        page = store.page(before=before, limit=10, **filters)  # type: ignore[arg-type]
        seen += [a.id for a, _ in page.stories]
        if page.next_before is None:
            return seen
        before = page.next_before


def test_pages_follow_each_other_and_filters_hold(db_url: str) -> None:
    """Walking the pages visits every matching story once, newest first, on SQLite and
    PostgreSQL; state, target and text filters (with LIKE wildcards taken literally) hold."""
    engine = make_engine(db_url)
    upgrade(engine)
    try:
        fill(engine, 1000)
        with engine.begin() as conn:
            conn.execute(text("UPDATE articles SET title = 'Up 50% today' WHERE id = 7"))
        store = DeskStore(engine=engine)
        assert walk(store) == list(range(1000, 0, -1))
        failed = walk(store, state=DeliveryState.FAILED)
        with engine.connect() as conn:
            expected = sorted({r[0] for r in conn.execute(text(
                "SELECT article_id FROM deliveries WHERE state = 'failed'"))}, reverse=True)
            on_x = sorted({r[0] for r in conn.execute(text(
                "SELECT article_id FROM deliveries WHERE state = 'failed' AND target = 'xa'"))},
                reverse=True)
        assert failed == expected and failed
        assert walk(store, state=DeliveryState.FAILED, target="xa") == on_x
        assert walk(store, text="BRIDGE") == [1000]
        assert walk(store, text="50%") == [7]
        assert walk(store, text="%") == [7]
        assert walk(store, target="nowhere") == []
        assert store.page(before=1, limit=10).stories == []
    finally:
        engine.dispose()


@pytest.mark.slow
def test_a_deep_page_of_100000_deliveries_is_as_fast_as_the_first(tmp_path: Path) -> None:
    """With 50,000 stories (100,000 deliveries) on SQLite, every page, filtered or not and near
    the end of the queue, comes back in well under a tenth of a second."""
    engine = make_engine(f"sqlite:///{tmp_path / 'big.db'}")
    upgrade(engine)
    try:
        began = datetime.now(UTC)
        fill(engine, 50_000)
        assert (datetime.now(UTC) - began).total_seconds() < 120
        results = {name: ms for name, ms, _ in measure(DeskStore(engine=engine), 50_000,
                                                       repeat=3)}
    finally:
        engine.dispose()
    print(results)
    first = results["first page"]
    for name, ms in results.items():
        if name.startswith("text"):
            assert ms < 400, (name, ms)  # a text search reads titles; bounded, not indexed
        else:
            assert ms < max(100.0, 5 * first), (name, ms)
