"""``crosspost feeds …``: poll every feed once, list each feed's state."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import click

from bot.cli.context import Context, emit, json_option, pass_ctx


@click.group()
def feeds() -> None:
    """RSS/Atom feeds: poll them now and see how each is doing."""


@feeds.command("poll")
@click.option("--feed", "names", multiple=True, metavar="NAME", help="Only this feed (repeatable).")
@json_option
@pass_ctx
def poll(ctx: Context, names: tuple[str, ...], as_json: bool) -> int:
    """Poll every feed once (ignoring backoff) and report what each queued."""
    from bot.daemon.feeds import check_feeds, make_poller
    from bot.domain.errors import InputError
    from bot.ingest.fetch import Fetcher

    app = ctx.app()
    chosen = [f for f in app.settings.feeds if not names or f.name in names]
    unknown = sorted(set(names) - {f.name for f in app.settings.feeds})
    if unknown:
        raise InputError(f"unknown feed(s): {', '.join(unknown)}")
    check_feeds(list(app.settings.feeds))
    results = []
    with ThreadPoolExecutor(max_workers=max(1, min(len(chosen), 8))) as pool:
        fetchers = [Fetcher(settings=app.settings.fetch) for _ in chosen]
        try:
            pollers = [make_poller(app, f) for f in fetchers]
            found = list(pool.map(lambda pf: pf[0].collect(pf[1]), zip(pollers, chosen, strict=True)))
            results = [p.commit(c) for p, c in zip(pollers, found, strict=True)]
        finally:
            for fetcher in fetchers:
                fetcher.close()
    lines = []
    for r in results:
        if r.error:
            lines.append(f"{r.feed}: failed: {r.error}")
            continue
        if r.not_modified:
            lines.append(f"{r.feed}: not modified")
            continue
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(r.skipped.items()))
        lines.append(f"{r.feed}: queued {len(r.queued)}, already queued {len(r.existing)}"
                     + (f", skipped {skipped}" if skipped else "")
                     + (f", {r.deferred} left for the next poll" if r.deferred else ""))
        lines += [f"  #{i} {title[:80]}" for i, title in r.queued]
    emit([r.as_json() for r in results], as_json, "\n".join(lines) or "no feeds configured")
    return 1 if any(r.error for r in results) else 0


@feeds.command("list")
@json_option
@pass_ctx
def list_(ctx: Context, as_json: bool) -> None:
    """Each feed: last poll, failures, last error and next poll."""
    from bot.reports.feeds import feed_rows
    from bot.reports.views import local
    from bot.store.feeds import FeedStore

    app = ctx.app()
    rows = feed_rows(app.settings.feeds, FeedStore(engine=app.engine))
    tz = app.settings.timezone

    def when(value: str | None) -> str:
        return local(datetime.fromisoformat(value), tz) if value else "-"

    lines = []
    for r in rows:
        state = f"failing ({r['failures']}x): {r['last_error']}" if r["failures"] else "ok"
        lines.append(f"{r['name']} every {r['interval']}: last poll {when(r['last_polled_at'])}, "
                     f"next {when(r['next_poll_at'])}, {state}")
        lines.append(f"    {r['url']}")
    emit(rows, as_json, "\n".join(lines) or "no feeds configured")
