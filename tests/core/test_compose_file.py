"""docker-compose.yml and the Dockerfile stay correct without a Docker engine to try them."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config.settings import Settings
from bot.store.db import make_engine

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_the_bot_on_postgres_with_mounted_config() -> None:
    """Services, health check, volumes, the database URL and the mounted config all line up."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "crosspost"}
    db, bot = services["db"], services["crosspost"]
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    env = bot["environment"]
    url = env["CROSSPOST_DATABASE_URL"].replace("${POSTGRES_PASSWORD:-crosspost}", "pw")
    assert url.startswith("postgresql+psycopg://crosspost:pw@db:5432/")
    assert url.rsplit("/", 1)[1] == db["environment"]["POSTGRES_DB"]
    make_engine(url).dispose()  # a URL SQLAlchemy accepts with the psycopg driver
    mounts = {v.split(":")[1]: v for v in bot["volumes"]}
    assert mounts["/app/config"].startswith("./config") and mounts["/app/config"].endswith(":ro")
    assert env["CROSSPOST_CONFIG"] == "/app/config/crosspost.toml"
    assert (ROOT / "config" / "crosspost.toml").exists()
    for secret in ("CROSSPOST_TELEGRAM__BOT_TOKEN", "CROSSPOST_X__API_KEY",
                   "CROSSPOST_X__ACCESS_TOKEN_SECRET"):
        assert env[secret].startswith("${"), "secrets come from the environment"
    for name in compose["volumes"]:
        assert any(v.startswith(f"{name}:") for s in services.values() for v in s["volumes"])


def test_dockerfile_installs_the_package_and_runs_the_daemon() -> None:
    """The image installs the project, ships config/ and starts `crosspost run`."""
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install" in text and "COPY bot" in text and "COPY config" in text
    assert 'ENTRYPOINT ["crosspost"]' in text and 'CMD ["run"]' in text


def test_compose_publishes_the_api_port_and_binds_all_interfaces_inside() -> None:
    """The API port is published and the API listens on every interface inside the container
    (the settings' own default stays loopback), so `docker compose up` makes it reachable."""
    bot = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["crosspost"]
    env = bot["environment"]
    assert env["CROSSPOST_API__HOST"] == "0.0.0.0"
    inside = str(env["CROSSPOST_API__PORT"])
    published = [str(p) for p in bot["ports"]]
    assert any(p.rsplit(":", 1)[1] == inside for p in published), published
    assert Settings().api.host == "127.0.0.1"
