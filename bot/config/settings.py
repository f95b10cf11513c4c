"""Settings: ``config/crosspost.toml`` < ``.env`` < ``CROSSPOST_*`` environment. The only config reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config.schedule import ScheduleConfig
from bot.domain.models import Platform, Priority
from bot.domain.schedule.parse import parse_duration

DEFAULT_CONFIG = Path("config/crosspost.toml")
ENV_PREFIX = "CROSSPOST_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _blank_is_none(value: object) -> object:
    """A secret set to "" (or spaces) is not set."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class TelegramSettings(_Section):
    """``[telegram]``: the bot's token and where the Bot API lives."""

    _blank = field_validator("bot_token", mode="before")(_blank_is_none)

    bot_token: SecretStr | None = None
    api_base_url: str = "https://api.telegram.org"
    timeout: float = Field(default=15.0, gt=0)
    staff_user_ids: list[int] = Field(default_factory=list)
    approver_user_ids: list[int] | None = Field(
        default=None, description="who decides on stories waiting for approval; default: staff")
    messages_per_second: float = Field(default=30.0, gt=0)
    messages_per_chat_per_minute: int = Field(default=20, gt=0)

    def approvers(self) -> list[int]:
        """The Telegram users who may approve or reject stories."""
        return self.staff_user_ids if self.approver_user_ids is None else self.approver_user_ids


class XSettings(_Section):
    """``[x]``: OAuth 1.0a user-context credentials and the API host."""

    _blank = field_validator("api_key", "api_secret", "access_token", "access_token_secret",
                             mode="before")(_blank_is_none)

    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    api_base_url: str = "https://api.x.com"
    timeout: float = Field(default=15.0, gt=0)

    def missing(self) -> list[str]:
        """Names of the credentials that are not set."""
        names = ("api_key", "api_secret", "access_token", "access_token_secret")
        return [n for n in names if getattr(self, n) is None]


class RetrySettings(_Section):
    """``[retry]``: backoff for transient failures."""

    max_attempts: int = Field(default=6, ge=1)
    base_delay: float = Field(default=5.0, gt=0, description="seconds before the 2nd attempt")
    max_delay: float = Field(default=900.0, gt=0, description="cap on one wait, seconds")
    jitter: float = Field(default=0.2, ge=0, le=1)


class FetchSettings(_Section):
    """``[fetch]``: how story pages and feeds are fetched."""

    timeout: float = Field(default=10.0, gt=0)
    max_bytes: int = Field(default=5_000_000, gt=0)
    image_max_bytes: int = Field(default=50_000_000, gt=0)
    user_agent: str = "crosspost/0.1 (+https://github.com/crosspost/crosspost)"
    allow_private_networks: bool = False
    allow_hosts: list[str] = Field(default_factory=list)


class FeedConfig(_Section):
    """``[[feeds]]``: an RSS/Atom feed polled for new stories."""

    name: str = Field(min_length=1)
    url: str
    interval: str = "5m"
    targets: list[str] | None = None
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    priority: Priority = Priority.NORMAL
    backfill: int = Field(default=0, ge=0)
    follow_edits: bool = False  # an item whose text or title changed edits its story
    approval: bool = False


class ApprovalSettings(_Section):
    """``[approval]``: which sources need an editor's approval and how long a story waits."""

    sources: list[Literal["cli", "import", "api", "telegram", "feed"]] = Field(
        default_factory=list)
    timeout: str | None = Field(default=None, description='e.g. "6h"; default: wait for ever')
    on_timeout: Literal["expire", "approve"] = "expire"

    @field_validator("timeout")
    @classmethod
    def _timeout(cls, value: str | None) -> str | None:
        if value is not None and not parse_duration(value):
            raise ValueError(f'"{value}" would settle every story at once; leave timeout out '
                             "to wait for ever")
        return value


class ApiSettings(_Section):
    """``[api]``: the HTTP API for the CMS."""

    _blank = field_validator("token", mode="before")(_blank_is_none)

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    token: SecretStr | None = None
    max_body_bytes: int = Field(default=1_000_000, gt=0)


class WorkerSettings(_Section):
    """``[workers]``: several ``crosspost run`` on one PostgreSQL database share the targets."""

    lease_seconds: float = Field(default=15.0, ge=3.0, le=600.0)


class WebUser(_Section):
    """``[[web.users]]``: one staff account of the web desk."""

    name: str = Field(min_length=1, max_length=100)
    password_hash: str = Field(min_length=1, description="from `crosspost web hash-password`")
    role: Literal["editor", "viewer"] = "viewer"

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: str) -> str:
        if not value.startswith("$argon2"):
            raise ValueError("not an argon2 hash: make one with `crosspost web hash-password`")
        return value


class WebSettings(_Section):
    """``[web]``: the staff web desk, served with the HTTP API at ``/``."""

    enabled: bool = False
    users: list[WebUser] = Field(default_factory=list)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    sign_in_attempts: int = Field(default=5, ge=1, description="failures per 15 minutes per "
                                  "address and per name before sign-in is refused for a while")

    @field_validator("users")
    @classmethod
    def _unique(cls, users: list[WebUser]) -> list[WebUser]:
        names = [u.name for u in users]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"user {name!r} appears twice")
        return users


class TargetConfig(_Section):
    """``[[targets]]``: one Telegram channel or X account."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    platform: Platform
    chat: str | None = None
    schedule: str = "default"
    enabled: bool = True
    dry_run: bool | None = None
    on_uncertain: Literal["review", "repost"] = "review"
    link_preview: Literal["off", "small", "large", "above"] = "small"
    photo: bool | None = None
    image: Literal["attach", "link-card", "off"] | None = None
    on_image_error: Literal["post-without", "fail"] = "post-without"
    summary_chars: int | None = Field(default=None, gt=0)
    max_length: int = Field(default=280, ge=40)
    thread: bool = False
    hashtags: list[str] = Field(default_factory=list)
    template: str | None = None
    approval: bool = False
    on_edit: Literal["edit", "reply", "none"] = "edit"  # how an edited story reaches its posts
    correction_template: str = Field(default="Correction: {title} {url}", min_length=1)


    @model_validator(mode="after")
    def _one_image_policy(self) -> TargetConfig:
        if self.photo is not None and self.platform is not Platform.TELEGRAM:
            raise ValueError("photo is a Telegram key; X targets say image = \"attach\" | "
                             "\"link-card\" | \"off\"")
        if self.photo is not None and self.image is not None \
                and self.photo != (self.image == "attach"):
            raise ValueError(f"photo = {str(self.photo).lower()} contradicts "
                             f"image = \"{self.image}\"; keep one of them")
        return self

    @property
    def image_policy(self) -> str:
        """``attach``, ``link-card`` or ``off``: ``image``, else ``photo`` (Telegram), else the
        platform's default (X attaches, Telegram shows the link preview)."""
        if self.image is not None:
            return self.image
        if self.photo is not None:
            return "attach" if self.photo else "link-card"
        return "attach" if self.platform is Platform.X else "link-card"


class Settings(BaseSettings):
    """Everything the bot reads from config; built once and passed down."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        env_ignore_empty=True,
    )

    _toml_data: ClassVar[dict[str, Any]] = {}

    database_url: str = "sqlite:///var/crosspost.db"
    timezone: str = "UTC"
    outbox_dir: Path = Path("var/outbox")
    dry_run: bool = True
    log_format: Literal["text", "json"] = "text"
    sqlite_durable_claims: bool = True
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    x: XSettings = Field(default_factory=XSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    approval: ApprovalSettings = Field(default_factory=ApprovalSettings)
    workers: WorkerSettings = Field(default_factory=WorkerSettings)


    web: WebSettings = Field(default_factory=WebSettings)
    schedules: dict[str, ScheduleConfig] = Field(default_factory=dict)
    targets: list[TargetConfig] = Field(default_factory=list)
    feeds: list[FeedConfig] = Field(default_factory=list)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Precedence, highest first: init kwargs, environment, .env, the TOML file."""
        return init_settings, env_settings, dotenv_settings, _DictSource(settings_cls, cls._toml_data)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r} (e.g. 'Europe/Kyiv')") from None
        return value

    def target(self, name: str) -> TargetConfig:
        """The target called ``name``."""
        for target in self.targets:
            if target.name == name:
                return target
        raise KeyError(name)

    def is_dry_run(self, target: TargetConfig) -> bool:
        """A target's own ``dry_run`` wins over the global one."""
        return self.dry_run if target.dry_run is None else target.dry_run

    def schedule_for(self, target: TargetConfig) -> ScheduleConfig:
        """The schedule a target names; ``default`` exists even when not configured."""
        return self.schedules.get(target.schedule) or ScheduleConfig()


class _DictSource(PydanticBaseSettingsSource):
    """Feeds already-parsed TOML data to pydantic-settings as the lowest source."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        """Unused: ``__call__`` returns the whole mapping."""
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        """The TOML mapping."""
        return dict(self._data)
