"""Prometheus metrics on a private registry: deliveries by state and target, publish latency,
errors by kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.daemon.dispatch import Dispatcher
from bot.daemon.runtime import Runtime
from bot.domain.models import Delivery
from bot.store.tables import attempts

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _QueueCollector(Collector):
    """Reads counts from the database on every scrape (so they agree with ``status``)."""

    def __init__(self, app: Runtime, alive: Callable[[], bool]) -> None:
        self.app = app
        self.alive = alive

    def collect(self) -> Iterator[Metric]:
        """Deliveries per (target, state), failed attempts per error kind, scheduler state."""
        deliveries = GaugeMetricFamily(
            "crosspost_deliveries", "Deliveries by target and state.", labels=["target", "state"])
        for (target, state), n in sorted(self.app.queue.counts().items()):
            deliveries.add_metric([target, state], n)
        yield deliveries
        errors = CounterMetricFamily(
            "crosspost_delivery_errors", "Failed publish attempts by error kind.", labels=["kind"])
        for kind, n in self._errors():
            errors.add_metric([kind], n)
        yield errors
        yield GaugeMetricFamily("crosspost_scheduler_alive", "1 while the scheduler runs.",
                                value=1 if self.alive() else 0)

    def _errors(self) -> list[tuple[str, int]]:
        with self.app.engine.connect() as conn:
            rows = conn.execute(
                select(attempts.c.error_kind, func.count())
                .where(attempts.c.error_kind.is_not(None))
                .group_by(attempts.c.error_kind).order_by(attempts.c.error_kind)
            ).all()
        return [(str(r[0]), int(r[1])) for r in rows]


class Metrics:
    """One registry per API app; the latency histogram is fed by the dispatcher's hook."""

    def __init__(self, app: Runtime, *, alive: Callable[[], bool]) -> None:
        self.app = app
        self.registry = CollectorRegistry(auto_describe=False)
        self.latency = Histogram(
            "crosspost_publish_latency_seconds",
            "Seconds one delivery took to publish (all its parts), by target.",
            ["target", "platform"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.registry.register(_QueueCollector(app, alive))

    def observe(self, delivery: Delivery, seconds: float) -> None:
        """Record one published delivery's latency."""
        self.latency.labels(delivery.target, delivery.platform.value).observe(seconds)

    def attach(self) -> None:
        """Hook into the current dispatcher (again after a config reload replaced it)."""
        dispatcher: Dispatcher | None = self.app.dispatcher
        if dispatcher is None or getattr(dispatcher.on_published, "_crosspost_metrics", None) is self:
            return
        previous = dispatcher.on_published

        def hook(delivery: Delivery, seconds: float) -> None:
            self.observe(delivery, seconds)
            if previous is not None:
                previous(delivery, seconds)

        hook._crosspost_metrics = self  # type: ignore[attr-defined]
        dispatcher.on_published = hook

    def render(self) -> bytes:
        """The text exposition format (reads the database: call it in a worker thread)."""
        self.attach()
        return generate_latest(self.registry)
