"""Reading settings from file and environment, and turning every problem into a ``ConfigError``."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config.settings import DEFAULT_CONFIG, ENV_PREFIX, Settings
from bot.domain.errors import ConfigError
from bot.domain.models import Platform


def config_path(explicit: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """``--config`` wins, then ``CROSSPOST_CONFIG``, then ``config/crosspost.toml``."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("CROSSPOST_CONFIG"):
        return Path(env["CROSSPOST_CONFIG"])
    return DEFAULT_CONFIG


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a missing or broken file is a ``ConfigError`` naming it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            "config file not found (pass --config or set CROSSPOST_CONFIG)", file=str(path)
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from exc


def load_settings(
    path: str | Path | None = None,
    *,
    env_file: str | Path | None = ".env",
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build ``Settings`` from the TOML file, ``.env`` and ``CROSSPOST_*`` variables, then check it."""
    file = config_path(path, environ)
    data = read_toml(file)

    bound = type("FileSettings", (Settings,), {"_toml_data": data, "__doc__": Settings.__doc__})
    env = os.environ if environ is None else environ
    try:
        if environ is None:
            settings: Settings = bound(_env_file=env_file)
        else:
            saved = dict(os.environ)
            try:
                os.environ.clear()
                os.environ.update(environ)
                settings = bound(_env_file=env_file)
            finally:
                os.environ.clear()
                os.environ.update(saved)
    except ValidationError as exc:
        raise _config_error(exc, file, data, env) from None
    check_settings(settings, file=str(file))
    return settings


def _config_error(
    exc: ValidationError, file: Path, data: Mapping[str, Any], env: Mapping[str, str]
) -> ConfigError:
    """One ``ConfigError`` listing every problem as ``source: key: what is wrong``."""
    lines = []
    first_key = None
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = _dotted(loc)
        first_key = first_key or key
        source = _source_of(loc, data, env) or str(file)
        msg = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        lines.append(f"{source}: {key}: {msg}")
    message = lines[0] if len(lines) == 1 else "\n".join(lines)
    error = ConfigError(message)
    error.file, error.key = str(file), first_key
    return error


def _dotted(loc: list[str]) -> str:
    """``targets.0.platform`` → ``targets[0].platform``."""
    out = ""
    for part in loc:
        if part.isdigit():
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _source_of(loc: list[str], data: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    """The environment variable that set this key, if one did."""
    name = ENV_PREFIX + "__".join(loc).upper()
    if name in env:
        return f"environment {name}"
    top = ENV_PREFIX + loc[0].upper() if loc else ""
    if top in env:
        return f"environment {top}"
    return None


def check_settings(settings: Settings, *, file: str = "config") -> None:
    """Cross-key checks pydantic can't do alone: names, schedules, credentials, templates."""
    names: set[str] = set()
    for i, target in enumerate(settings.targets):
        key = f"targets[{i}]"
        if target.name in names:
            raise ConfigError(f"duplicate target name {target.name!r}", file=file, key=f"{key}.name")
        names.add(target.name)
        if target.schedule != "default" and target.schedule not in settings.schedules:
            known = ", ".join(["default", *sorted(set(settings.schedules) - {"default"})])
            raise ConfigError(
                f"schedule {target.schedule!r} does not exist (known: {known})",
                file=file,
                key=f"{key}.schedule",
            )
        if target.platform is Platform.TELEGRAM and not target.chat:
            raise ConfigError("a telegram target needs `chat` (@username or -100… id)",
                              file=file, key=f"{key}.chat")
        if target.template is not None:
            _check_template(target.template, target.platform, file=file, key=f"{key}.template")
        if not target.enabled or settings.is_dry_run(target):
            continue
        if target.platform is Platform.TELEGRAM and settings.telegram.bot_token is None:
            raise ConfigError(
                f"target {target.name!r} is not dry-run but the Telegram bot token is missing: "
                "set CROSSPOST_TELEGRAM__BOT_TOKEN, or set dry_run = true",
                file=file,
                key=f"{key}.dry_run",
            )
        if target.platform is Platform.X and settings.x.missing():
            missing = ", ".join(f"CROSSPOST_X__{n.upper()}" for n in settings.x.missing())
            raise ConfigError(
                f"target {target.name!r} is not dry-run but X credentials are missing: "
                f"set {missing}, or set dry_run = true",
                file=file,
                key=f"{key}.dry_run",
            )
    for i, feed in enumerate(settings.feeds):
        for name in feed.targets or ():
            if name not in names:
                raise ConfigError(f"unknown target {name!r}", file=file, key=f"feeds[{i}].targets")
    for name, schedule in settings.schedules.items():
        try:
            schedule.to_rules(settings.timezone)
        except ValueError as exc:
            raise ConfigError(str(exc), file=file, key=f"schedules.{name}") from None


def _check_template(source: str, platform: Platform, *, file: str, key: str) -> None:
    from bot.compose import validate_template

    try:
        validate_template(source, platform)
    except ValueError as exc:
        raise ConfigError(f"template does not render: {exc}", file=file, key=key) from None
