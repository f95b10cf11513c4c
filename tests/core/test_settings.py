"""Settings: precedence of sources, and every config error names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.load import config_path, load_settings
from bot.domain.errors import ConfigError

BASE = """
database_url = "sqlite:///var/x.db"
timezone = "Europe/Kyiv"
dry_run = true
[telegram]
api_base_url = "http://127.0.0.1:1"
[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
"""


def write(tmp_path: Path, text: str, name: str = "crosspost.toml") -> Path:
    """Write a config file and return its path."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_file_then_dotenv_then_environment(tmp_path: Path) -> None:
    """The environment beats .env, which beats the TOML file; nested keys use __."""
    cfg = write(tmp_path, BASE)
    env_file = tmp_path / ".env"
    env_file.write_text("CROSSPOST_TIMEZONE=America/New_York\n"
                        "CROSSPOST_TELEGRAM__API_BASE_URL=http://dotenv\n")
    only_file = load_settings(cfg, env_file=None, environ={})
    assert only_file.timezone == "Europe/Kyiv"
    with_dotenv = load_settings(cfg, env_file=env_file, environ={})
    assert with_dotenv.timezone == "America/New_York"
    assert with_dotenv.telegram.api_base_url == "http://dotenv"
    with_env = load_settings(cfg, env_file=env_file,
                             environ={"CROSSPOST_TELEGRAM__API_BASE_URL": "http://env"})
    assert with_env.telegram.api_base_url == "http://env"
    assert with_env.timezone == "America/New_York"
    assert with_env.targets[0].chat == "@news"


def test_config_path_precedence(tmp_path: Path) -> None:
    """--config wins over CROSSPOST_CONFIG, which wins over the default path."""
    assert config_path("a.toml", {"CROSSPOST_CONFIG": "b.toml"}) == Path("a.toml")
    assert config_path(None, {"CROSSPOST_CONFIG": "b.toml"}) == Path("b.toml")
    assert config_path(None, {}) == Path("config/crosspost.toml")


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        (BASE + "colour = 'blue'\n", "colour", "unknown key"),
        (BASE.replace('"Europe/Kyiv"', '"Mars/Olympus"'), "timezone", "unknown IANA timezone"),
        (BASE.replace('platform = "telegram"', 'platform = "myspace"'), "targets[0].platform",
         "telegram"),
        (BASE + "[telegram.extra]\n", "telegram.extra", "unknown key"),
        (BASE + "[schedules.s]\nmin_interval = 'soon'\n", "schedules.s", "min_interval"),
        (BASE.replace('chat = "@news"', 'chat = "@news"\nschedule = "nightly"'),
         "targets[0].schedule", "does not exist"),
        (BASE + '[[targets]]\nname = "tg"\nplatform = "x"\n', "targets[1].name", "duplicate"),
        (BASE.replace("dry_run = true", "dry_run = false"), "targets[0].dry_run",
         "CROSSPOST_TELEGRAM__BOT_TOKEN"),
        (BASE + '[[targets]]\nname = "xa"\nplatform = "x"\ndry_run = false\n',
         "targets[1].dry_run", "CROSSPOST_X__API_KEY"),
        (BASE + "[retry]\nmax_attempts = 0\n", "retry.max_attempts", "greater than"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path: Path, text: str, key: str,
                                         fragment: str) -> None:
    """Each broken config raises ConfigError naming the file, the key and the problem."""
    cfg = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env_file=None, environ={})
    message = str(info.value)
    assert str(cfg) in message
    assert key in message
    assert fragment in message


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    """A TOML syntax error and a missing file are ConfigErrors naming the file."""
    bad = write(tmp_path, "timezone = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_settings(bad, env_file=None, environ={})
    assert str(bad) in str(info.value)
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", env_file=None, environ={})


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    """A bad value from the environment names the variable it came from."""
    cfg = write(tmp_path, BASE)
    with pytest.raises(ConfigError, match="CROSSPOST_TELEGRAM__TIMEOUT"):
        load_settings(cfg, env_file=None, environ={"CROSSPOST_TELEGRAM__TIMEOUT": "-3"})


def test_secret_from_env_is_hidden(tmp_path: Path) -> None:
    """A token set in the environment enables live targets and never shows in repr or dumps."""
    cfg = write(tmp_path, BASE.replace("dry_run = true", "dry_run = false"))
    settings = load_settings(cfg, env_file=None,
                             environ={"CROSSPOST_TELEGRAM__BOT_TOKEN": "123:SECRETSECRET"})
    assert settings.telegram.bot_token is not None
    assert settings.telegram.bot_token.get_secret_value() == "123:SECRETSECRET"
    assert "SECRETSECRET" not in repr(settings)
    assert "SECRETSECRET" not in settings.model_dump_json()


def test_shipped_config_loads_without_credentials() -> None:
    """config/crosspost.toml as shipped is valid and dry-run."""
    root = Path(__file__).resolve().parents[2]
    settings = load_settings(root / "config" / "crosspost.toml", env_file=None, environ={})
    assert settings.dry_run is True
    assert all(settings.is_dry_run(t) for t in settings.targets)


def test_unknown_schedule_lists_default_among_the_known(tmp_path: Path) -> None:
    """An unknown schedule name lists `default`, which always exists, with the defined ones."""
    cfg = write(tmp_path, BASE.replace('chat = "@news"', 'chat = "@news"\nschedule = "nightly"'))
    with pytest.raises(ConfigError, match=r"\(known: default\)"):
        load_settings(cfg, env_file=None, environ={})
    cfg = write(tmp_path, BASE.replace('chat = "@news"', 'chat = "@news"\nschedule = "nightly"')
                + "[schedules.morning]\n")
    with pytest.raises(ConfigError, match=r"\(known: default, morning\)"):
        load_settings(cfg, env_file=None, environ={})


def test_config_errors_drop_pydantic_prefixes(tmp_path: Path) -> None:
    """A validator's message reaches people without pydantic's "Value error, " prefix."""
    cfg = write(tmp_path, BASE.replace('"Europe/Kyiv"', '"Mars/Olympus"'))
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env_file=None, environ={})
    assert "Value error" not in str(info.value)
    assert f"{cfg}: timezone: unknown IANA timezone" in str(info.value)


@pytest.mark.parametrize(("schedule", "why"), [
    ('windows = ["01:00-02:00"]\nquiet_hours = ["23:00-07:00"]', "every window lies inside quiet hours"),
    ('slots = ["03:00"]\nquiet_hours = ["00:00-06:00"]', "no slot falls inside a window"),
    ('slots = ["22:30"]\nwindows = ["07:00-22:00"]', "no slot falls inside a window"),
    ('cron = "0 9 30 feb *"', 'cron "0 9 30 feb *" never fires'),
    ('quiet_hours = ["00:00-24:00"]', "quiet_hours cover the whole day"),
])
def test_a_schedule_that_can_never_post_is_a_config_error(tmp_path: Path, schedule: str,
                                                          why: str) -> None:
    """A schedule under which no ordinary story could ever go out stops the bot, naming it."""
    cfg = write(tmp_path, BASE.replace('chat = "@news"', 'chat = "@news"\nschedule = "never"')
                + f"[schedules.never]\n{schedule}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env_file=None, environ={})
    assert "schedules.never" in str(info.value) and "can never post" in str(info.value)
    assert why in str(info.value)


def test_breaking_only_schedule_is_allowed(tmp_path: Path) -> None:
    """Quiet hours all day with breaking_ignores_quiet_hours is a deliberate breaking-only lane."""
    cfg = write(tmp_path, BASE + '[schedules.breaking]\nquiet_hours = ["00:00-24:00"]\n'
                "breaking_ignores_quiet_hours = true\n")
    assert load_settings(cfg, env_file=None, environ={}).schedules["breaking"] is not None


def test_config_path_that_is_a_folder_or_binary_is_one_line_exit_2(tmp_path: Path) -> None:
    """--config pointing at a folder or a binary file: one line naming it, exit 2, no traceback."""
    from tests.core.cli_helpers import make_project

    p = make_project(tmp_path / "p")
    (tmp_path / "binary.toml").write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe" * 20)
    for bad in (tmp_path, tmp_path / "binary.toml"):
        result = p.run("--config", str(bad), "config", "check")
        assert result.code == 2, result
        assert result.err.count("\n") == 1 and str(bad) in result.err, result.err
        assert "unexpected" not in result.err and "Traceback" not in result.err


def test_bad_value_in_dotenv_is_blamed_on_dotenv(tmp_path: Path) -> None:
    """A bad value set in .env names .env and the variable, not the TOML file; the environment,
    when it sets the key, is named instead."""
    cfg = write(tmp_path, BASE)
    env_file = tmp_path / ".env"
    env_file.write_text("CROSSPOST_TIMEZONE=Mars/Base\nCROSSPOST_TELEGRAM__TIMEOUT=soon\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env_file=env_file, environ={})
    said = str(info.value)
    assert f"{env_file} CROSSPOST_TIMEZONE: timezone: unknown IANA timezone" in said
    assert f"{env_file} CROSSPOST_TELEGRAM__TIMEOUT: telegram.timeout" in said
    assert str(cfg) not in said
    with pytest.raises(ConfigError, match="environment CROSSPOST_TIMEZONE: timezone"):
        load_settings(cfg, env_file=env_file, environ={"CROSSPOST_TIMEZONE": "Moon/Base"})


def test_dotenv_may_hold_variables_that_are_not_ours(tmp_path: Path) -> None:
    """Variables in .env without the CROSSPOST_ prefix (docker compose's) are left alone."""
    cfg = write(tmp_path, BASE)
    env_file = tmp_path / ".env"
    env_file.write_text("POSTGRES_PASSWORD=pw\nAPI_PUBLISH_PORT=9000\nCROSSPOST_LOG_FORMAT=json\n")
    assert load_settings(cfg, env_file=env_file, environ={}).log_format == "json"


def test_unknown_crosspost_variables_are_warned_about(tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A misspelt top-level variable (environment or .env) is named in a warning with a guess;
    known ones and CROSSPOST_CONFIG are not."""
    cfg = write(tmp_path, BASE)
    env_file = tmp_path / ".env"
    env_file.write_text("CROSSPOST_DRYRUN=false\n")
    with caplog.at_level("WARNING", logger="crosspost.config"):
        settings = load_settings(cfg, env_file=env_file,
                                 environ={"CROSSPOST_TIMEZON": "UTC", "CROSSPOST_CONFIG": str(cfg),
                                          "CROSSPOST_TIMEZONE": "UTC"})
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "CROSSPOST_DRYRUN is not a crosspost setting and is ignored (did you mean CROSSPOST_DRY_RUN?)",
        "CROSSPOST_TIMEZON is not a crosspost setting and is ignored (did you mean CROSSPOST_TIMEZONE?)",
    ]
    assert settings.timezone == "UTC"


def test_relative_paths_come_from_the_config_files_folder(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative SQLite path and outbox_dir mean the same files from any current directory."""
    folder = tmp_path / "deploy" / "config"
    folder.mkdir(parents=True)
    cfg = write(folder, BASE.replace('database_url = "sqlite:///var/x.db"',
                                     'database_url = "sqlite:///../var/x.db?timeout=5"\n'
                                     'outbox_dir = "../var/outbox"'))
    seen = set()
    for cwd in (tmp_path, folder, tmp_path / "deploy"):
        monkeypatch.chdir(cwd)
        s = load_settings(cfg, env_file=None, environ={})
        seen.add((s.database_url, s.outbox_dir))
    assert seen == {(f"sqlite:///{tmp_path / 'deploy' / 'var' / 'x.db'}?timeout=5",
                     tmp_path / "deploy" / "var" / "outbox")}


@pytest.mark.parametrize(("line", "key"), [
    ('database_url = "sqlite:///vra/x.db"', "database_url"),
    ('outbox_dir = "nowhere/outbox"', "outbox_dir"),
])
def test_a_mistyped_folder_is_a_config_error_not_a_new_database(tmp_path: Path, line: str,
                                                                 key: str) -> None:
    """Only the data folder var/ is created when missing; another missing folder is named."""
    text = BASE.replace('database_url = "sqlite:///var/x.db"\n', "")
    cfg = write(tmp_path, f"{line}\n{text}")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg, env_file=None, environ={})
    assert info.value.key == key and "does not exist" in str(info.value)
    assert not (tmp_path / "vra").exists() and not (tmp_path / "nowhere").exists()


def test_one_image_policy_per_target(tmp_path: Path) -> None:
    """X attaches by default, Telegram's photo flag maps onto ``image``, contradictions are refused."""
    x = '\n[[targets]]\nname = "xa"\nplatform = "x"\n'
    settings = load_settings(write(tmp_path, BASE + x), env_file=None, environ={})
    assert settings.target("xa").image_policy == "attach"
    assert settings.target("tg").image_policy == "link-card"
    assert settings.target("xa").on_image_error == "post-without"
    photo = BASE.replace('chat = "@news"', 'chat = "@news"\nphoto = true')
    assert load_settings(write(tmp_path, photo), env_file=None,
                         environ={}).target("tg").image_policy == "attach"
    clash = BASE.replace('chat = "@news"', 'chat = "@news"\nphoto = true\nimage = "off"')
    with pytest.raises(ConfigError, match="contradicts"):
        load_settings(write(tmp_path, clash), env_file=None, environ={})
    with pytest.raises(ConfigError, match="Telegram key"):
        load_settings(write(tmp_path, BASE + x + "photo = true\n"), env_file=None, environ={})
