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
