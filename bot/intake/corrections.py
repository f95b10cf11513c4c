"""Changing a stored story after the fact, whatever the door: edit, take down, confirm.

Every door (CLI, API, staff chat, web desk, feeds with ``follow_edits``) calls these; the
daemon's lanes carry the resulting revisions to the platforms (``bot.revising``). What staff ask
for is noted in the story's staff actions in the same commit, under ``requested_by`` (which
names the door: ``web:erin``, ``cli:sam``, ``api``, ``telegram:111``); a feed's edit is not
staff's and is not noted; a refused operation notes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import replace

from bot.compose.corrections import correction_for
from bot.domain.errors import InputError
from bot.domain.ports import Clock
from bot.domain.revisions import DeliveryChange, Revision, StoryChange
from bot.intake.fields import checked_post_id, checked_url
from bot.intake.queueing import Intake, draft_of
from bot.store.desk import StaffNote
from bot.store.revisions import RevisionStore

log = logging.getLogger("crosspost.corrections")


class Corrections:
    """Edits, takedowns and confirmations of stored stories."""

    def __init__(self, *, intake: Intake, revisions: RevisionStore, clock: Clock,
                 on_change: Callable[..., object] | None = None) -> None:
        self.intake = intake
        self.revisions = revisions
        self.clock = clock
        self.on_change = on_change

    def _changed(self, article_id: int, targets: Collection[str]) -> None:
        """Have the story planned on its targets only (a takedown frees places in their
        horizons, a confirmation moves their history), not the whole queue."""
        if self.on_change is not None:
            self.on_change(targets=sorted(set(targets)), articles=[article_id])

    def edit(self, article_id: int, change: StoryChange, *, staff: bool = True) -> list[Revision]:
        """Store new fields of a story and compose every target's post again.

        Unsent deliveries carry the new text; published ones get a revision of their target's
        ``on_edit`` kind. ``InputError`` if nothing changes or a field is refused. ``staff``:
        a person asked (noted in the staff actions); a feed's ``follow_edits`` passes False.
        """
        if not change.changed:
            raise InputError("nothing to change: give a new title, text or image URL")
        article, found = self.intake.store.get_article(article_id)
        draft = replace(draft_of(article), targets=None)
        if change.title is not None:
            draft = replace(draft, title=change.title)
        if change.text is not None:
            draft = replace(draft, text=change.text)
        if change.image_url is not None:
            draft = replace(draft, image_url=change.image_url or None)
        draft = self.intake.validate(draft)
        change = replace(change, title=draft.title if change.title is not None else None,
                         text=draft.text if change.text is not None else None)
        targets = {t.name: t for t in self.intake.settings.targets}
        changes = []
        for d in found:
            target = targets.get(d.target)
            if target is None:
                continue  # a target no longer configured keeps what it had
            changes.append(DeliveryChange(
                d.id, self.intake.composer(draft, target), on_edit=target.on_edit,
                correction=correction_for(d.platform, target.correction_template, draft.title,
                                          article.url)))
        digest = hashlib.sha256(f"{draft.title}\n{draft.text}".encode()).hexdigest()
        note = StaffNote(change.requested_by, "edited story",
                         "changed " + ", ".join(change.changed)) if staff else None
        made = self.revisions.edit_story(article_id, change, changes, self.clock.now(),
                                         content_hash=digest, staff=note)
        log.info("story edited", extra={"article": article_id, "changed": ",".join(change.changed),
                                        "by": change.requested_by,
                                        "corrections": sum(r.open for r in made)})
        self._changed(article_id, [d.target for d in found])
        return made

    def takedown(self, article_id: int, *, reason: str | None, requested_by: str) -> list[Revision]:
        """Withdraw a story: cancel what has not gone out, delete what has."""
        made = self.revisions.takedown(article_id, requested_by=requested_by,
                                       reason=reason or None, now=self.clock.now(),
                                       staff=StaffNote(requested_by, "took down", reason or None))
        log.info("story taken down", extra={"article": article_id, "by": requested_by,
                                            "reason": reason, "deletes": sum(r.open for r in made)})
        self._changed(article_id, [r.target for r in made])
        return made

    def confirm(self, article_id: int, target: str, *, post_id: str | None = None,
                permalink: str | None = None, not_posted: bool = False,
                requested_by: str) -> Revision:
        """Settle a ``needs_review`` delivery as published (or, ``not_posted``, send again).

        A permalink, when given, must be an http(s) URL (checked as a story's URL is; a blank
        one counts as not given), so no door stores a link the desk could not safely show; a
        post id must be the post's number on its platform (edits and deletions address it)."""
        if not_posted and (post_id or permalink):
            raise InputError("--not-posted takes no post id or permalink")
        permalink = checked_url(permalink, "permalink") if permalink and permalink.strip() \
            else None
        post_id = checked_post_id(post_id) if post_id and post_id.strip() else None
        note = StaffNote(requested_by, "confirmed not posted") if not_posted else StaffNote(
            requested_by, "confirmed posted",
            ", ".join(x for x in (post_id, permalink) if x) or None)
        made = self.revisions.confirm(article_id, target, post_id=post_id, permalink=permalink,
                                      not_posted=not_posted, requested_by=requested_by,
                                      now=self.clock.now(), staff=note)
        log.info("delivery confirmed", extra={"article": article_id, "target": target,
                                              "by": requested_by, "outcome": made.outcome})
        self._changed(article_id, [target])
        return made
