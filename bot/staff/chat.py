"""``staff_service``: python-telegram-bot long polling for staff, inside the daemon's loop."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.daemon.runtime import Runtime
from bot.staff.handlers import StaffHandlers

log = logging.getLogger("crosspost.staff")

POLL_SECONDS = 10
"""Long-polling timeout: Telegram holds ``getUpdates`` open this long when nothing comes."""


def build_application(app: Runtime) -> Application:  # type: ignore[type-arg]
    """The python-telegram-bot application with the staff handlers (no job queue)."""
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
    handlers = StaffHandlers(app)
    application.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    application.add_handler(CommandHandler(["help", "start"], handlers.help))
    application.add_handler(CommandHandler("queue", handlers.queue))
    application.add_handler(CommandHandler("status", handlers.status))
    application.add_handler(CommandHandler("cancel", handlers.cancel))
    application.add_handler(MessageHandler(filters.COMMAND, handlers.help))
    application.add_handler(MessageHandler(filters.ALL, handlers.message))
    application.add_error_handler(handlers.failed)
    return application


class StaffService:
    """Starts and stops long polling; staff messages are answered while the daemon runs."""

    def __init__(self, app: Runtime) -> None:
        self.app = app
        self.application = build_application(app)

    async def start(self) -> None:
        """Connect (getMe), then poll for private messages in the background."""
        await self.application.initialize()
        await self.application.start()
        assert self.application.updater is not None
        await self.application.updater.start_polling(
            timeout=POLL_SECONDS, allowed_updates=["message"], drop_pending_updates=False)
        log.info("staff chat listening",
                 extra={"bot": self.application.bot.username,
                        "staff": len(self.app.settings.telegram.staff_user_ids)})

    async def stop(self) -> None:
        """Stop polling (marking what was read as done), then close the connections."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()


def staff_service(app: Runtime) -> StaffService | None:
    """The staff chat when ``[telegram] staff_user_ids`` and a bot token are set."""
    telegram = app.settings.telegram
    if not telegram.staff_user_ids or telegram.bot_token is None:
        return None
    return StaffService(app)
