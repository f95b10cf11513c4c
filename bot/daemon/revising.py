"""Applying revisions on a target's lane: claim, platform call, record — exactly once.

An edit, correction reply or takedown that reaches a platform is claimed (``sending``, committed)
before the call and recorded after it; progress through a thread is recorded post by post.
Failures follow the one retry policy: a rate limit blocks the target, an auth error pauses it,
a transient error is retried with backoff, a permanent one fails the revision (listed by
``status``). An unknown outcome is never simply repeated: the next attempt first asks the
platform where it can be asked (X: the post's newest version, the account's recent posts, a
404 for a deleted post); Telegram edits and deletes are safe to repeat ("message is not
modified", "message to delete not found" count as done); a Telegram correction reply whose
outcome is unknown fails for a person to check instead of being posted twice. An attempt's end
that the database does not take (it is down) is kept as decided and written by the next
recovery pass, so a known outcome never turns into an unknown one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.compose.corrections import correction_for
from bot.domain.errors import EditRefusedError, PublishError, UncertainError
from bot.domain.models import Delivery, DeliveryState, Platform, Post
from bot.domain.ports import Clock, Publisher, ReviseRequest
from bot.domain.retry import Action, RetryPolicy, decide
from bot.domain.revisions import (
    DEFAULT_CORRECTION_TEMPLATE,
    Revision,
    RevisionKind,
    RevisionState,
)
from bot.store.revisions import RevisionStore
from bot.store.state import StateStore

log = logging.getLogger("crosspost.revisions")
K = RevisionKind
R = RevisionState
MAX_UNKNOWN = 8  # unknown outcomes in a row before a revision is given up (and listed)


class _Unwritten(Exception):
    """An attempt's end the database did not take: kept (``Reviser.unwritten``) and written by
    the next recovery pass, so a known outcome never becomes an unknown one."""


class Step(StrEnum):
    """How applying one revision ended, for the lane."""

    SKIPPED = "skipped"  # not claimed (taken, superseded, not due)
    DONE = "done"        # recorded (done, failed or pending again)
    HALT = "halt"        # the target is rate limited or paused: the lane stops


@dataclass(frozen=True)
class RevisionLane:
    """What a revision needs of its target's lane."""

    target: str
    platform: Platform
    chat: str
    publisher: Publisher
    link_preview: str = "small"
    correction_template: str = DEFAULT_CORRECTION_TEMPLATE


class Reviser:
    """Applies due revisions (one at a time, on the lane of their target)."""

    def __init__(self, *, store: RevisionStore, state: StateStore, policy: RetryPolicy,
                 clock: Clock, rand: Callable[[], float]) -> None:
        self.store = store
        self.state = state
        self.policy = policy
        self.clock = clock
        self.rand = rand
        self.active: set[int] = set()
        self.applied = 0
        self.unwritten: dict[int, Callable[[], Awaitable[bool]]] = {}
        """Revisions whose end the database did not take, with the write that records it."""

    async def apply(self, lane: RevisionLane, rev: Revision) -> Step:
        """One attempt at ``rev``: claim, call the platform, record."""
        attempt_id = uuid.uuid4().hex
        if not await asyncio.to_thread(self.store.claim, rev.id, attempt_id, self.clock.now()):
            return Step.SKIPPED
        self.active.add(rev.id)
        self.applied += 1
        try:
            return await self._attempt(lane, rev, attempt_id)
        finally:
            if rev.id not in self.unwritten:
                self.active.discard(rev.id)

    async def recover(self, lanes: Mapping[str, RevisionLane]) -> int:
        """Revisions left ``sending`` by a dead process go back to ``pending`` marked
        uncertain: their next attempt asks the platform first. This process's own ends that
        the database did not take are written first, as they were decided."""
        for rev_id, write in list(self.unwritten.items()):
            try:
                await write()
            except Exception as exc:
                log.warning("revision outcome still not recorded; will try again",
                            extra={"revision": rev_id, "error": repr(exc)})
                continue
            del self.unwritten[rev_id]
            self.active.discard(rev_id)
        stale = [r for r in await asyncio.to_thread(self.store.in_flight)
                 if r.id not in self.active]
        now = self.clock.now()
        for rev in stale:
            if rev.target not in lanes or rev.attempt_id is None:
                continue
            await asyncio.to_thread(
                self.store.finish, rev.id, rev.attempt_id, state=R.PENDING, now=now,
                outcome="interrupted", error="the process stopped while applying",
                error_kind="uncertain", planned_at=now)
        return len(stale)

    # -- one attempt ----------------------------------------------------------------------
    async def _attempt(self, lane: RevisionLane, rev: Revision, attempt_id: str) -> Step:
        d = await asyncio.to_thread(self.store.delivery, rev.delivery_id)
        check_first = rev.error_kind == "uncertain"
        done = list(rev.done_ids)

        async def step(index: int, post_id: str) -> None:
            done.append(post_id)
            await asyncio.to_thread(self.store.record_step, rev.id, attempt_id, done,
                                    self.clock.now())

        fin = self._finisher(rev, attempt_id)
        if rev.kind in (K.EDIT, K.REPLY) and d.state is not DeliveryState.PUBLISHED:
            await fin(R.DONE, "not needed: nothing is out, the delivery carries the new text")
            return Step.DONE
        request = ReviseRequest(
            revision_id=rev.id, delivery_id=d.id, target=d.target, platform=d.platform,
            chat=lane.chat, post_ids=await self._post_ids(rev, d), done=rev.done_ids,
            post=Post(d.platform, rev.parts, parse_mode=d.parse_mode) if rev.parts else None,
            photo=d.platform is Platform.TELEGRAM and bool(d.image_url),
            check_first=check_first, link_preview=lane.link_preview, media_id=d.media_id,
            on_step=step)
        try:
            return await self._call(lane, rev, d, request, fin, done)
        except PublishError as exc:
            return await self._failed(rev, exc, fin)
        except _Unwritten:
            raise
        except Exception as exc:  # a bug after the request may have left: treat as unknown
            log.exception("unexpected error while revising", extra={"revision": rev.id})
            return await self._failed(rev, UncertainError(f"unexpected error: {exc!r}"), fin)

    async def _post_ids(self, rev: Revision, d: Delivery) -> tuple[str, ...]:
        if rev.kind is K.DELETE:
            return await asyncio.to_thread(self.store.posts_to_delete, d.id)
        return d.sent_ids or ((d.platform_post_id,) if d.platform_post_id else ())

    async def _call(self, lane: RevisionLane, rev: Revision, d: Delivery,
                    request: ReviseRequest, fin: _Finish, done: list[str]) -> Step:
        publisher = lane.publisher
        if rev.kind is K.DELETE:
            await publisher.delete(request)
            await fin(R.DONE, f"deleted {len(request.post_ids)} post(s)", withdraw=True)
        elif rev.kind is K.EDIT:
            try:
                ids = await publisher.edit(request)
            except EditRefusedError as exc:
                title, url = await asyncio.to_thread(self.store.story_title, d.article_id)
                text = correction_for(d.platform, lane.correction_template, title, url)
                edited = (*done, *request.post_ids[len(done):])
                await fin(R.PENDING, "edit refused: correcting with a reply instead", kind=K.REPLY,
                    error=exc.platform_message, error_kind=exc.kind, planned_at=self.clock.now(),
                    new_post_ids=edited if done else None, parts=(text,))
                return Step.DONE
            await fin(R.DONE, f"edited {len(ids)} post(s)",
                new_post_ids=ids if ids != request.post_ids else None)
        elif rev.kind is K.REPLY:
            found = None
            if request.check_first:  # the last attempt may have posted it
                try:
                    found = await publisher.find_reply(request)
                except NotImplementedError:
                    await fin(R.FAILED, "outcome unknown", error_kind="uncertain",
                        error="the correction reply may have been posted; the platform cannot "
                              "be asked, so it is not posted again (check the channel)")
                    return Step.DONE
            reply_id = found or await publisher.reply(request)
            outcome = "reconciled: the reply was there" if found else "correction posted"
            if rev.outcome and rev.outcome.startswith("edit refused"):
                outcome += " (the edit was refused)"
            await fin(R.DONE, outcome, result_ids=(reply_id,))
        else:
            await fin(R.DONE, "recorded")
        return Step.DONE

    async def _failed(self, rev: Revision, error: PublishError, fin: _Finish) -> Step:
        now = self.clock.now()
        if isinstance(error, UncertainError):
            if rev.attempts >= MAX_UNKNOWN:
                await fin(R.FAILED, "gave up", error=f"outcome unknown {rev.attempts} times: "
                    f"{error.platform_message}", error_kind=error.kind)
                return Step.DONE
            delay = self.policy.backoff(1, self.rand())
            await fin(R.PENDING, "uncertain", error=f"outcome unknown ({error.platform_message}); "
                "the platform is asked first next time", error_kind="uncertain",
                planned_at=now + timedelta(seconds=delay))
            return Step.DONE
        decision = decide(error, attempts=rev.retries + 1, now=now, policy=self.policy,
                          rand=self.rand(), can_reconcile=False, plain_tried=True)
        kind = error.kind
        match decision.action:
            case Action.BLOCK_TARGET:
                assert decision.at is not None
                await asyncio.to_thread(self.state.block, rev.target, decision.at, decision.reason)
                await fin(R.PENDING, kind, error=decision.reason, error_kind=kind,
                    planned_at=decision.at)
                return Step.HALT
            case Action.PAUSE_TARGET:
                await asyncio.to_thread(self.state.pause, rev.target, decision.reason, now)
                await fin(R.PENDING, kind, error=decision.reason, error_kind=kind, planned_at=now)
                log.error("target paused", extra={"target": rev.target, "reason": decision.reason})
                return Step.HALT
            case Action.RETRY:
                await fin(R.PENDING, kind, error=decision.reason, error_kind=kind,
                    planned_at=decision.at, retried=True)
            case _:
                await fin(R.FAILED, kind, error=decision.reason, error_kind=kind)
                log.warning("revision failed", extra={"revision": rev.id, "target": rev.target,
                                                      "reason": decision.reason})
        return Step.DONE

    def _finisher(self, rev: Revision, attempt_id: str) -> _Finish:
        return _Finish(self.store, self.clock, rev, attempt_id, self.unwritten)


class _Finish:
    """Records the end of one attempt (only the attempt that claimed the revision can)."""

    def __init__(self, store: RevisionStore, clock: Clock, rev: Revision, attempt_id: str,
                 unwritten: dict[int, Callable[[], Awaitable[bool]]]) -> None:
        self.store, self.clock, self.rev, self.attempt_id = store, clock, rev, attempt_id
        self.unwritten = unwritten

    async def __call__(self, state: RevisionState, outcome: str, *, error: str | None = None,
                 error_kind: str | None = None, planned_at: datetime | None = None,
                 result_ids: tuple[str, ...] | None = None,
                 new_post_ids: tuple[str, ...] | None = None, withdraw: bool = False,
                 kind: RevisionKind | None = None, parts: tuple[str, ...] | None = None,
                 retried: bool = False) -> None:
        write = functools.partial(
            asyncio.to_thread, functools.partial(
                self.store.finish, self.rev.id, self.attempt_id, state=state,
                now=self.clock.now(), outcome=outcome, error=error, error_kind=error_kind,
                planned_at=planned_at, result_ids=result_ids, new_post_ids=new_post_ids,
                withdraw=withdraw, kind=kind, parts=parts, retried=retried))
        try:
            ok = await write()
        except Exception as exc:
            self.unwritten[self.rev.id] = write
            raise _Unwritten(repr(exc)) from exc
        level = logging.INFO if state is not R.FAILED else logging.WARNING
        log.log(level, f"revision {state.value}", extra={
            "revision": self.rev.id, "kind": (kind or self.rev.kind).value,
            "target": self.rev.target, "delivery": self.rev.delivery_id, "outcome": outcome,
            "recorded": ok})
