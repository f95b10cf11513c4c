"""``crosspost run``, ``status``, ``config check``, ``db upgrade``, ``preview``, ``targets``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.context import Context, emit, json_option, pass_ctx
from bot.domain.errors import InputError, StoreError

if TYPE_CHECKING:
    from bot.daemon.runtime import Runtime
    from bot.daemon.service import Daemon



@click.command()
@click.option("--once", is_flag=True, help="Publish everything due now, then exit.")
@pass_ctx
def run(ctx: Context, once: bool) -> None:
    """Run the daemon: publish due posts on schedule until SIGINT/SIGTERM."""
    from bot.config.load import load_settings
    from bot.wiring import build_daemon

    app = ctx.app()
    daemon = build_daemon(app, config_file=ctx.config_file, load=load_settings)
    if not once:
        _add_doors(app, daemon)

    async def main() -> int:
        try:
            if once:
                return await daemon.run_once()
            await daemon.run()
            if daemon.lost_lock:
                raise StoreError("stopped: lost the one-publisher lock on the database")
            return 0
        finally:
            await app.aclose()

    sent = asyncio.run(main())
    if once:
        click.echo(f"attempted {sent} deliver{'y' if sent == 1 else 'ies'}")


def _add_doors(app: Runtime, daemon: Daemon) -> None:
    """Feed polling, the HTTP API and the staff chat, when configured."""
    from bot.api.server import api_service
    from bot.daemon.feeds import feed_jobs
    from bot.staff.chat import staff_service

    daemon.job_factories.append(feed_jobs)
    service = api_service(app, daemon)
    if service is not None:
        daemon.services.append(service)
    staff = staff_service(app)
    if staff is not None:
        daemon.services.append(staff)


@click.command()
@json_option
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """Counts per state and target, last publish per target, and problems."""
    from bot.reports.status import status_data, status_text

    app = ctx.app()
    data = status_data(settings=app.settings, clock=app.clock, queue=app.queue,
                       state=app.state, engine=app.engine, revisions=app.revisions)
    emit(data, as_json, status_text(data, app.settings.timezone))


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@json_option
@pass_ctx
def config_check(ctx: Context, as_json: bool) -> None:
    """Validate config; print each target's next 10 slots in local time, and warnings."""
    from bot.reports.schedule import schedule_report, schedule_report_text

    settings = ctx.settings()
    data = schedule_report(settings, ctx.config_file, daily_volume=_daily_volume(ctx))
    emit(data, as_json, schedule_report_text(data))


def _daily_volume(ctx: Context) -> dict[str, float] | None:
    """Posts per day per target over the last week, when the database already exists."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.exc import SQLAlchemyError

    from bot.store.db import current_revision, make_engine
    from bot.store.queue import QueueStore

    engine = make_engine(ctx.settings().database_url)
    try:
        if current_revision(engine) is None:
            return None
        since = datetime.now(UTC) - timedelta(days=7)
        counts = QueueStore(engine=engine).published_counts_since(since)
        return {target: n / 7 for target, n in counts.items()}
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


@click.group("db")
def db_group() -> None:
    """Database maintenance."""


@db_group.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Apply database migrations (also done on every start)."""
    from bot.store.db import current_revision, make_engine, upgrade

    engine = make_engine(ctx.settings().database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    engine.dispose()
    click.echo(f"database at revision {after}" + ("" if before == after else f" (was {before})"))


@click.command()
@click.argument("article_id", type=int, required=False)
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path),
              help="Story text file (with --title and --url).")
@click.option("--title")
@click.option("--url")
@click.option("--image-url")
@click.option("--target", "target_name", help="Only this target.")
@json_option
@pass_ctx
def preview(ctx: Context, article_id: int | None, file: Path | None, title: str | None,
            url: str | None, image_url: str | None, target_name: str | None,
            as_json: bool) -> None:
    """Show each target's post(s) with counted length and limit, exactly as they would go."""
    from bot.reports.preview import preview_data, preview_text

    if article_id is not None and (file or title or url or image_url):
        raise InputError("give a story ID or --file/--title/--url, not both")
    settings = ctx.settings()
    if article_id is not None:
        from bot.intake.queueing import draft_of

        article, _ = ctx.app().queue.get_article(article_id)
        draft = draft_of(article)
    elif file and title and url:
        from bot.domain.models import ArticleDraft

        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{file}: no such file") from None
        except UnicodeDecodeError:
            raise InputError(f"{file}: not UTF-8 text") from None
        draft = ArticleDraft(url=url, title=title, text=text, image_url=image_url)
    else:
        raise InputError("give a story ID, or --file, --title and --url")
    targets = settings.targets
    if target_name:
        targets = [t for t in targets if t.name == target_name]
        if not targets:
            raise InputError(f"unknown target {target_name!r}")
    data = preview_data(draft, targets)
    emit(data, as_json, preview_text(data))


@click.group("targets")
def targets_group() -> None:
    """See and resume targets."""


@targets_group.command("resume")
@click.argument("name")
@pass_ctx
def targets_resume(ctx: Context, name: str) -> None:
    """Resume a target paused after an auth error (fix the token or rights first)."""
    app = ctx.app()
    if name not in {t.name for t in app.settings.targets}:
        raise InputError(f"unknown target {name!r}")
    app.state.resume(name)
    click.echo(f"target {name} resumed")


COMMANDS = [run, status, config_group, db_group, preview, targets_group]
