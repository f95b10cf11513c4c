"""Reading settings from file and environment, and turning every problem into a ``ConfigError``."""

from __future__ import annotations

import difflib
import logging
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config.settings import DEFAULT_CONFIG, ENV_PREFIX, Settings
from bot.domain.errors import ConfigError
from bot.domain.models import Platform

log = logging.getLogger("crosspost.config")
DATA_FOLDER = "var"
_SQLITE = "sqlite:///"
_NOT_SETTINGS = {"CROSSPOST_CONFIG"}  # read before the settings: which file to load
_TEST_PREFIX = "CROSSPOST_TEST_"  # the test suite's own variables


def config_path(explicit: str | Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """``--config`` wins, then ``CROSSPOST_CONFIG``, then ``config/crosspost.toml``."""
    env = os.environ if environ is None else environ
    if explicit:
        return Path(explicit)
    if env.get("CROSSPOST_CONFIG"):
        return Path(env["CROSSPOST_CONFIG"])
    return DEFAULT_CONFIG


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file; a missing, unreadable or broken file is a ``ConfigError`` naming it."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            "config file not found (pass --config or set CROSSPOST_CONFIG)", file=str(path)
        ) from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a config file (pass the .toml file itself)",
                          file=str(path)) from None
    except PermissionError:
        raise ConfigError("cannot be read (permission denied)", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not a TOML text file (not UTF-8 at byte {exc.start})",
                          file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", file=str(path)) from exc
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror or exc}", file=str(path)) from None


def read_dotenv(path: str | Path | None) -> dict[str, str]:
    """The ``CROSSPOST_*`` variables of a ``.env`` file (other variables there, such as those
    docker compose reads, are not ours and are left alone); ``{}`` when there is no file."""
    if path is None or not Path(path).is_file():
        return {}
    from dotenv import dotenv_values

    try:
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot be read: {exc}", file=str(path)) from None
    return {k.upper(): v for k, v in values.items()
            if k.upper().startswith(ENV_PREFIX) and v is not None}


def unknown_variables(names: Iterable[str]) -> list[str]:
    """A warning for each ``CROSSPOST_*`` name no setting reads (a misspelt top-level key would
    otherwise be ignored silently; misspelt nested keys are errors already)."""
    fields = {name.upper() for name in Settings.model_fields}
    out = []
    for name in sorted(set(names)):
        if not name.startswith(ENV_PREFIX) or name in _NOT_SETTINGS or name.startswith(_TEST_PREFIX):
            continue
        head = name[len(ENV_PREFIX):].split("__", 1)[0]
        if head in fields:
            continue
        guess = difflib.get_close_matches(head, sorted(fields), n=1)
        hint = f" (did you mean {ENV_PREFIX}{guess[0]}?)" if guess else ""
        out.append(f"{name} is not a crosspost setting and is ignored{hint}")
    return out


def load_settings(
    path: str | Path | None = None,
    *,
    env_file: str | Path | None = ".env",
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build ``Settings`` from the TOML file, ``.env`` and ``CROSSPOST_*`` variables, then check
    it. Relative paths (an SQLite ``database_url``, ``outbox_dir``) are taken from the config
    file's folder, so the current directory does not matter."""
    file = config_path(path, environ)
    data = read_toml(file)
    env = dict(os.environ if environ is None else environ)
    dotenv = read_dotenv(env_file)
    for warning in unknown_variables([*env, *dotenv]):
        log.warning(warning)

    bound = type("FileSettings", (Settings,), {"_toml_data": data, "__doc__": Settings.__doc__})
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update({**dotenv, **env})  # the environment beats .env
        settings: Settings = bound(_env_file=None)
    except ValidationError as exc:
        raise _config_error(exc, file, data, env, dotenv, env_file) from None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    settings = resolve_paths(settings, base=file.parent)
    check_settings(settings, file=str(file))
    return settings


def fallback_settings(path: str | Path | None = None, *, env_file: str | Path | None = ".env",
                      environ: Mapping[str, str] | None = None) -> Settings:
    """Settings good enough to find the database while the config file is broken (``status``
    still reports): ``database_url`` from the environment, ``.env`` or the file if it parses,
    else the default; everything else at its default."""
    file = config_path(path, environ)
    env = {**read_dotenv(env_file), **(os.environ if environ is None else environ)}
    url = env.get(f"{ENV_PREFIX}DATABASE_URL")
    timezone = env.get(f"{ENV_PREFIX}TIMEZONE")
    if url is None or timezone is None:
        try:
            data = read_toml(file)
        except ConfigError:
            data = {}
        url = url or (data.get("database_url") if isinstance(data.get("database_url"), str) else None)
        timezone = timezone or (data.get("timezone") if isinstance(data.get("timezone"), str) else None)
    fields: dict[str, Any] = {"database_url": url or Settings.model_fields["database_url"].default}
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(timezone or "UTC")
        fields["timezone"] = timezone or "UTC"
    except (ValueError, KeyError, OSError):
        fields["timezone"] = "UTC"
    return resolve_paths(Settings.model_construct(**fields), base=file.parent)


def resolve_paths(settings: Settings, *, base: Path) -> Settings:
    """``settings`` with a relative SQLite database path and ``outbox_dir`` made absolute
    against ``base`` (the config file's folder)."""
    update: dict[str, Any] = {}
    url = settings.database_url
    if url.startswith(_SQLITE):
        rest = url[len(_SQLITE):]
        db, sep, query = rest.partition("?")
        if db and db != ":memory:" and not Path(db).is_absolute():
            update["database_url"] = f"{_SQLITE}{(base / db).resolve()}{sep}{query}"
    if not settings.outbox_dir.is_absolute():
        update["outbox_dir"] = (base / settings.outbox_dir).resolve()
    return settings.model_copy(update=update) if update else settings


def _may_create(folder: Path) -> bool:
    """Only the data folder ``var`` (and folders inside it) is made when missing."""
    return folder.exists() or any(part.name == DATA_FOLDER for part in (folder, *folder.parents))


def check_folders(settings: Settings, *, file: str) -> None:
    """A missing folder for the SQLite file or the outbox is a config error (a mistyped path
    must not quietly become a new, empty database), unless it is the data folder ``var``."""
    url = settings.database_url
    if url.startswith(_SQLITE):
        db = url[len(_SQLITE):].partition("?")[0]
        if db and db != ":memory:" and not _may_create(Path(db).parent):
            raise ConfigError(f"folder {Path(db).parent} does not exist (check the path)",
                              file=file, key="database_url")
    if not _may_create(settings.outbox_dir.parent):
        raise ConfigError(f"folder {settings.outbox_dir.parent} does not exist (check the path)",
                          file=file, key="outbox_dir")


def _config_error(
    exc: ValidationError, file: Path, data: Mapping[str, Any], env: Mapping[str, str],
    dotenv: Mapping[str, str], env_file: str | Path | None,
) -> ConfigError:
    """One ``ConfigError`` listing every problem as ``source: key: what is wrong``, the source
    being the variable (environment or .env) that set the key, else the config file."""
    lines = []
    first_key = None
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        key = _dotted(loc)
        first_key = first_key or key
        source = _source_of(loc, env, dotenv, env_file) or str(file)
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


def _source_of(loc: list[str], env: Mapping[str, str], dotenv: Mapping[str, str],
               env_file: str | Path | None) -> str | None:
    """The variable that set this key (environment first, then .env), if one did."""
    names = [ENV_PREFIX + "__".join(loc[:n]).upper() for n in range(len(loc), 0, -1)]
    for name in names:
        if name in env:
            return f"environment {name}"
    for name in names:
        if name in dotenv:
            return f"{env_file} {name}"
    return None


def check_settings(settings: Settings, *, file: str = "config") -> None:
    """Cross-key checks pydantic can't do alone: names, schedules, credentials, templates, feeds,
    the API token, folders. Every check ``run`` makes before starting is here, so ``config
    check`` passes exactly the configs ``run`` accepts."""
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
    feed_names: set[str] = set()
    for i, feed in enumerate(settings.feeds):
        if feed.name in feed_names:
            raise ConfigError(f"feed name {feed.name!r} is used twice", file=file, key=f"feeds[{i}].name")
        feed_names.add(feed.name)
        _check_interval(feed.interval, file=file, key=f"feeds[{i}].interval")
        for name in feed.targets or ():
            if name not in names:
                raise ConfigError(f"unknown target {name!r}", file=file, key=f"feeds[{i}].targets")
    api = settings.api
    if api.enabled and (api.token is None or not api.token.get_secret_value().strip()):
        raise ConfigError("the HTTP API is enabled but no token is set: set CROSSPOST_API__TOKEN "
                          "(or [api] token), or set [api] enabled = false", file=file, key="api.token")
    for name, schedule in settings.schedules.items():
        try:
            schedule.to_rules(settings.timezone)
        except ValueError as exc:
            raise ConfigError(str(exc), file=file, key=f"schedules.{name}") from None
    check_folders(settings, file=file)


def _check_interval(text: str, *, file: str, key: str) -> None:
    """A feed's polling interval: a duration of at least 10 seconds."""
    from datetime import timedelta

    from bot.domain.schedule.parse import parse_duration

    try:
        value = parse_duration(text)
    except ValueError as exc:
        raise ConfigError(str(exc), file=file, key=key) from None
    if value < timedelta(seconds=10):
        raise ConfigError(f"{text!r} is too short (at least 10s)", file=file, key=key)


def _check_template(source: str, platform: Platform, *, file: str, key: str) -> None:
    from bot.compose import validate_template

    try:
        validate_template(source, platform)
    except ValueError as exc:
        raise ConfigError(f"template does not render: {exc}", file=file, key=key) from None
