"""The command line; the one place errors become messages and exit codes.

Exit codes: 0 ok, 2 bad usage, config or input, 1 runtime failure. Tracebacks only with ``-v``.
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click

from bot.cli.context import Context
from bot.domain.errors import ConfigError, CrosspostError, InputError, NotFoundError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", metavar="PATH", envvar="CROSSPOST_CONFIG",
              help="Config file (default config/crosspost.toml; env CROSSPOST_CONFIG).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default=None,
              help="Log lines as readable text (default) or JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logs and tracebacks.")
@click.version_option(package_name="crosspost", prog_name="crosspost")
@click.pass_context
def cli(ctx: click.Context, config: str | None, log_format: str | None, verbose: bool) -> None:
    """crosspost: queue news stories; publish them to Telegram and X on schedule, exactly once."""
    ctx.obj = Context(config=config, log_format=log_format, verbose=verbose)
    if log_format or verbose:
        from bot.logs import setup_logging

        setup_logging(log_format or "text", verbose=verbose)


def _register() -> None:
    from bot.cli import admin, corrections, feeds, queue, web

    cli.add_command(queue.queue)
    for command in corrections.COMMANDS:
        queue.queue.add_command(command)
    for command in admin.COMMANDS:
        cli.add_command(command)
    cli.add_command(feeds.feeds)
    cli.add_command(web.web)


_register_done = False


def main(argv: list[str] | None = None) -> NoReturn:
    """Run the CLI and turn project errors into one clear line and an exit code."""
    global _register_done
    if not _register_done:
        _register()
        _register_done = True
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        rv = cli.main(args=argv, prog_name="crosspost", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code == 2 else exc.exit_code)
    except (ConfigError, InputError, NotFoundError) as exc:
        _fail(exc, 2, verbose)
    except CrosspostError as exc:
        _fail(exc, 1, verbose)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so briefly, details with -v
        if verbose:
            raise
        click.echo(f"error: unexpected {type(exc).__name__}: {_brief(exc)} "
                   "(run with -v for details)", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


def _brief(exc: Exception) -> str:
    """What went wrong, in one line; a database error never shows its SQL or parameters."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        first = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else ""
        return first or type(exc).__name__
    return str(exc)


def _fail(exc: Exception, code: int, verbose: bool) -> NoReturn:
    if verbose:
        logging.getLogger("crosspost").exception("failed")
    label = "config error" if isinstance(exc, ConfigError) else "error"
    click.echo(f"{label}: {exc}", err=True)
    sys.exit(code)
