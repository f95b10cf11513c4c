"""Builds the running service from ``Settings``: store, composer, publishers, planner, dispatcher."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from bot.dispatch import Dispatcher, Lane, Pacers
from bot.domain.models import ArticleDraft, Platform, Post
from bot.domain.ports import Clock, Publisher, SystemClock
from bot.domain.retry import RetryPolicy
from bot.intake import Composer, Intake
from bot.intake_review import Review
from bot.planning import Planner
from bot.publish.outbox import OutboxPublisher
from bot.settings import Settings, TargetConfig
from bot.store.approvals import ApprovalStore
from bot.store.db import make_engine, upgrade
from bot.store.queue import QueueStore
from bot.store.state import StateStore


@dataclass
class App:
    """Everything a command needs, built once from settings."""

    settings: Settings
    clock: Clock
    engine: Engine
    queue: QueueStore
    state: StateStore
    intake: Intake
    planner: Planner
    review: Review
    publishers: list[Publisher] = field(default_factory=list)
    dispatcher: Dispatcher | None = None

    async def aclose(self) -> None:
        """Close publishers' connections and the database pool."""
        for publisher in self.publishers:
            await publisher.aclose()
        self.publishers.clear()

    def dispose(self) -> None:
        """Release the database engine."""
        self.engine.dispose()


def make_composer(settings: Settings) -> Composer:
    """The composer each target's posts come from."""
    from bot.compose import ComposeOptions, compose

    def composer(draft: ArticleDraft, target: TargetConfig) -> Post:
        options = ComposeOptions(
            platform=target.platform,
            summary_chars=target.summary_chars,
            max_length=target.max_length,
            thread=target.thread,
            hashtags=tuple(target.hashtags),
            photo=target.photo,
            template=target.template,
        )
        return compose(draft, options)

    return composer


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    engine: Engine | None = None,
) -> App:
    """Store, intake and planner; publishers come with ``build_dispatcher``."""
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    queue = QueueStore(engine=engine, durable_claims=settings.sqlite_durable_claims)
    state = StateStore(engine=engine)
    intake = Intake(store=queue, settings=settings, composer=make_composer(settings), clock=clock)
    planner = Planner(queue=queue, state=state, settings=settings, clock=clock)
    intake.on_change = planner.replan
    review = Review(approvals=ApprovalStore(engine=engine), queue=queue, settings=settings,
                    clock=clock, on_change=planner.replan)
    return App(settings=settings, clock=clock, engine=engine, queue=queue, state=state,
               intake=intake, planner=planner, review=review)


def build_dispatcher(
    app: App,
    *,
    rand: Callable[[], float] | None = None,
    echo: bool = True,
    on_published: Callable[..., None] | None = None,
) -> Dispatcher:
    """Publishers for every enabled target (outbox for dry-run ones) and the dispatcher,
    installed on ``app``."""
    dispatcher, publishers = make_dispatcher(app, app.settings, rand=rand, echo=echo,
                                             on_published=on_published)
    app.publishers.extend(publishers)
    app.dispatcher = dispatcher
    return dispatcher


def make_dispatcher(
    app: App,
    settings: Settings,
    *,
    rand: Callable[[], float] | None = None,
    echo: bool = True,
    on_published: Callable[..., None] | None = None,
    pacers: Pacers | None = None,
) -> tuple[Dispatcher, list[Publisher]]:
    """A dispatcher for ``settings`` and the publishers it opened (nothing on ``app`` changes:
    a reload builds the new one before it lets go of the old)."""
    outbox = OutboxPublisher(directory=settings.outbox_dir, clock=app.clock, echo=echo)
    shared: dict[str, Any] = {}
    lanes: dict[str, Lane] = {}
    opened: list[Publisher] = [outbox]
    for target in settings.targets:
        if not target.enabled:
            continue
        publisher: Publisher
        if settings.is_dry_run(target):
            publisher = outbox
        else:
            publisher = _real_publisher(settings, target.platform, shared, opened)
        lanes[target.name] = Lane(
            target=target.name,
            platform=target.platform,
            chat=target.chat or "",
            publisher=publisher,
            link_preview=target.link_preview,
            on_uncertain=target.on_uncertain,
            pacer_key="telegram" if target.platform is Platform.TELEGRAM else "x",
            per_minute=(settings.telegram.messages_per_chat_per_minute
                        if target.platform is Platform.TELEGRAM and not settings.is_dry_run(target)
                        else None),
        )
    policy = RetryPolicy(max_attempts=settings.retry.max_attempts, base=settings.retry.base_delay,
                         cap=settings.retry.max_delay, jitter=settings.retry.jitter)
    kwargs: dict[str, Any] = {}
    if rand is not None:
        kwargs["rand"] = rand
    if pacers is None:
        pacers = Pacers()
    pacers.per_second = settings.telegram.messages_per_second
    dispatcher = Dispatcher(
        queue=app.queue, state=app.state, lanes=lanes, policy=policy, clock=app.clock,
        pacers=pacers, on_published=on_published, **kwargs,
    )
    return dispatcher, opened


def _real_publisher(settings: Settings, platform: Platform, shared: dict[str, Any],
                    opened: list[Publisher]) -> Publisher:
    """One publisher per platform account, shared by its targets (lazy imports)."""
    if platform.value in shared:
        return shared[platform.value]  # type: ignore[no-any-return]
    publisher: Publisher
    if platform is Platform.TELEGRAM:
        from bot.publish.telegram import TelegramPublisher

        assert settings.telegram.bot_token is not None
        publisher = TelegramPublisher(
            token=settings.telegram.bot_token.get_secret_value(),
            api_base_url=settings.telegram.api_base_url,
            read_timeout=settings.telegram.timeout,
            write_timeout=settings.telegram.timeout,
        )
    else:
        from bot.publish.x import XPublisher

        x = settings.x
        assert x.api_key and x.api_secret and x.access_token and x.access_token_secret
        publisher = XPublisher(
            consumer_key=x.api_key.get_secret_value(),
            consumer_secret=x.api_secret.get_secret_value(),
            access_token=x.access_token.get_secret_value(),
            access_token_secret=x.access_token_secret.get_secret_value(),
            api_base_url=x.api_base_url,
            read_timeout=x.timeout,
        )
    shared[platform.value] = publisher
    opened.append(publisher)
    return publisher
