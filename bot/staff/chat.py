"""``staff_service``: python-telegram-bot long polling for staff, inside the daemon's loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.daemon.runtime import Runtime
from bot.staff.approvals import ApprovalDesk
from bot.staff.handlers import StaffHandlers

log = logging.getLogger("crosspost.staff")

POLL_SECONDS = 10
"""Long-polling timeout: Telegram holds ``getUpdates`` open this long when nothing comes."""
SYNC_SECONDS = 1.0
"""How often approvers' messages are brought in step with the queue."""


def build_application(app: Runtime, desk: ApprovalDesk) -> Application:  # type: ignore[type-arg]
    """The python-telegram-bot application with the staff and approval handlers (no job
    queue)."""
    telegram = app.settings.telegram
    assert telegram.bot_token is not None
    base = telegram.api_base_url.rstrip("/")
    application = (
        Application.builder()
        .token(telegram.bot_token.get_secret_value())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .connect_timeout(telegram.timeout)
        .read_timeout(telegram.timeout)
        .write_timeout(telegram.timeout)
        .get_updates_connect_timeout(telegram.timeout)
        .get_updates_read_timeout(telegram.timeout)
        .concurrent_updates(4)
        .job_queue(None)
        .build()
    )
    handlers = StaffHandlers(app, desk)
    application.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    application.add_handler(CallbackQueryHandler(desk.press))
    application.add_handler(CommandHandler("skip", desk.skip))
    application.add_handler(CommandHandler(["help", "start"], handlers.help))
    application.add_handler(CommandHandler("queue", handlers.queue))
    application.add_handler(CommandHandler("status", handlers.status))
    application.add_handler(CommandHandler("cancel", handlers.cancel))
    fixes = handlers.corrections
    application.add_handler(CommandHandler("edit", fixes.edit))
    application.add_handler(CommandHandler("cancel_edit", fixes.cancel_edit))
    application.add_handler(CommandHandler("takedown", fixes.takedown))
    application.add_handler(CommandHandler("confirm", fixes.confirm))
    application.add_handler(MessageHandler(filters.COMMAND, handlers.help))
    application.add_handler(MessageHandler(filters.ALL, handlers.message))
    application.add_error_handler(handlers.failed)
    return application


class StaffService:
    """Starts and stops long polling; staff messages are answered and approvers' messages kept
    in step while the daemon runs."""

    def __init__(self, app: Runtime, *, sync_seconds: float = SYNC_SECONDS) -> None:
        self.app = app
        self.desk = ApprovalDesk(app)
        self.application = build_application(app, self.desk)
        self.sync_seconds = sync_seconds
        self._sync: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Connect (getMe), then poll for private messages in the background."""
        await self.application.initialize()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            timeout=POLL_SECONDS, allowed_updates=["message", "callback_query"],
            drop_pending_updates=False)
        self._sync = asyncio.create_task(self._keep_in_step())
        log.info("staff chat listening",
                 extra={"bot": self.application.bot.username,
                        "staff": len(self.app.settings.telegram.staff_user_ids),
                        "approvers": len(self.app.settings.telegram.approvers())})

    async def _keep_in_step(self) -> None:
        """Approvers' messages follow the queue (new stories, decisions made anywhere)."""
        while True:
            try:
                await self.desk.sync(self.application.bot)
            except Exception:
                log.exception("approvers' messages not brought in step; trying again")
            await asyncio.sleep(self.sync_seconds)

    async def stop(self) -> None:
        """Stop polling (marking what was read as done), then close the connections."""
        if self._sync is not None:
            self._sync.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync
            self._sync = None
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()


def staff_service(app: Runtime) -> StaffService | None:
    """The staff chat when a bot token and ``[telegram] staff_user_ids`` (or
    ``approver_user_ids``) are set."""
    telegram = app.settings.telegram
    if not (telegram.staff_user_ids or telegram.approvers()) or telegram.bot_token is None:
        return None
    return StaffService(app)
