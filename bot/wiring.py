"""The composition root: builds every part from ``Settings`` and hands each part what it uses.

Only the doors (``bot.cli``, ``bot.api``, ``bot.staff``, ``bot.web``) import this module.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from bot.config.settings import Settings
from bot.daemon.dispatch import Dispatcher, Lane, Pacers
from bot.daemon.images import ImageStep
from bot.daemon.planning import Planner
from bot.daemon.revising import Reviser
from bot.daemon.runtime import Runtime
from bot.daemon.service import Daemon
from bot.domain.models import Platform
from bot.domain.ports import Clock, Publisher, SystemClock
from bot.domain.retry import RetryPolicy
from bot.intake.corrections import Corrections
from bot.intake.queueing import Intake, compose_post
from bot.intake.review import Review
from bot.publish.outbox import OutboxPublisher
from bot.store.approvals import ApprovalStore
from bot.store.db import make_engine, upgrade
from bot.store.queue import QueueStore
from bot.store.revisions import RevisionStore
from bot.store.state import StateStore


def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    engine: Engine | None = None,
) -> Runtime:
    """Store, intake and planner; publishers come with ``build_dispatcher``."""
    clock = clock or SystemClock()
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    queue = QueueStore(engine=engine, durable_claims=settings.sqlite_durable_claims)
    state = StateStore(engine=engine)
    intake = Intake(store=queue, settings=settings, composer=compose_post, clock=clock)
    planner = Planner(queue=queue, state=state, settings=settings, clock=clock)
    intake.on_change = planner.replan
    review = Review(approvals=ApprovalStore(engine=engine), queue=queue, settings=settings,
                    clock=clock, on_change=planner.replan)
    revisions = RevisionStore(engine=engine, durable_claims=settings.sqlite_durable_claims)
    corrections = Corrections(intake=intake, revisions=revisions, clock=clock,
                              on_change=planner.replan)
    return Runtime(settings=settings, clock=clock, engine=engine, queue=queue, state=state,
                   intake=intake, planner=planner, review=review, revisions=revisions,
                   corrections=corrections)


def build_dispatcher(
    app: Runtime,
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
    app: Runtime,
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
            link_preview="off" if target.image_policy == "off" else target.link_preview,
            on_uncertain=target.on_uncertain,
            pacer_key="telegram" if target.platform is Platform.TELEGRAM else "x",
            per_minute=(settings.telegram.messages_per_chat_per_minute
                        if target.platform is Platform.TELEGRAM and not settings.is_dry_run(target)
                        else None),
            on_image_error=target.on_image_error,
            correction_template=target.correction_template,
        )
    policy = RetryPolicy(max_attempts=settings.retry.max_attempts, base=settings.retry.base_delay,
                         cap=settings.retry.max_delay, jitter=settings.retry.jitter)
    kwargs: dict[str, Any] = {}
    if rand is not None:
        kwargs["rand"] = rand
    if pacers is None:
        pacers = Pacers()
    pacers.per_second = settings.telegram.messages_per_second
    reviser = Reviser(store=app.revisions, state=app.state, policy=policy, clock=app.clock,
                      rand=rand or random.random)
    dispatcher = Dispatcher(
        queue=app.queue, state=app.state, lanes=lanes, policy=policy, clock=app.clock,
        pacers=pacers, on_published=on_published, images=image_step(app, settings),
        reviser=reviser, **kwargs,
    )
    return dispatcher, opened


def image_step(app: Runtime, settings: Settings) -> ImageStep:
    """The one image step of ``app`` (fetching story images once for every target); a reload
    keeps its cache and hands it the new fetch settings."""
    if app.images is None:
        from bot.ingest.fetch import Fetcher
        from bot.ingest.image import ImageStore

        store = ImageStore(fetcher=Fetcher(settings=settings.fetch),
                           max_bytes=settings.fetch.image_max_bytes)
        app.images = ImageStep(store=store)
    else:
        app.images.store.use(settings.fetch, settings.fetch.image_max_bytes)
    return app.images


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


def build_daemon(
    app: Runtime,
    *,
    config_file: Path | None = None,
    load: Callable[[Path], Settings] | None = None,
    rand: Callable[[], float] | None = None,
    echo: bool = True,
    **options: Any,
) -> Daemon:
    """The daemon over ``app``, with the factory it needs to rebuild the publishers when the
    config file changes (``options`` go to ``Daemon``)."""

    def dispatchers(settings: Settings, pacers: Pacers | None,
                    on_published: Callable[..., None] | None) -> tuple[Dispatcher, list[Publisher]]:
        return make_dispatcher(app, settings, rand=rand, echo=echo, on_published=on_published,
                               pacers=pacers)

    return Daemon(app=app, make_dispatcher=dispatchers,
                  config_file=config_file, load=load, **options)
