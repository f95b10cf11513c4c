"""``crosspost queue …``: add, import, list, show, cancel, retry, approve, reject (edit,
takedown and confirm are in ``bot.cli.corrections``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.context import Context, emit, json_option, pass_ctx
from bot.domain.errors import InputError
from bot.domain.models import DeliveryState, Priority
from bot.reports.views import (
    article_json,
    article_text,
    in_line,
    local,
    outlook,
    with_staff_actions,
)

if TYPE_CHECKING:
    from bot.daemon.runtime import Runtime


@click.group()
def queue() -> None:
    """Add stories to the queue and see what is waiting and why."""


@queue.command("add")
@click.argument("url")
@click.option("--title", help="Headline (fetched from the page when omitted).")
@click.option("--body-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File with the story text (plain, Markdown or HTML); '-' for stdin.")
@click.option("--image-url", help="Lead image URL.")
@click.option("--image-alt", metavar="TEXT", help="The image's alt text (what it shows).")
@click.option("--priority", type=click.Choice([p.value for p in Priority]), default="normal",
              show_default=True, help="'breaking' takes the breaking-news lane.")
@click.option("--not-before", metavar="ISO8601", help="Earliest time to post, with offset.")
@click.option("--targets", metavar="A,B", help="Only these targets (default: all enabled).")
@click.option("--needs-approval", is_flag=True,
              help="Wait for an editor's approval before anything goes out.")
@json_option
@pass_ctx
def add(ctx: Context, url: str, title: str | None, body_file: Path | None, image_url: str | None,
        image_alt: str | None, priority: str, not_before: str | None, targets: str | None,
        needs_approval: bool,
        as_json: bool) -> None:
    """Queue one story; prints its id (the existing one when the URL was queued before)."""

    from bot.intake.queueing import parse_time
    from bot.intake.stories import queue_story

    if not_before is not None:
        try:
            parse_time(not_before)
        except InputError as exc:
            raise InputError(f"--not-before: {exc}") from None
    app = ctx.app()
    if body_file is not None and not title:
        raise InputError("--title is required with --body-file")
    text = None
    if body_file is not None:
        text = sys.stdin.read() if str(body_file) == "-" else _read(body_file)
        if not text.strip():
            raise InputError(f"--body-file {body_file}: the story text is empty")
    data = {"url": url, "title": title, "text": text, "image_url": image_url,
            "image_alt": image_alt, "priority": priority, "not_before": not_before,
            "targets": [t.strip() for t in targets.split(",") if t.strip()] if targets else None,
            "needs_approval": True if needs_approval else None}
    added = queue_story(app.intake, {k: v for k, v in data.items() if v is not None}, source="cli",
                        fetch_text=body_file is None, by=_editor())
    article, deliveries = app.queue.get_article(added.article_id)
    note = "queued" if added.created else "already queued"
    emit(article_json(article, deliveries) | {"created": added.created}, as_json,
         f"{article.id}" if not ctx.verbose else f"{article.id} ({note})")
    if not as_json:
        if not added.created:
            click.echo(f"note: {url} was already queued as story {article.id}", err=True)
        for d in deliveries:  # for people; stdout stays the id alone for scripts
            click.echo(f"  {d.target}: {outlook(d, app.settings.timezone)}", err=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder") from None


@queue.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_ctx
def import_(ctx: Context, file: Path, as_json: bool) -> int:
    """Queue one story per JSON line (url, title, text, image_url, image_alt, priority, targets,
    not_before); bad lines are reported by number and the good ones are still queued."""
    app = ctx.app()
    raw = _read_bytes(file) if str(file) != "-" else sys.stdin.buffer.read()
    lines: list[str] = []
    undecodable: list[tuple[int, str]] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):  # JSON may hold U+2028 raw
        try:
            lines.append(line.removesuffix(b"\r").decode("utf-8"))
        except UnicodeDecodeError as exc:
            undecodable.append((number, f"not UTF-8 text (byte {exc.start + 1} of the line)"))
            lines.append("")  # skipped; the other lines are still read
    result = app.intake.import_lines(lines, source="import")
    result.errors[:] = sorted([*result.errors, *undecodable])
    data = {"added": result.added, "existing": result.existing,
            "errors": [{"line": n, "error": e} for n, e in result.errors]}
    text = (f"queued {len(result.added)}, already queued {len(result.existing)}, "
            f"refused {len(result.errors)}")
    emit(data, as_json, text)
    for number, error in result.errors:
        if not as_json:
            click.echo(f"{file}:{number}: {error}", err=True)
    return 1 if result.errors else 0


@queue.command("list")
@click.option("--state", type=click.Choice([s.value for s in DeliveryState]),
              help="Only stories with a delivery in this state.")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True)
@json_option
@pass_ctx
def list_(ctx: Context, state: str | None, limit: int, as_json: bool) -> None:
    """Stories, newest first, with each target's state and planned time."""
    app = ctx.app()
    rows = app.queue.list_articles(state=DeliveryState(state) if state else None, limit=limit)
    tz = app.settings.timezone
    lines = []
    for article, deliveries in rows:
        lines.append(f"#{article.id} [{article.priority.value}] {article.title[:70]}")
        for d in deliveries:
            when = ""
            if d.state is DeliveryState.PENDING:
                when = local(d.planned_at, tz)
            elif d.state is DeliveryState.PUBLISHED:
                when = local(d.published_at, tz)
            why = f" — {d.last_error}" if d.last_error and d.state is not DeliveryState.PUBLISHED \
                else ""
            if d.state is DeliveryState.AWAITING_APPROVAL and d.approval is not None:
                why = f" — waits for approval: {d.approval.waits_for}"
            lines.append(f"    {d.target:<16} {d.state.value:<17} {when}{why}")
    revisions = app.revisions.for_articles([a.id for a, _ in rows]) if as_json else {}
    empty = f"no story has a {state} delivery" if state else "queue is empty"
    emit([article_json(a, ds, revisions) for a, ds in rows], as_json, "\n".join(lines) or empty)


@queue.command("show")
@click.argument("article_id", type=int)
@json_option
@pass_ctx
def show(ctx: Context, article_id: int, as_json: bool) -> None:
    """One story: every delivery's state, planned time, text, attempts and last error."""
    from bot.store.desk import DeskStore

    app = ctx.app()
    article, deliveries = app.queue.get_article(article_id)
    deliveries = in_line(app.queue, deliveries, app.clock.now())
    revisions = app.revisions.for_articles([article_id])
    actions = DeskStore(engine=app.engine).actions(article_id)
    emit(with_staff_actions(article_json(article, deliveries, revisions), actions), as_json,
         article_text(article, deliveries, app.settings.timezone, actions, revisions=revisions))


@queue.command("cancel")
@click.argument("article_id", type=int)
@json_option
@pass_ctx
def cancel(ctx: Context, article_id: int, as_json: bool) -> None:
    """Cancel a story's deliveries that have not gone out."""
    app = ctx.app()
    moved = app.intake.cancel(article_id, by=_editor())
    text = f"cancelled {moved} deliver{'y' if moved == 1 else 'ies'} of story {article_id}"
    if not moved:
        text = f"nothing to cancel: story {article_id} has no delivery waiting ({_states(app, article_id)})"
    emit({"id": article_id, "cancelled": moved}, as_json, text)


@queue.command("retry")
@click.argument("article_id", type=int)
@json_option
@pass_ctx
def retry(ctx: Context, article_id: int, as_json: bool) -> None:
    """Send again, on purpose, a story's failed, expired, cancelled or needs_review deliveries."""
    app = ctx.app()
    moved = app.intake.retry(article_id, by=_editor())
    text = f"{moved} deliver{'y' if moved == 1 else 'ies'} of story {article_id} queued again"
    if not moved:
        text = (f"nothing to retry: only failed, expired, cancelled or needs_review deliveries are "
                f"sent again, and story {article_id} has none ({_states(app, article_id)})")
    emit({"id": article_id, "retried": moved}, as_json, text)


def _states(app: Runtime, article_id: int) -> str:
    """``tg published, xa cancelled``: where each of a story's deliveries stands."""
    _, deliveries = app.queue.get_article(article_id)
    return ", ".join(f"{d.target} {d.state.value}" for d in deliveries) or "no targets"
def _editor() -> str:
    """Who decides at this terminal: ``cli:<login name>``."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


@queue.command("approve")
@click.argument("article_id", type=int)
@click.option("--target", help="Only this target (default: every target waiting for approval).")
@click.option("--text-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Your own text for the target ('-' for stdin): X text within its weighted "
                   "limit, or Telegram HTML; replaces the composed post.")
@json_option
@pass_ctx
def approve(ctx: Context, article_id: int, target: str | None, text_file: Path | None,
            as_json: bool) -> None:
    """Approve a story waiting for review; it is planned from now by each target's schedule."""
    text = None
    if text_file is not None:
        text = sys.stdin.read() if str(text_file) == "-" else _read(text_file)
    app = ctx.app()
    decided = app.review.approve(article_id, by=_editor(), via="cli", target=target, text=text)
    article, deliveries = app.queue.get_article(article_id)
    how = "with your text" if text is not None else ""
    emit(article_json(article, deliveries) | {"decided": decided.targets}, as_json,
         f"approved {how + ' ' if how else ''}story {article_id} on "
         f"{', '.join(decided.targets)}")


@queue.command("reject")
@click.argument("article_id", type=int)
@click.option("--target", help="Only this target (default: every target waiting for approval).")
@click.option("--reason", help="Why (shown in queue show and to the other editors).")
@json_option
@pass_ctx
def reject(ctx: Context, article_id: int, target: str | None, reason: str | None,
           as_json: bool) -> None:
    """Reject a story waiting for review: nothing of it goes out on those targets."""
    app = ctx.app()
    decided = app.review.reject(article_id, by=_editor(), via="cli", target=target,
                                reason=reason)
    article, deliveries = app.queue.get_article(article_id)
    emit(article_json(article, deliveries) | {"decided": decided.targets}, as_json,
         f"rejected story {article_id} on {', '.join(decided.targets)}")
