"""``/healthz`` and ``/metrics``: for load balancers and Prometheus (no token needed)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from bot.api.metrics import Metrics
from bot.api.models import Health, WorkerHealth
from bot.daemon.runtime import Runtime

router = APIRouter(tags=["operations"])


def database_state(app: Runtime) -> str:
    """``ok``, or why the database cannot be reached."""
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


@router.get("/healthz", response_model=Health,
            responses={503: {"model": Health, "description": "Database or scheduler down."}})
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers and the scheduler runs, else 503 saying which is down."""
    app: Runtime = request.app.state.crosspost
    alive: Callable[[], bool] = request.app.state.alive
    database = await run_in_threadpool(database_state, app)
    running = alive()
    crew = app.crew
    worker = WorkerHealth.model_validate(crew.status()) if crew is not None else None
    health = Health(ok=database == "ok" and running, database=database,
                    scheduler="alive" if running else "stopped", worker=worker)
    return JSONResponse(health.model_dump(exclude_none=True), status_code=200 if health.ok else 503)


@router.get("/metrics", response_class=Response, responses={
    200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
          "description": "Prometheus text exposition format."}})
async def metrics(request: Request) -> Response:
    """Deliveries by state and target, publish latency histogram, errors by kind."""
    registry: Metrics = request.app.state.metrics
    body = await run_in_threadpool(registry.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
