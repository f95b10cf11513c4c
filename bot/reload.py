"""Hot reload of the config file: a valid change takes effect, a broken one is refused."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.domain.errors import ConfigError
from bot.settings import Settings
from bot.wiring import make_dispatcher

if TYPE_CHECKING:
    from bot.wiring import App

log = logging.getLogger("crosspost.service")


class Reloading:
    """Mixin of ``Daemon``: reloading ``config_file`` while the daemon runs."""

    app: App
    config_file: Path | None
    load: Callable[[Path], Settings] | None
    _lock: asyncio.Lock
    _stop: asyncio.Event
    _mtime: float | None
    _scheduler: Any

    def _config_mtime(self) -> float | None:
        if self.config_file is None:
            return None
        try:
            return self.config_file.stat().st_mtime
        except OSError:
            return None

    def _lane_finished(self) -> None:
        raise NotImplementedError

    def _resume_paused(self, why: str) -> None:
        raise NotImplementedError

    def _add_factory_jobs(self) -> None:
        raise NotImplementedError

    def _reschedule_soon(self) -> None:
        raise NotImplementedError

    def _refuse(self, error: str) -> bool:
        now = self.app.clock.now()
        log.error("config change refused; the running config stays", extra={"error": error})
        self.app.state.put("config_refused", {"at": now.isoformat(), "error": error}, now)
        return False

    async def reload(self) -> bool:
        """Load the config file again; a valid change takes effect, a broken one is refused.

        The new publishers are built before the old ones are let go, so a change that fails
        half-way (a token a client library refuses) leaves the running config publishing.
        """
        self._mtime = self._config_mtime()
        if self.config_file is None or self.load is None or self._stop.is_set():
            return False
        now = self.app.clock.now()
        try:
            settings = self.load(self.config_file)
        except ConfigError as exc:
            return self._refuse(str(exc))
        async with self._lock:
            if self._stop.is_set():
                return False
            old = self.app.dispatcher
            try:
                new, opened = make_dispatcher(
                    self.app, settings, on_published=old.on_published if old else None,
                    pacers=old.pacers if old else None)  # chat pacing carries over
                composer = _composer(settings)
            except Exception as exc:
                return self._refuse(f"{type(exc).__name__}: {exc}")
            if old is not None:
                old.stop()
                await old.drain()
            await self.app.aclose()
            self.app.publishers.extend(opened)
            new.on_lane_done = self._lane_finished
            self.app.dispatcher = new
            self.app.settings = settings
            self.app.intake.settings = settings
            self.app.review.settings = settings
            self.app.intake.composer = composer
            self.app.planner.use(settings)
            self._resume_paused("config reload")
            self.app.state.put("config_refused", None, now)
            self.app.state.put("config_loaded", {"at": now.isoformat()}, now)
            self.app.planner.replan()
        if self._scheduler is not None and self._scheduler.running:
            try:
                self._add_factory_jobs()
            except ConfigError as exc:
                log.error("feeds not restarted after reload", extra={"error": str(exc)})
        log.info("config reloaded", extra={"file": str(self.config_file)})
        self._reschedule_soon()
        return True


def _composer(settings: Settings) -> Any:
    from bot.wiring import make_composer

    return make_composer(settings)
