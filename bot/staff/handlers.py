"""The staff conversation's handlers: a gate for strangers, links, forwards and commands."""

from __future__ import annotations

import asyncio
import logging

from telegram import LinkPreviewOptions, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.daemon.runtime import Runtime
from bot.domain.errors import FetchError, InputError, NotFoundError
from bot.domain.models import DeliveryState
from bot.intake.queueing import draft_of
from bot.intake.stories import queue_story
from bot.reports.preview import preview_data
from bot.reports.status import status_data, status_text
from bot.reports.views import in_line
from bot.staff import replies
from bot.staff.approvals import NOT_APPROVER, ApprovalDesk
from bot.staff.corrections import StaffCorrections

log = logging.getLogger("crosspost.staff")

Context = ContextTypes.DEFAULT_TYPE
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def links_in(message: Message) -> str | None:
    """The first link of a message or forward: link entities first, then the plain text."""
    found: list[str] = []
    kinds: list[str | None] = [MessageEntity.URL, MessageEntity.TEXT_LINK]
    for entity, text in [*message.parse_entities(kinds).items(),
                         *message.parse_caption_entities(kinds).items()]:
        found.append(entity.url if entity.type == MessageEntity.TEXT_LINK and entity.url
                     else text)
    return replies.first_link([*found, message.text or "", message.caption or ""])


class StaffHandlers:
    """Callbacks bound to the running app (settings are read per message, so reloads apply)."""

    def __init__(self, app: Runtime, desk: ApprovalDesk) -> None:
        self.app = app
        self.desk = desk
        self.corrections = StaffCorrections(app, self.say)

    async def say(self, update: Update, context: Context, text: str,
                  parse_mode: str | None = None) -> None:
        """Answer in the chat the update came from."""
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_message(chat.id, text, parse_mode=parse_mode,
                                       link_preview_options=NO_PREVIEW)

    async def gate(self, update: Update, context: Context) -> None:
        """Only private chats with staff go further, and approvers' buttons, edits and reasons;
        strangers get a short refusal (a refused button press, an alert)."""
        chat, user = update.effective_chat, update.effective_user
        if update.callback_query is not None:
            if user is None or not self.desk.is_approver(user.id):
                log.info("refused a button press from a non-approver",
                         extra={"user_id": user.id if user else None})
                await update.callback_query.answer(NOT_APPROVER, show_alert=True)
                raise ApplicationHandlerStop
            return
        if chat is None or chat.type != ChatType.PRIVATE or update.effective_message is None:
            raise ApplicationHandlerStop
        message = update.effective_message
        if user is not None and self.desk.is_approver(user.id) and (
                self.desk.expects(user.id, message, context.bot.id)
                or (message.text or "").startswith("/skip")):
            return
        if user is None or user.id not in self.app.settings.telegram.staff_user_ids:
            log.info("refused a message from a non-staff user",
                     extra={"user_id": user.id if user else None})
            await self.say(update, context, replies.REFUSAL)
            raise ApplicationHandlerStop

    async def help(self, update: Update, context: Context) -> None:
        """``/help``, ``/start``, unknown commands and messages without a link."""
        await self.say(update, context, replies.HELP)

    async def message(self, update: Update, context: Context) -> None:
        """A link (typed, pasted or in a forward): queue it, answer with times and previews."""
        if await self.desk.take_reason(update, context,
                                       replies_only=self.corrections.waiting(context)):
            return  # why an approver rejected a story
        if await self.desk.take_edit(update, context):
            return
        message = update.effective_message
        assert message is not None and update.effective_user is not None
        if await self.corrections.pending_text(update, context):
            return  # the corrected text an /edit asked for
        url = links_in(message)
        if url is None:
            await self.help(update, context)
            return
        source = f"telegram:{update.effective_user.id}"
        try:
            added = await asyncio.to_thread(queue_story, self.app.intake, {"url": url},
                                            source=source, by=source)
            article, deliveries = await asyncio.to_thread(self.app.queue.get_article,
                                                          added.article_id)
            deliveries = await asyncio.to_thread(in_line, self.app.queue, deliveries,
                                                 self.app.clock.now())
        except FetchError as exc:
            await self.say(update, context, f"I could not read that link: {exc}\n"
                                            "Nothing was queued.")
            return
        except InputError as exc:
            await self.say(update, context, f"I cannot queue that story: {exc}")
            return
        tz = self.app.settings.timezone
        await self.say(update, context, replies.story_reply(
            article, deliveries, created=added.created, tz=tz))
        configured = {t.name: t for t in self.app.settings.targets}
        targets = [configured[d.target] for d in deliveries if d.target in configured]
        preview = await asyncio.to_thread(preview_data, draft_of(article), targets)
        for text, mode in replies.preview_messages(preview):
            try:
                await self.say(update, context, text, parse_mode=mode)
            except BadRequest as exc:  # shown as plain text rather than not at all
                log.warning("preview refused as HTML", extra={"error": str(exc)})
                await self.say(update, context, replies.clip(text))

    async def queue(self, update: Update, context: Context) -> None:
        """``/queue``: what is waiting."""
        waiting = await asyncio.to_thread(self.app.queue.list_articles,
                                          state=DeliveryState.PENDING, limit=20)
        await self.say(update, context,
                       replies.queue_reply(list(reversed(waiting)), self.app.settings.timezone))

    async def status(self, update: Update, context: Context) -> None:
        """``/status``: the same report as ``crosspost status``."""
        app = self.app
        data = await asyncio.to_thread(status_data, settings=app.settings, clock=app.clock,
                                       queue=app.queue, state=app.state, engine=app.engine,
                                       revisions=app.revisions)
        await self.say(update, context,
                       replies.clip(status_text(data, self.app.settings.timezone)))

    async def cancel(self, update: Update, context: Context) -> None:
        """``/cancel ID``: stop every delivery of a story that has not gone out."""
        args = context.args or []
        if len(args) != 1 or not args[0].lstrip("#").isdigit():
            await self.say(update, context, "Usage: /cancel ID (the number from /queue)")
            return
        article_id = int(args[0].lstrip("#"))
        try:
            article, _ = await asyncio.to_thread(self.app.queue.get_article, article_id)
            moved = await asyncio.to_thread(self.app.intake.cancel, article_id,
                                            by=f"telegram:{update.effective_user.id}"
                                            if update.effective_user else "telegram")
        except NotFoundError:
            await self.say(update, context, f"There is no story #{article_id}.")
            return
        if moved:
            text = (f"Cancelled #{article_id}: {article.title} "
                    f"({moved} post{'s' if moved != 1 else ''} will not go out).")
        else:
            text = f"Nothing of #{article_id} was waiting; nothing was cancelled."
        await self.say(update, context, text)

    async def failed(self, update: object, context: Context) -> None:
        """Any other failure: logged, and the staff member told in plain words."""
        log.error("staff chat handler failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id,
                "Something went wrong on my side; nothing was changed. Please try again, "
                "or ask an admin to look at the logs.")
