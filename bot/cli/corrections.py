"""``crosspost queue edit | takedown | confirm``: change a story after it is stored or out."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from bot.cli.context import Context, emit, json_option, pass_ctx
from bot.domain.errors import InputError
from bot.domain.revisions import Revision, StoryChange
from bot.reports.views import article_json, revision_json


def _who() -> str:
    """Who asked, for the record: ``cli:<user>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _read(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None


def _report(ctx: Context, article_id: int, made: list[Revision], as_json: bool,
            text: str) -> None:
    app = ctx.app()
    article, deliveries = app.queue.get_article(article_id)
    data = {"id": article_id, "revisions": [revision_json(r) for r in made],
            "article": article_json(article, deliveries,
                                    app.revisions.for_articles([article_id]))}
    lines = [text] + [f"  {r.target}: {r.kind.value} ({r.outcome or r.state.value})"
                      for r in made]
    emit(data, as_json, "\n".join(lines))


@click.command("edit")
@click.argument("article_id", type=int)
@click.option("--title", help="The corrected headline.")
@click.option("--body-file", type=click.Path(dir_okay=False, path_type=Path),
              help="File with the corrected text (plain, Markdown or HTML); '-' for stdin.")
@click.option("--image-url", help="A new lead image URL ('' removes it; posts already out keep "
                                  "their photo).")
@json_option
@pass_ctx
def edit(ctx: Context, article_id: int, title: str | None, body_file: Path | None,
         image_url: str | None, as_json: bool) -> None:
    """Edit a story: every target's post is composed again. What is not out carries the new
    text; what is out is corrected as the target's on_edit says (edit, reply or none)."""
    text = _read(body_file) if body_file is not None else None
    made = ctx.app().corrections.edit(article_id, StoryChange(
        title=title, text=text, image_url=image_url, requested_by=_who()))
    pending = sum(r.open for r in made)
    _report(ctx, article_id, made, as_json,
            f"story {article_id} edited; {pending} correction(s) to send")


@click.command("takedown")
@click.argument("article_id", type=int)
@click.option("--reason", help="Why (kept with every delivery's record).")
@json_option
@pass_ctx
def takedown(ctx: Context, article_id: int, reason: str | None, as_json: bool) -> None:
    """Take a story down: cancel what has not gone out, delete every published post (threads,
    photos with their follow-up, correction replies) on every target."""
    made = ctx.app().corrections.takedown(article_id, reason=reason, requested_by=_who())
    deleting = sum(r.open for r in made)
    _report(ctx, article_id, made, as_json,
            f"story {article_id} taken down; {deleting} deliver"
            f"{'y' if deleting == 1 else 'ies'} to delete from the platforms")


@click.command("confirm")
@click.argument("article_id", type=int)
@click.option("--target", required=True, help="The target whose post's fate was unknown.")
@click.option("--post-id", help="The post's id on the platform (Telegram message id, X post id).")
@click.option("--permalink", help="A link to the post.")
@click.option("--not-posted", is_flag=True, help="It did not go out: send it again, on purpose.")
@json_option
@pass_ctx
def confirm(ctx: Context, article_id: int, target: str, post_id: str | None,
            permalink: str | None, not_posted: bool, as_json: bool) -> None:
    """Settle a needs_review delivery: published (with its post id and permalink), or with
    --not-posted sent again."""
    made = ctx.app().corrections.confirm(article_id, target, post_id=post_id,
                                         permalink=permalink, not_posted=not_posted,
                                         requested_by=_who())
    _report(ctx, article_id, [made], as_json, f"story {article_id} on {target}: {made.outcome}")


COMMANDS = (edit, takedown, confirm)
