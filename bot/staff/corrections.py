"""The staff chat's ``/edit``, ``/takedown`` and ``/confirm``: change a story after it is out.

``/edit ID`` asks for the corrected text; the staff member's next message is it (a first line
``Title: …`` corrects the headline). ``/edit ID text…`` does it in one message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot.daemon.runtime import Runtime
from bot.domain.errors import InputError, NotFoundError
from bot.domain.revisions import Revision, StoryChange

log = logging.getLogger("crosspost.staff")

Context = ContextTypes.DEFAULT_TYPE
Say = Callable[[Update, Context, str], Awaitable[None]]
EDITING = "crosspost.editing"  # user_data key: the story whose corrected text comes next


def parse_correction(message: str) -> tuple[str | None, str | None]:
    """(headline, text) of a correction message: a first line ``Title: …`` is the headline,
    the rest the story text (``None`` where not given)."""
    first, _, rest = message.strip().partition("\n")
    if first.lower().startswith("title:"):
        return first[6:].strip() or None, rest.strip() or None
    return None, message.strip() or None


def _story_id(arg: str) -> int | None:
    arg = arg.lstrip("#")
    return int(arg) if arg.isdigit() else None


def _summary(made: list[Revision]) -> str:
    return "\n".join(f"• {r.target}: {r.kind.value} ({r.outcome or r.state.value})"
                     for r in made)


class StaffCorrections:
    """Handlers bound to the running app; answers go through ``say``."""

    def __init__(self, app: Runtime, say: Say) -> None:
        self.app = app
        self.say = say

    @staticmethod
    def _who(update: Update) -> str:
        user = update.effective_user
        return f"telegram:{user.id}" if user else "telegram"

    async def edit(self, update: Update, context: Context) -> None:
        """``/edit ID``: the next message is the corrected text (or ``/edit ID text…``)."""
        args = context.args or []
        article_id = _story_id(args[0]) if args else None
        if article_id is None:
            await self.say(update, context, "Usage: /edit ID, then send the corrected text "
                                            "(a first line 'Title: …' corrects the headline).")
            return
        if len(args) > 1:
            message = update.effective_message
            text = (message.text or "") if message else ""
            await self._apply(update, context, article_id, text.split(maxsplit=2)[2])
            return
        try:
            article, _ = await asyncio.to_thread(self.app.queue.get_article, article_id)
        except NotFoundError:
            await self.say(update, context, f"There is no story #{article_id}.")
            return
        assert context.user_data is not None
        context.user_data[EDITING] = article_id
        await self.say(update, context, f"Send the corrected text of #{article_id}: "
                                        f"{article.title}\n(a first line 'Title: …' corrects "
                                        "the headline; /cancel_edit to leave it as it is)")

    async def cancel_edit(self, update: Update, context: Context) -> None:
        """``/cancel_edit``: forget a pending ``/edit``."""
        assert context.user_data is not None
        article_id = context.user_data.pop(EDITING, None)
        await self.say(update, context, f"#{article_id} stays as it is." if article_id
                       else "No edit was waiting.")

    @staticmethod
    def waiting(context: Context) -> bool:
        """Whether an ``/edit`` waits for its text (the next message)."""
        return context.user_data is not None and EDITING in context.user_data

    async def pending_text(self, update: Update, context: Context) -> bool:
        """If an ``/edit`` waits for its text, this message is it: apply it (True)."""
        message = update.effective_message
        data = context.user_data
        if data is None or EDITING not in data or message is None or not message.text:
            return False
        article_id = int(data.pop(EDITING))
        await self._apply(update, context, article_id, message.text)
        return True

    async def _apply(self, update: Update, context: Context, article_id: int, text: str) -> None:
        title, body = parse_correction(text)
        change = StoryChange(title=title, text=body, requested_by=self._who(update))
        try:
            made = await asyncio.to_thread(self.app.corrections.edit, article_id, change)
        except NotFoundError:
            await self.say(update, context, f"There is no story #{article_id}.")
            return
        except InputError as exc:
            await self.say(update, context, f"I cannot make that correction: {exc}")
            return
        waiting = sum(r.open for r in made)
        await self.say(update, context, f"Corrected #{article_id}; {waiting} post(s) to correct "
                                        f"on the platforms.\n{_summary(made)}")

    async def takedown(self, update: Update, context: Context) -> None:
        """``/takedown ID [reason]``: delete every post of the story, send nothing more."""
        args = context.args or []
        article_id = _story_id(args[0]) if args else None
        if article_id is None:
            await self.say(update, context, "Usage: /takedown ID [reason]")
            return
        reason = " ".join(args[1:]) or None
        try:
            made = await asyncio.to_thread(self.app.corrections.takedown, article_id,
                                           reason=reason, requested_by=self._who(update))
        except NotFoundError:
            await self.say(update, context, f"There is no story #{article_id}.")
            return
        deleting = sum(r.open for r in made)
        await self.say(update, context, f"Taking down #{article_id}: {deleting} deliver"
                                        f"{'y' if deleting == 1 else 'ies'} to delete.\n"
                                        f"{_summary(made)}")

    async def confirm(self, update: Update, context: Context) -> None:
        """``/confirm ID TARGET [POST_ID | not-posted]``: settle a post whose fate was unknown."""
        args = context.args or []
        article_id = _story_id(args[0]) if args else None
        if article_id is None or len(args) not in (2, 3):
            await self.say(update, context, "Usage: /confirm ID TARGET [POST_ID | not-posted]")
            return
        target = args[1]
        extra = args[2] if len(args) == 3 else None
        not_posted = extra == "not-posted"
        try:
            made = await asyncio.to_thread(
                self.app.corrections.confirm, article_id, target,
                post_id=None if not_posted else extra, not_posted=not_posted,
                requested_by=self._who(update))
        except (NotFoundError, InputError) as exc:
            await self.say(update, context, f"I cannot confirm that: {exc}")
            return
        await self.say(update, context, f"#{article_id} on {target}: {made.outcome}.")
