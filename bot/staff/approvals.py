"""The approvers' desk in Telegram: a private message per story waiting for review, its buttons,
and the edit and rejection-reason conversations.

The desk keeps every approver's message in step with the queue: ``sync`` sends a card for each
story nobody was told about yet and edits every open card whose content changed — after a
decision here, in the CLI or the API, or by the timeout — so a decided story shows who decided
it, without buttons, for every approver. Button presses and edited text go through ``Review``,
which decides each delivery once; a late press gets a polite refusal naming the first decision.

*Reject* rejects at once with ``DEFAULT_REASON`` (so the story is out of the way whatever happens
next), then asks the approver why with a reply prompt: their answer, within ``REASON_SECONDS``,
becomes the reason; ``-`` or no answer keeps the default; the reason is given once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
    User,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from bot.daemon.runtime import Runtime
from bot.domain.errors import ConflictError, InputError, NotFoundError
from bot.domain.models import Delivery, DeliveryState, Platform
from bot.intake.review import decision_line
from bot.staff.approval_cards import Card, Press, card, parse_press
from bot.staff.replies import clip

log = logging.getLogger("crosspost.staff")

Context = ContextTypes.DEFAULT_TYPE
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
NOT_APPROVER = "Only the newsroom's approvers can decide on stories."
STALE = "This button is no longer valid."
MAX_ANSWER = 200
UNNOTIFIED_BATCH = 20
"""Stories announced per sync (the rest follow a second later), so a burst stays paced."""
DEFAULT_REASON = "rejected in the staff chat"
"""The reason a rejection by button has until the approver gives theirs."""
KEEP_DEFAULT = "-"
"""The answer to the reason prompt that keeps ``DEFAULT_REASON``."""
REASON_SECONDS = 600.0
"""How long after *Reject* the approver's answer counts as the reason."""
REASON_HEAD = "Why was #"
"""How every reason prompt begins: a reply to such a message is an answer to it."""
REASON_PLACEHOLDER = "The reason, or - to keep the default"


@dataclass(frozen=True)
class Asked:
    """A reason asked of an approver: the story, the targets they rejected, the prompt's message
    id and until when an answer counts."""

    article_id: int
    targets: tuple[str, ...]
    prompt_id: int
    until: datetime


def reason_prompt(article_id: int, targets: Sequence[str], dropped: str | None = None) -> str:
    """What the bot asks an approver who pressed Reject (``dropped``: an edit it left)."""
    text = (f"{REASON_HEAD}{article_id} rejected on {', '.join(targets)}? Reply with the "
            f"reason, or {KEEP_DEFAULT} to keep \"{DEFAULT_REASON}\".")
    return text + (f"\n(Your edit of {dropped} is dropped.)" if dropped else "")


def prompt_answered(message: Message, bot_id: int) -> int | None:
    """The story of the reason prompt ``message`` replies to (``None``: not such a reply)."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return None
    found = re.match(re.escape(REASON_HEAD) + r"(\d+) ", replied.text or "")
    return int(found.group(1)) if found else None


def editor_name(user: User) -> str:
    """How a decision names a Telegram user: ``Ann (@ann, telegram:111)``."""
    handle = f"@{user.username}, " if user.username else ""
    return f"{user.full_name} ({handle}telegram:{user.id})"


def _short(text: str) -> str:
    return text if len(text) <= MAX_ANSWER else text[: MAX_ANSWER - 1] + "…"


def markup(c: Card) -> InlineKeyboardMarkup | None:
    """The card's buttons as an inline keyboard (``None`` when nothing is left to decide)."""
    if not c.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)
                                  for label, data in row] for row in c.buttons])


class ApprovalDesk:
    """Approvers' cards, button presses and edits, for the running app."""

    def __init__(self, app: Runtime) -> None:
        self.app = app
        self.editing: dict[int, tuple[int, int]] = {}  # approver → (story, delivery)
        self.reasons: dict[int, Asked] = {}  # approver → the reason asked of them
        self.reason_seconds = REASON_SECONDS
        self._lock = asyncio.Lock()
        self._seen: tuple[int, int] | None = None  # (queue revision, settings) fully shown

    def is_approver(self, user_id: int) -> bool:
        """Whether ``user_id`` may decide (``[telegram] approver_user_ids``, default staff)."""
        return user_id in self.app.settings.telegram.approvers()

    def expects(self, user_id: int, message: Message, bot_id: int) -> bool:
        """Whether ``message`` belongs to a conversation of this desk: the new text of an edit,
        the reason of a rejection, or a (late) reply to a reason prompt."""
        return (user_id in self.editing or self._asked(user_id) is not None
                or prompt_answered(message, bot_id) is not None)

    def _asked(self, user_id: int) -> Asked | None:
        """The reason still asked of ``user_id`` (one asked too long ago is forgotten)."""
        asked = self.reasons.get(user_id)
        if asked is not None and self.app.clock.now() > asked.until:
            self.reasons.pop(user_id, None)
            return None
        return asked

    # -- keeping the cards in step -----------------------------------------------------------
    async def sync(self, bot: Bot) -> None:
        """Send cards for stories nobody was told about; edit every card that changed.

        Cheap when nothing changed: every change a card shows (a new story, a decision, the
        timeout) moves the queue's revision, so an unchanged revision skips the work.
        """
        async with self._lock:
            key = (await asyncio.to_thread(self.app.queue.revision), id(self.app.settings))
            if key == self._seen:
                return
            complete = True
            approvals = self.app.review.approvals
            approvers = self.app.settings.telegram.approvers()
            if approvers:
                new = await asyncio.to_thread(approvals.unnotified, UNNOTIFIED_BATCH)
                complete = len(new) < UNNOTIFIED_BATCH
                for article_id in new:
                    await self._announce(bot, article_id, approvers)
            cards: dict[int, Card | None] = {}
            notices = await asyncio.to_thread(approvals.notices, open_only=True)
            for notice in notices:
                if notice.article_id not in cards:
                    cards[notice.article_id] = await asyncio.to_thread(
                        self._card, notice.article_id)
                current = cards[notice.article_id]
                if current is None:
                    continue
                if notice.message_id is None:  # the first try failed for a passing reason
                    complete &= await self._retry(bot, notice.id, notice.chat_id, current)
                elif current.fingerprint != notice.shown:
                    complete &= await self._show(bot, notice.id, notice.chat_id,
                                                 notice.message_id, current)
            if complete:
                self._seen = key

    async def refresh(self, bot: Bot, article_id: int) -> None:
        """Bring every approver's card about one story in step, decided ones too (``sync``
        leaves those be; a rejection's reason comes after its decision)."""
        async with self._lock:
            current = await asyncio.to_thread(self._card, article_id)
            if current is None:
                return
            notices = await asyncio.to_thread(self.app.review.approvals.notices, article_id)
            for n in notices:
                if n.message_id is not None and n.error is None and n.shown != current.fingerprint:
                    await self._show(bot, n.id, n.chat_id, n.message_id, current)

    def _card(self, article_id: int) -> Card | None:
        try:
            article, deliveries = self.app.queue.get_article(article_id)
        except NotFoundError:
            return None
        settings = self.app.settings
        return card(article, deliveries, settings.timezone,
                    {t.name: t.max_length for t in settings.targets})

    async def _announce(self, bot: Bot, article_id: int, approvers: list[int]) -> None:
        current = await asyncio.to_thread(self._card, article_id)
        if current is None:
            return
        now = self.app.clock.now()
        approvals = self.app.review.approvals
        for chat_id in approvers:
            try:
                sent = await self._send(bot, chat_id, current)
            except (BadRequest, Forbidden) as exc:  # e.g. never opened a chat with the bot
                log.warning("could not tell an approver",
                            extra={"article": article_id, "chat": chat_id, "error": str(exc)})
                await asyncio.to_thread(approvals.add_notice, article_id, chat_id,
                                        message_id=None, shown=None, open_=False, now=now,
                                        error=str(exc))
                continue
            except TelegramError as exc:  # passing (network, flood wait): tried again later
                log.warning("approver not told yet",
                            extra={"article": article_id, "chat": chat_id, "error": str(exc)})
                await asyncio.to_thread(approvals.add_notice, article_id, chat_id,
                                        message_id=None, shown=None, open_=True, now=now,
                                        error=str(exc))
                continue
            await asyncio.to_thread(approvals.add_notice, article_id, chat_id,
                                    message_id=sent, shown=current.fingerprint,
                                    open_=current.open, now=now)
        log.info("asked approvers", extra={"article": article_id, "approvers": len(approvers)})

    async def _send(self, bot: Bot, chat_id: int, current: Card) -> int:
        sent = await bot.send_message(chat_id, current.text, parse_mode=ParseMode.HTML,
                                      reply_markup=markup(current),
                                      link_preview_options=NO_PREVIEW)
        return sent.message_id

    async def _retry(self, bot: Bot, notice_id: int, chat_id: int, current: Card) -> bool:
        """Send a card whose first try failed for a passing reason; ``False`` if it failed
        again for such a reason."""
        approvals = self.app.review.approvals
        now = self.app.clock.now()
        if not current.open:  # decided meanwhile: nothing to ask any more
            await asyncio.to_thread(approvals.update_notice, notice_id, shown=current.fingerprint,
                                    open_=False, now=now)
            return True
        try:
            sent = await self._send(bot, chat_id, current)
        except (BadRequest, Forbidden) as exc:
            await asyncio.to_thread(approvals.update_notice, notice_id, shown=current.fingerprint,
                                    open_=False, now=now, error=str(exc))
            return True
        except TelegramError:
            return False
        await asyncio.to_thread(approvals.update_notice, notice_id, shown=current.fingerprint,
                                open_=True, now=now, message_id=sent)
        return True

    async def _show(self, bot: Bot, notice_id: int, chat_id: int, message_id: int,
                    current: Card) -> bool:
        """Edit an approver's card to ``current``; ``False`` if a passing failure kept it."""
        try:
            await bot.edit_message_text(current.text, chat_id=chat_id, message_id=message_id,
                                        parse_mode=ParseMode.HTML, reply_markup=markup(current),
                                        link_preview_options=NO_PREVIEW)
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():  # gone or too old: stop updating it
                log.warning("could not update an approver's message",
                            extra={"chat": chat_id, "message": message_id, "error": str(exc)})
                await asyncio.to_thread(self.app.review.approvals.update_notice, notice_id,
                                        shown=current.fingerprint, open_=False,
                                        now=self.app.clock.now(), error=str(exc))
                return True
        except TelegramError as exc:  # passing: the next sync tries again
            log.warning("approver's message not updated yet", extra={"error": str(exc)})
            return False
        await asyncio.to_thread(self.app.review.approvals.update_notice, notice_id,
                                shown=current.fingerprint, open_=current.open,
                                now=self.app.clock.now())
        return True

    # -- buttons -----------------------------------------------------------------------------
    async def press(self, update: Update, context: Context) -> None:
        """A button on a card: approve (all or one), edit one, or reject."""
        query = update.callback_query
        assert query is not None
        user = query.from_user
        if not self.is_approver(user.id):  # the gate refuses first; kept here for safety
            await query.answer(NOT_APPROVER, show_alert=True)
            return
        pressed = parse_press(query.data or "")
        if pressed is None:
            await query.answer(STALE, show_alert=True)
            return
        try:
            await self._act(query, pressed, user, context)
        finally:
            await self.sync(context.bot)

    async def _act(self, query: CallbackQuery, pressed: Press, user: User,
                   context: Context) -> None:
        review = self.app.review
        try:
            delivery = await asyncio.to_thread(self._delivery, pressed)
        except NotFoundError:
            await query.answer(STALE, show_alert=True)
            return
        target = delivery.target if delivery is not None else None
        by = editor_name(user)
        try:
            if pressed.action == "a":
                done = await asyncio.to_thread(review.approve, pressed.article_id, by=by,
                                               via="telegram", target=target)
                await query.answer(_short(f"Approved #{pressed.article_id} on "
                                          f"{', '.join(done.targets)}."))
            elif pressed.action == "r":
                done = await asyncio.to_thread(review.reject, pressed.article_id, by=by,
                                               via="telegram", target=target,
                                               reason=DEFAULT_REASON)
                await query.answer(_short(f"Rejected #{pressed.article_id} on "
                                          f"{', '.join(done.targets)}."))
                await self._ask_reason(context.bot, user.id, pressed.article_id, done.targets)
            else:
                assert delivery is not None
                if delivery.state is not DeliveryState.AWAITING_APPROVAL:
                    raise ConflictError(f"{delivery.target} was already decided")
                self.reasons.pop(user.id, None)  # one question at a time: the default stays
                self.editing[user.id] = (pressed.article_id, delivery.id)
                await query.answer(f"Send me the new text for {delivery.target}.")
                limit = {t.name: t.max_length for t in self.app.settings.targets}.get(
                    delivery.target, 280)
                await context.bot.send_message(user.id, edit_prompt(delivery, limit),
                                               link_preview_options=NO_PREVIEW)
        except ConflictError as exc:
            await query.answer(_short(f"Already decided, nothing changed: {exc}"),
                               show_alert=True)

    def _delivery(self, pressed: Press) -> Delivery | None:
        """The pressed delivery (``None`` for "all"); ``NotFoundError`` if it is not there."""
        _, found = self.app.queue.get_article(pressed.article_id)
        if pressed.delivery_id is None:
            return None
        for d in found:
            if d.id == pressed.delivery_id:
                return d
        raise NotFoundError(f"no delivery {pressed.delivery_id} in story {pressed.article_id}")

    # -- the reason conversation -------------------------------------------------------------
    async def _ask_reason(self, bot: Bot, user_id: int, article_id: int,
                          targets: Sequence[str]) -> None:
        """Ask the approver who just rejected why, with a prompt Telegram makes them answer."""
        dropped = self.editing.pop(user_id, None)  # one question at a time
        left = None
        if dropped is not None:
            try:
                edited = await asyncio.to_thread(self._delivery, Press("e", *dropped))
            except NotFoundError:
                edited = None
            left = f"#{dropped[0]}" + (f" on {edited.target}" if edited is not None else "")
        self.reasons.pop(user_id, None)
        try:
            sent = await bot.send_message(
                user_id, reason_prompt(article_id, targets, left),
                reply_markup=ForceReply(input_field_placeholder=REASON_PLACEHOLDER),
                link_preview_options=NO_PREVIEW)
        except TelegramError as exc:  # the rejection stands with the default reason
            log.warning("could not ask for a rejection's reason",
                        extra={"article": article_id, "chat": user_id, "error": str(exc)})
            return
        self.reasons[user_id] = Asked(article_id, tuple(targets), sent.message_id,
                                      self.app.clock.now()
                                      + timedelta(seconds=self.reason_seconds))

    async def take_reason(self, update: Update, context: Context, *,
                          replies_only: bool = False) -> bool:
        """The approver's answer to a reason prompt; ``False`` when the message is not one.

        A reply to the prompt is always an answer (to a prompt no longer open: nothing changes,
        and the bot says so); another message is one only while the reason is asked and, with
        ``replies_only``, not even then (another conversation waits for that message)."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return False
        answered = prompt_answered(message, context.bot.id)
        asked = self._asked(user.id)
        if answered is None and (asked is None or replies_only):
            return False
        replied = message.reply_to_message
        if asked is None or (answered is not None and replied is not None
                             and replied.message_id != asked.prompt_id):
            await self._closed(context.bot, user.id, answered)  # an older or closed prompt
            return True
        if not message.text:
            await context.bot.send_message(
                user.id, f"Send the reason as text, or {KEEP_DEFAULT} to keep "
                         f"\"{DEFAULT_REASON}\".")
            return True
        self.reasons.pop(user.id, None)  # before any wait: a second answer finds it closed
        said = message.text.strip()
        if said == KEEP_DEFAULT:
            await context.bot.send_message(
                user.id, f"#{asked.article_id} keeps the reason \"{DEFAULT_REASON}\".")
            return True
        by = editor_name(user)
        try:
            done, note = await asyncio.to_thread(
                self.app.review.give_reason, asked.article_id, by=by, via="telegram",
                targets=asked.targets,
                was=DEFAULT_REASON, reason=said)
        except InputError as exc:
            self.reasons[user.id] = asked
            await context.bot.send_message(
                user.id, f"{exc}\nSend the reason again, or {KEEP_DEFAULT} to keep "
                         f"\"{DEFAULT_REASON}\".")
            return True
        except (ConflictError, NotFoundError) as exc:
            await context.bot.send_message(user.id, f"Nothing changed: {exc}")
            return True
        await context.bot.send_message(
            user.id, f"Reason noted: #{asked.article_id} on {', '.join(done)} rejected: {note}")
        await self.refresh(context.bot, asked.article_id)
        return True

    async def _closed(self, bot: Bot, user_id: int, article_id: int | None) -> None:
        """Answer a reply to a prompt that no longer asks: nothing changes."""
        text = "That question is closed; nothing changed."
        if article_id is not None:
            try:
                _, found = await asyncio.to_thread(self.app.queue.get_article, article_id)
            except NotFoundError:
                found = []
            rejected = [f"{d.target}: {decision_line(d)}" for d in found
                        if d.state is DeliveryState.REJECTED]
            if rejected:
                text = (f"That question is closed; nothing changed. #{article_id} stays "
                        f"{'; '.join(rejected)}")
        await bot.send_message(user_id, clip(text), link_preview_options=NO_PREVIEW)

    # -- the edit conversation ---------------------------------------------------------------
    async def take_edit(self, update: Update, context: Context) -> bool:
        """The approver's new text for the delivery they chose to edit; ``False`` when the
        message is not an edit."""
        user, message = update.effective_user, update.effective_message
        if user is None or message is None or user.id not in self.editing:
            return False
        article_id, delivery_id = self.editing[user.id]
        try:
            delivery = await asyncio.to_thread(self._delivery, Press("e", article_id,
                                                                      delivery_id))
        except NotFoundError:
            self.editing.pop(user.id, None)
            return False
        assert delivery is not None
        text = (message.text_html if delivery.platform is Platform.TELEGRAM
                else message.text) or ""
        try:
            await asyncio.to_thread(self.app.review.approve, article_id, by=editor_name(user),
                                    via="telegram", target=delivery.target, text=text)
        except InputError as exc:
            await context.bot.send_message(user.id, f"{exc}\nSend the text again, or /skip "
                                                    "to leave the post as it is.")
            return True
        except ConflictError as exc:
            self.editing.pop(user.id, None)
            await context.bot.send_message(user.id, f"Already decided, nothing changed: {exc}")
            return True
        self.editing.pop(user.id, None)
        await context.bot.send_message(
            user.id, f"Approved #{article_id} on {delivery.target} with your text.")
        await self.sync(context.bot)
        return True

    async def skip(self, update: Update, context: Context) -> None:
        """``/skip``: leave the edit; the story keeps waiting."""
        user = update.effective_user
        assert user is not None
        had = self.editing.pop(user.id, None)
        await context.bot.send_message(
            user.id, "Edit dropped; the story still waits for a decision." if had
            else "Nothing to skip.")


def edit_prompt(d: Delivery, x_limit: int = 280) -> str:
    """What the bot asks an approver who pressed Edit."""
    if d.platform is Platform.X:
        rule = f"X text, at most {x_limit} weighted characters (a link counts 23)"
    else:
        limit = "1024 (photo caption)" if d.image_url else "4096"
        rule = f"Telegram text, formatting kept, at most {limit} characters"
    return (f"Send me the new text for {d.target} ({rule}). It replaces the composed post for "
            f"{d.target} only and approves it. /skip to leave it as it is.")
