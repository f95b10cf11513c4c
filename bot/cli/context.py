"""What every command shares: the config file, settings, the wired app, and output."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.config.settings import Settings
    from bot.daemon.runtime import Runtime


@dataclass
class Context:
    """What every command shares: where the config is and how to log."""

    config: str | None
    log_format: str | None
    verbose: bool
    command: str | None = None
    _settings: Settings | None = None
    _app: Runtime | None = field(default=None, repr=False)

    @property
    def config_file(self) -> Path:
        """The config file in use."""
        from bot.config.load import config_path

        return config_path(self.config)

    def settings(self) -> Settings:
        """Settings, loaded once."""
        if self._settings is None:
            from bot.config.load import load_settings

            self._settings = load_settings(self.config_file)
            from bot.logs import setup_logging

            setup_logging(self.log_format or self._settings.log_format, verbose=self.verbose,
                          daemon=self.command == "run")
        return self._settings

    def app(self, *, migrate: bool = True) -> Runtime:
        """The wired application (store migrated on first use)."""
        if self._app is None:
            from bot.wiring import build_app

            self._app = build_app(self.settings(), migrate=migrate)
        return self._app


pass_ctx = click.make_pass_decorator(Context)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` as JSON, or ``text`` for people."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    elif text is not None:
        click.echo(text)


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
"""The one ``--json`` option every command that reports something takes."""
