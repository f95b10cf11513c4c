"""Request and response shapes of the HTTP API (the OpenAPI document is built from these)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from bot.domain.models import Priority


def _storable(value: str) -> str:
    """Refuse text no database stores faithfully (NUL, lone surrogates)."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


class ArticleIn(BaseModel):
    """A story from the CMS: the fields of a ``queue import`` line. A URL alone is fetched."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"url": "https://news.example.com/2026/05/harbour-reopens",
                      "title": "Harbour reopens after storm", "text": "The harbour reopened…",
                      "priority": "normal"}]})

    url: Text = Field(min_length=1, max_length=2048, description="The story's http(s) URL.")
    title: Text | None = Field(default=None, max_length=1000,
                               description="Without a title the page is fetched and extracted.")
    text: Text | None = Field(default=None, max_length=200_000)
    image_url: Text | None = Field(default=None, max_length=2048)
    image_alt: Text | None = Field(default=None, max_length=5000,
                                   description="The image's alt text (X keeps 1000 characters).")
    priority: Priority | None = None
    targets: list[Annotated[Text, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, max_length=100, description="Target names; default: every enabled target.")
    not_before: AwareDatetime | None = Field(
        default=None, description="Not posted before this time (with a timezone offset).")
    language: Text | None = Field(default=None, max_length=16)
    tags: list[Annotated[Text, Field(max_length=100)]] = Field(default_factory=list,
                                                                max_length=50)
    needs_approval: bool | None = Field(
        default=None, description="Wait for an editor's approval before anything goes out.")

    def mapping(self) -> dict[str, Any]:
        """The same mapping a ``queue import`` line gives ``draft_from_mapping``."""
        data = self.model_dump(exclude_none=True, mode="json")
        if not data.get("tags"):
            data.pop("tags", None)
        return data


class ApproveIn(BaseModel):
    """An editor approves a story waiting for review (all its waiting targets, or one)."""

    model_config = ConfigDict(extra="forbid")

    target: Text | None = Field(default=None, max_length=200,
                                description="Only this target; default: every waiting target.")
    text: Text | None = Field(default=None, max_length=20_000, description=(
        "The editor's own text for the target (X text, or Telegram HTML), checked against the "
        "platform's limits; replaces the composed post. Needs `target` when several wait."))
    by: Text | None = Field(default=None, max_length=200,
                            description="Who decided (shown to the other editors).")


class RejectIn(BaseModel):
    """An editor rejects a story waiting for review (all its waiting targets, or one)."""

    model_config = ConfigDict(extra="forbid")

    target: Text | None = Field(default=None, max_length=200,
                                description="Only this target; default: every waiting target.")
    reason: Text | None = Field(default=None, max_length=1000)
    by: Text | None = Field(default=None, max_length=200,
                            description="Who decided (shown to the other editors).")


class Decided(BaseModel):
    """What an approve or reject did: the targets decided, and the story now."""

    id: int
    decided: list[str]
    article: dict[str, Any]


class Moved(BaseModel):
    """What cancel or retry did: how many deliveries changed, and the story now."""

    id: int
    moved: int
    article: dict[str, Any]


class WorkerHealth(BaseModel):
    """The worker that answered (several workers on PostgreSQL)."""

    id: str
    host: str
    pid: int
    targets: list[str]


class Health(BaseModel):
    """``/healthz``: database reachable and scheduler alive, and which worker answered."""

    ok: bool
    database: str
    scheduler: str
    worker: WorkerHealth | None = None
    """On PostgreSQL: the worker that answered (absent on SQLite)."""


class Problem(BaseModel):
    """An error answer with one message."""

    detail: str


PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "The body could not be decoded."},
    401: {"model": Problem, "description": "Missing or wrong bearer token."},
    404: {"model": Problem, "description": "No story with that id."},
    409: {"model": Problem, "description": "Nothing waits for approval there (already decided)."},
    413: {"model": Problem, "description": "Request body too large."},
}
