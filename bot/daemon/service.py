"""The daemon: APScheduler jobs that publish due posts, watch the queue, and reload the config
file (a valid change takes effect, a broken one is refused and the running config stays)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
from collections.abc import Callable
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot.config.settings import Settings
from bot.daemon.dispatch import Dispatcher, Pacers
from bot.daemon.runtime import Runtime
from bot.daemon.workers import Crew
from bot.domain.errors import ConfigError
from bot.domain.ports import Publisher
from bot.store.listen import QueueListener
from bot.store.lock import PublisherLock

log = logging.getLogger("crosspost.service")

WATCH_SECONDS = 1.0
RECOVER_SECONDS = 30.0


JobFactory = Callable[[Runtime], Callable[[Any], None] | None]
"""Given the runtime, a function that adds jobs to the scheduler (or None: nothing to add)."""

DispatcherFactory = Callable[[Settings, Pacers | None, Callable[..., None] | None],
                             tuple[Dispatcher, list[Publisher]]]
"""Builds a dispatcher for settings (carrying over pacing and the publish hook) and returns it
with the publishers it opened; nothing else changes until the daemon swaps it in."""


class Service(Protocol):
    """Something that runs inside the daemon's event loop (HTTP API, staff chat)."""

    async def start(self) -> None:
        """Start serving (returns once started)."""
        ...

    async def stop(self) -> None:
        """Stop serving."""
        ...


class Daemon:
    """Sleeps until the next planned time or a change; publishes; reloads config on edit."""

    def __init__(
        self,
        *,
        app: Runtime,
        make_dispatcher: DispatcherFactory,
        config_file: Path | None = None,
        load: Callable[[Path], Settings] | None = None,
        watch_seconds: float = WATCH_SECONDS,
        job_factories: list[JobFactory] | None = None,
        services: list[Service] | None = None,
    ) -> None:
        self.app = app
        self.make_dispatcher = make_dispatcher
        self.config_file = config_file
        self.load = load
        self.watch_seconds = watch_seconds
        self.job_factories = job_factories or []
        self._factory_jobs: set[str] = set()
        self._job_closers: list[Callable[[], object]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.services = services or []
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._revision = -1
        self._mtime = self._config_mtime()
        self._scheduler: Any = None
        self.lost_lock = False
        self._publisher_lock: PublisherLock | None = None
        self._changed = asyncio.Event()
        self._followers: list[asyncio.Task[None]] = []
        self.crew: Crew | None = None
        self._crew_wake = asyncio.Event()
        self._ahead: dict[str, asyncio.Task[None]] = {}  # target → its plan-ahead pass

    @staticmethod
    async def _db(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a store call (or anything that may wait on a lock) off the event loop."""
        return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))

    # -- one-shot -------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Recover, plan, publish everything due now, and return the number of attempts
        (``app.dispatcher.published`` says how many went out)."""
        dispatcher = self._dispatcher()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # finish the send in hand, then stop
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, dispatcher.stop)
        lock = PublisherLock(self.app.engine)
        await self._db(lock.acquire)
        try:
            await dispatcher.recover()
            total = 0
            await self._db(self.app.review.settle_timeouts)
            planner = self.app.planner
            await self._db(planner.replan)  # a full pass first, then what changed
            dispatcher.on_running_low = self._plan_ahead
            for _ in range(10_000):
                await self._settle_ahead()
                await self._db(planner.replan, planner.enabled())
                sent = await dispatcher.publish_due()
                total += sent
                wake = dispatcher.next_wake()
                if not sent and wake is None:
                    break
                if wake is not None and not sent:
                    await asyncio.sleep(wake)  # a paced chat: everything due still goes out
            return total
        finally:
            await self._settle_ahead()
            await self._db(lock.release)

    def _dispatcher(self) -> Dispatcher:
        """The running dispatcher, built from the running settings on first use."""
        if self.app.dispatcher is None:
            dispatcher, opened = self.make_dispatcher(self.app.settings, None, None)
            self.app.publishers.extend(opened)
            self.app.dispatcher = dispatcher
        return self.app.dispatcher

    # -- hot reload -----------------------------------------------------------------------
    def _config_mtime(self) -> float | None:
        if self.config_file is None:
            return None
        try:
            return self.config_file.stat().st_mtime
        except OSError:
            return None

    async def _refuse(self, error: str) -> bool:
        now = self.app.clock.now()
        log.error("config change refused; the running config stays", extra={"error": error})
        await self._db(self.app.state.put, "config_refused",
                       {"at": now.isoformat(), "error": error}, now)
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
            settings = await self._db(self.load, self.config_file)
        except ConfigError as exc:
            return await self._refuse(str(exc))
        async with self._lock:
            if self._stop.is_set():
                return False
            old = self.app.dispatcher
            try:
                new, opened = self.make_dispatcher(
                    settings, old.pacers if old else None,  # chat pacing carries over
                    old.on_published if old else None)
            except Exception as exc:
                return await self._refuse(f"{type(exc).__name__}: {exc}")
            if old is not None:
                old.stop()
                await old.drain()
            await self.app.aclose()
            self.app.publishers.extend(opened)
            new.on_lane_done = self._lane_finished
            new.on_running_low = self._plan_ahead
            self._own(new)
            self.app.dispatcher = new
            self.app.settings = settings
            self.app.intake.settings = settings
            self.app.review.settings = settings
            self.app.planner.use(settings)
            await self._db(self._resume_paused, "config reload")
            await self._db(self.app.state.put, "config_refused", None, now)
            await self._db(self.app.state.put, "config_loaded", {"at": now.isoformat()}, now)
            await self._db(self.app.planner.replan, None if self.crew is None else self._targets(),
                           refill=True)
        if self._scheduler is not None and self._scheduler.running:
            try:
                self._add_factory_jobs()
            except ConfigError as exc:
                log.error("feeds not restarted after reload", extra={"error": str(exc)})
        log.info("config reloaded", extra={"file": str(self.config_file)})
        await self._reschedule_soon()
        return True

    # -- the daemon -----------------------------------------------------------------------
    async def run(self) -> None:
        """Run until SIGINT/SIGTERM (or ``stop()``). On PostgreSQL as one of the workers that
        share the targets by lease; on SQLite as the database's one publisher."""
        several = self.app.engine.dialect.name == "postgresql"
        lock = self._publisher_lock = PublisherLock(self.app.engine, shared=several)
        await self._db(lock.acquire)
        if several:
            self.crew = Crew.on(self.app.engine, self.app.settings.workers.lease_seconds)
            self.app.crew = self.crew
        try:
            await self._run()
        finally:
            await self._db(lock.release)

    async def _lock_again(self, lock: PublisherLock) -> bool:
        """The session holding the publisher lock was cut (a PostgreSQL restart or failover):
        take the shared lock again and carry on (leases keep the workers apart), unless a
        ``run --once`` took the database alone meanwhile: then stop, so that no two
        publishers without leases run at once. While the database is away, try again on the
        next pass."""
        try:
            taken = await self._db(lock.take_again)
        except Exception as exc:
            log.warning("publisher lock lost with the database session; taking it again when "
                        "the database answers", extra={"error": repr(exc)})
            return False
        if taken:
            log.warning("publisher lock lost with the database session; taken again")
            return True
        log.critical("lost the publisher lock (database session cut) and a `run --once` holds "
                     "it now; stopping so that two publishers never run at once — restart to "
                     "take it again")
        self.lost_lock = True
        self.stop()
        return False

    def _targets(self) -> list[str]:
        """The targets this worker plans and publishes: its share, or every enabled one."""
        enabled = self.app.planner.enabled()
        if self.crew is None:
            return enabled
        return [t for t in enabled if self.crew.owns(t)]

    def _plan_ahead(self, target: str) -> None:
        """A lane is well into its batch: refill its target's horizon meanwhile, so the
        lane's next batch is planned when it gets there (one pass per target at a time)."""
        if target in self._ahead or self._stop.is_set():
            return
        self._ahead[target] = asyncio.create_task(self._refill(target),
                                                  name=f"plan-ahead:{target}")

    async def _refill(self, target: str) -> None:
        try:
            async with self._lock:
                await self._db(self.app.planner.replan, [target])
        except Exception:
            log.exception("planning ahead failed; the lane's end plans again",
                          extra={"target": target})
        finally:
            self._ahead.pop(target, None)

    async def _settle_ahead(self) -> None:
        """Wait for the plan-ahead passes under way."""
        tasks = list(self._ahead.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _own(self, dispatcher: Dispatcher) -> None:
        """Let ``dispatcher`` publish only to this worker's share (and fence its claims)."""
        if self.crew is not None:
            dispatcher.owns = self.crew.owns
            dispatcher.fence = self.crew.worker

    async def _crew_loop(self) -> None:
        """Beat every quarter of a lease time (at once when a worker joins or leaves)."""
        crew = self.crew
        assert crew is not None
        while not self._stop.is_set():
            try:
                await self._crew_step(crew)
            except Exception:
                log.exception("worker heartbeat failed; will try again")
            self._crew_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._crew_wake.wait(), crew.beat_seconds)

    async def _crew_step(self, crew: Crew) -> None:
        """Renew leases, hand over what is no longer this worker's share, take what is."""
        step = await self._db(crew.step, self.app.planner.enabled())
        if step.lost:
            log.warning("lost target leases", extra={"targets": ",".join(sorted(step.lost))})
        dispatcher = self.app.dispatcher
        if step.release:
            crew.let_go(step.release)
            if dispatcher is not None:
                await dispatcher.settle(step.release)
            await self._db(crew.leases.release, step.release)
            log.info("handed targets over", extra={"targets": ",".join(sorted(step.release))})
        gained = [t for t in sorted(step.acquire) if not self._stop.is_set()
                  and await self._db(crew.leases.acquire, t)]
        if gained and dispatcher is not None:
            # settle what the previous owner left in flight, exactly as a restart does
            await dispatcher.recover(targets=gained)
            crew.took(gained)
            async with self._lock:
                await self._db(self.app.planner.replan, gained, refill=True)
            log.info("took targets", extra={"targets": ",".join(gained)})
            self._changed.set()

    async def _run(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        dispatcher = self._dispatcher()
        dispatcher.on_lane_done = self._lane_finished
        dispatcher.on_running_low = self._plan_ahead
        self._own(dispatcher)
        self._install_signals()
        await self._db(self._resume_paused, "restart")
        if self.crew is None:
            recovered = await dispatcher.recover()
            if recovered:
                log.info("resolved interrupted sends", extra={"count": recovered})
            await self._db(self.app.planner.replan)
        else:  # each target is recovered and planned by the worker that takes it
            await self._db(self.crew.leases.join)
            self._followers.append(asyncio.create_task(self._crew_loop(), name="crew"))
        self._revision = await self._db(self.app.queue.revision)
        self._follow_changes()
        self._scheduler = AsyncIOScheduler(timezone=UTC, logger=_scheduler_log())
        started: list[Service] = []
        try:
            for service in self.services:  # before any post can go out
                await service.start()
                started.append(service)
            self._scheduler.add_job(self._watch, IntervalTrigger(seconds=self.watch_seconds),
                                    id="watch", max_instances=1, coalesce=True)
            self._scheduler.add_job(self._recover, IntervalTrigger(seconds=RECOVER_SECONDS),
                                    id="recover", max_instances=1, coalesce=True)
            self._add_factory_jobs()
            self._scheduler.start()
            await self._schedule_dispatch()
            targets = ", ".join(t.name for t in self.app.settings.targets) or "none"
            # what start-up built lives as long as the process: keep it out of the cyclic
            # collector, whose full passes would otherwise stall the event loop for 100+ ms
            gc.freeze()
            log.info("crosspost running", extra={"targets": targets})
            await self._stop.wait()
        finally:
            self._stop.set()
            await self._shutdown(started)
            log.info("crosspost stopped")

    # -- waking on queue changes ------------------------------------------------------------
    def _follow_changes(self) -> None:
        """Wake on every queue change: stories this process queues, decides or corrects (API,
        staff chat, web desk, feeds) at once, other processes' through PostgreSQL
        ``LISTEN/NOTIFY``; on SQLite the watch job sees other processes' changes by the queue
        revision."""
        loop = asyncio.get_running_loop()

        def following(plan: Callable[..., object] | None) -> Callable[..., object]:
            def changed(**kwargs: Any) -> object:
                result = plan(**kwargs) if plan is not None else None
                loop.call_soon_threadsafe(self._changed.set)
                return result
            return changed

        for door in (self.app.intake, self.app.review, self.app.corrections):
            door.on_change = following(door.on_change)
        self._followers.append(asyncio.create_task(self._on_changes(), name="queue-changes"))
        listener = QueueListener(engine=self.app.engine)
        if listener.available:
            self._followers.append(asyncio.create_task(
                listener.run(self._changed.set, self._crew_wake.set), name="queue-listener"))

    async def _on_changes(self) -> None:
        """Re-plan the horizon and reschedule after changes (a burst is handled once)."""
        while not self._stop.is_set():
            await self._changed.wait()
            self._changed.clear()
            try:
                async with self._lock:
                    await self._db(self.app.planner.replan, self._targets())
                await self._reschedule_soon()
            except Exception:
                log.exception("planning after a queue change failed; will try again")
                await asyncio.sleep(1)

    async def _shutdown(self, services: list[Service]) -> None:
        """Stop lanes first (each finishes the post in hand), then the doors, then the rest;
        one failing step does not skip the others."""
        dispatcher = self.app.dispatcher
        if dispatcher is not None:
            dispatcher.stop()
        for service in reversed(services):
            try:
                await service.stop()
            except Exception:
                log.exception("a service failed to stop")
        if dispatcher is not None:
            await dispatcher.drain()
        await self._settle_ahead()
        for task in self._followers:
            task.cancel()
        for task in self._followers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._followers.clear()
        if self.crew is not None:  # hand every target over at once
            try:
                await self._db(self.crew.leases.leave)
            except Exception:
                log.exception("could not hand the targets over; they free up within a lease")
        async with self._lock:
            if self._scheduler is not None and self._scheduler.running:
                self._scheduler.shutdown(wait=False)
            self._close_factory_jobs()
            await self.app.aclose()

    @property
    def alive(self) -> bool:
        """True while the scheduler runs (for health checks)."""
        return bool(self._scheduler is not None and self._scheduler.running
                    and not self._stop.is_set())

    def _add_factory_jobs(self) -> None:
        """(Re)create jobs that depend on config, such as one poller per feed; what the old
        jobs held (a feed runner's threads) is let go."""
        for job_id in self._factory_jobs:
            if self._scheduler.get_job(job_id):
                self._scheduler.remove_job(job_id)
        self._close_factory_jobs()
        before = {job.id for job in self._scheduler.get_jobs()}
        for factory in self.job_factories:
            add = factory(self.app)
            if add is not None:
                add(self._scheduler)
                close = getattr(add, "close", None)
                if callable(close):
                    self._job_closers.append(close)
        self._factory_jobs = {job.id for job in self._scheduler.get_jobs()} - before

    def _close_factory_jobs(self) -> None:
        closers, self._job_closers = self._job_closers, []
        for close in closers:
            try:
                close()
            except Exception:
                log.exception("could not let go of a job's resources")

    def _resume_paused(self, why: str) -> None:
        """Give targets paused by an auth error one new try after a restart or reload (the
        operator may have fixed the token or the bot's rights); a target still refused is
        paused again by its next attempt."""
        for name, st in self.app.state.targets().items():
            if st.paused_reason:
                self.app.state.resume(name)
                log.info("trying paused target again", extra={"target": name, "after": why,
                                                               "was": st.paused_reason})

    def stop(self) -> None:
        """Ask the daemon to stop after the current send."""
        self._stop.set()

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):
            loop.add_signal_handler(signal.SIGHUP, self._reload_on_signal)

    def _reload_on_signal(self) -> asyncio.Task[bool]:
        """SIGHUP: reload in a task the daemon keeps until it ends (a task nobody holds can
        be collected mid-way), and whose failure is logged with its stack, not lost."""
        task = asyncio.get_running_loop().create_task(self.reload(), name="reload (SIGHUP)")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    async def _schedule_dispatch(self) -> None:
        """Wake the dispatch job at the next planned time (or not at all when nothing waits)."""
        from apscheduler.triggers.date import DateTrigger

        dispatcher = self.app.dispatcher
        assert dispatcher is not None
        now = self.app.clock.now()
        busy_now = dispatcher.busy_targets
        if self.crew is not None:  # others' targets are theirs to wake for
            busy_now |= set(self.app.planner.enabled()) - set(self._targets())

        def read() -> tuple[dict[str, str], Any, list[Any]]:
            blocked = dispatcher.blocked_targets(now)
            busy = [*blocked, *busy_now]
            nxt = self.app.queue.next_planned_at(exclude_targets=busy)
            revision = dispatcher.next_revision_at(exclude_targets=busy)
            if revision is not None and (nxt is None or revision < nxt):
                nxt = revision
            wakes = [st.blocked_until for name, st in self.app.state.targets().items()
                     if name in blocked and not st.paused_reason and st.blocked_until]
            return blocked, nxt, wakes

        _, nxt, wakes = await self._db(read)
        if self._scheduler is None or not self._scheduler.running:
            return
        pace = dispatcher.next_wake()
        if pace is not None:
            wakes.append(now + timedelta(seconds=pace))
        if wakes and (nxt is None or min(wakes) < nxt):
            nxt = min(wakes)
        job = self._scheduler.get_job("dispatch")
        if nxt is None:
            if job:
                job.remove()
            return
        run_at = max(nxt, now)
        if job is not None and job.next_run_time is not None and job.next_run_time <= run_at:
            return
        self._scheduler.add_job(self._dispatch, DateTrigger(run_at), id="dispatch",
                                replace_existing=True, misfire_grace_time=None,
                                max_instances=2, coalesce=True)  # serialized by the lock

    async def _dispatch(self, *, plan_first: bool = False) -> None:
        """Start a lane for each target with posts due now (lanes run on).

        Woken at a planned time, the posts due go first: their plans were made by the pass
        after the last change or lane, and a pass before them would only make them late.
        When nothing was due (a waiting story's time came, a rate limit ended), or with
        ``plan_first`` (a lane ended: what it sent moves the next times and drains the
        horizon), the targets are re-planned before looking for due posts.
        """
        async with self._lock:
            dispatcher = self.app.dispatcher
            if dispatcher is None or self._stop.is_set():
                return
            try:
                if plan_first or not await dispatcher.run_due():
                    await self._db(self.app.planner.replan, self._targets())
                    await dispatcher.run_due()
            except Exception:
                log.exception("dispatch failed; will try again")
                await asyncio.sleep(1)
        await self._reschedule_soon()

    def _lane_finished(self) -> None:
        """A lane is done: re-plan what it leaves (refilling the horizon it drained) and start
        what is due, right away."""
        if self._scheduler is None or not self._scheduler.running or self._stop.is_set():
            return
        from apscheduler.triggers.date import DateTrigger

        self._scheduler.add_job(self._dispatch, DateTrigger(self.app.clock.now()), id="dispatch",
                                kwargs={"plan_first": True}, replace_existing=True,
                                misfire_grace_time=None, max_instances=2,
                                coalesce=True)  # serialized by the lock

    async def _reschedule_soon(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            job = self._scheduler.get_job("dispatch")
            if job is not None and job.next_run_time is None:
                job.remove()
            await self._schedule_dispatch()

    async def _watch(self) -> None:
        """Every second: a config edit reloads; stories nobody approved in time are settled; on
        SQLite another process's queue change (the queue revision moved) re-plans (PostgreSQL
        notifies instead)."""
        if self._config_mtime() != self._mtime:
            await self.reload()
        # [approval] timeout: a pure decision of the time
        await self._db(self.app.review.settle_timeouts)
        if self.app.engine.dialect.name == "sqlite":
            revision = await self._db(self.app.queue.revision)
            if revision != self._revision:
                self._revision = revision
                self._changed.set()
            else:  # a target resumed from the CLI, a rate-limit end
                await self._reschedule_soon()

    async def _recover(self) -> None:
        lock = self._publisher_lock
        if lock is not None and not await self._db(lock.verify) and not await self._lock_again(lock):
            return
        async with self._lock:
            dispatcher = self.app.dispatcher
            if dispatcher is not None:
                await dispatcher.recover()


class _DispatchSkipped(logging.Filter):
    """Drops APScheduler's "skipped: maximum number of running instances reached" for the
    dispatch job: a dispatch that finds one running and one waiting for the lock adds nothing
    (the waiting one starts what is due, then schedules the next), so it is no warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not (str(record.msg).startswith('Execution of job "%s" skipped')
                    and getattr(job, "id", None) == "dispatch")


def _scheduler_log() -> logging.Logger:
    """APScheduler's logger for the daemon's scheduler (below ``apscheduler``, so its level
    settings apply), without the dispatch job's skipped-run warnings."""
    logger = logging.getLogger("apscheduler.scheduler.crosspost")
    if not any(isinstance(f, _DispatchSkipped) for f in logger.filters):
        logger.addFilter(_DispatchSkipped())
    return logger
