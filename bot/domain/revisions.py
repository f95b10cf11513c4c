"""After a post is out: corrections, takedowns and confirmations, as plain data and pure rules.

A **revision** is one change to one delivery after the story was stored: the new text carried
to the platform (``edit``: the posts are edited in place; ``reply``: a correction is posted as a
reply), an edit only recorded (``record``), a takedown (``delete``), or a staff member settling
an unknown outcome (``confirm``). Revisions that reach a platform go through the same lanes as
posts: claimed (``sending``) before the call, recorded after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.models import DeliveryState, Platform, Post

ON_EDIT_CHOICES = ("edit", "reply", "none")
DEFAULT_CORRECTION_TEMPLATE = "Correction: {title} {url}"


class RevisionKind(StrEnum):
    """What a revision does on the platform."""

    EDIT = "edit"        # edit every message/post of the delivery in place
    REPLY = "reply"      # post a correction as a reply to the first post
    RECORD = "record"    # on_edit = "none", or nothing was out yet: the edit is only recorded
    DELETE = "delete"    # takedown: delete every post of the delivery
    CONFIRM = "confirm"  # staff settled a needs_review delivery


class RevisionState(StrEnum):
    """Life of one revision."""

    PENDING = "pending"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"  # a later edit or a takedown made it moot before it ran


OPEN_REVISION_STATES = frozenset({RevisionState.PENDING, RevisionState.SENDING})

#: deliveries whose posts (some or all) may be on the platform
OUT_STATES = frozenset({DeliveryState.PUBLISHED})


@dataclass
class Revision:
    """One change to one delivery after it was stored, with everything about how it went.

    ``done_ids`` is the progress of an interrupted attempt: for an edit, the ids of the parts
    already edited (X gives an edited post a new id), for a delete, the ids already deleted.
    ``result_ids`` are posts this revision made (a correction reply), which a takedown deletes too.
    """

    id: int
    delivery_id: int
    article_id: int
    target: str
    platform: Platform
    kind: RevisionKind
    state: RevisionState
    created_at: datetime
    updated_at: datetime
    planned_at: datetime | None = None
    finished_at: datetime | None = None
    parts: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    requested_by: str | None = None
    reason: str | None = None
    attempt_id: str | None = None
    attempts: int = 0
    retries: int = 0
    done_ids: tuple[str, ...] = ()
    result_ids: tuple[str, ...] = ()
    outcome: str | None = None
    error: str | None = None
    error_kind: str | None = None

    @property
    def open(self) -> bool:
        """Still to be applied (or being applied)."""
        return self.state in OPEN_REVISION_STATES


@dataclass(frozen=True)
class DeliveryChange:
    """What an edit of a story does to one of its deliveries: the post composed again, the
    target's ``on_edit``, and the correction reply's text should the target say ``reply``."""

    delivery_id: int
    post: Post
    on_edit: str = "edit"
    correction: str = ""


@dataclass(frozen=True)
class StoryChange:
    """New fields of a story (``None``: unchanged) and who asked."""

    title: str | None = None
    text: str | None = None
    image_url: str | None = None
    requested_by: str = "cli"

    @property
    def changed(self) -> tuple[str, ...]:
        """Names of the fields that change."""
        return tuple(name for name in ("title", "text", "image_url")
                     if getattr(self, name) is not None)


def edit_kind(state: DeliveryState, on_edit: str, *, in_flight: bool) -> RevisionKind:
    """How an edit reaches a delivery in ``state`` whose target says ``on_edit``.

    Posts that are out are corrected as the target says; a send in flight gets the target's kind
    too (it is applied once the send has ended, and only if the post went out); anything not out
    just carries the new text, which is recorded.
    """
    if state not in OUT_STATES and not in_flight:
        return RevisionKind.RECORD
    if on_edit == "edit":
        return RevisionKind.EDIT
    if on_edit == "reply":
        return RevisionKind.REPLY
    return RevisionKind.RECORD


def correction_text(template: str, *, title: str, url: str, limit: int,
                    measure: Callable[[str], int] = len) -> str:
    """The correction reply from ``template`` (``{title}``, ``{url}``), the title cut to fit.

    ``measure`` counts a text's length as the platform does (X's weighted length).
    """
    words = title.split()
    while True:
        shown = " ".join(words)
        if len(words) < len(title.split()):
            shown += "…"
        text = template.replace("{title}", shown).replace("{url}", url).strip()
        if measure(text) <= limit or not words:
            return text
        words = words[:-1]
