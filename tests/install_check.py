"""Install crosspost as the Dockerfile does (no dev extra) into a clean virtual environment and
fetch a story page with it from a local server: the check that a production install works.

Run by ``.ci/run`` (``python -m tests.install_check``) and by ``tests/e2e/test_install.py``.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from tests.ingest.pages import BUDGET
from tests.ingest.server import PageServer, Route

ROOT = Path(__file__).resolve().parents[1]


def dockerfile_steps(dockerfile: Path) -> tuple[list[tuple[str, str]], list[list[str]]]:
    """The Dockerfile's ``COPY src dest`` pairs and its ``RUN pip install ...`` commands."""
    copies: list[tuple[str, str]] = []
    installs: list[list[str]] = []
    for line in dockerfile.read_text().splitlines():
        words = shlex.split(line)
        if not words:
            continue
        if words[0] == "COPY":
            *sources, dest = words[1:]
            copies.extend((src, dest) for src in sources)
        elif words[0] == "RUN" and words[1:3] == ["pip", "install"]:
            installs.append(words[3:])
    return copies, installs


def install_like_dockerfile(work: Path) -> Path:
    """A clean venv under ``work`` with the project installed by the Dockerfile's own pip steps
    (run in an app folder holding what the Dockerfile copies); returns the venv's bin folder."""
    copies, installs = dockerfile_steps(ROOT / "Dockerfile")
    if not installs:
        raise SystemExit("Dockerfile has no `RUN pip install` step")
    app = work / "app"
    app.mkdir()
    for src, dest in copies:
        target = app / dest.removeprefix("./") if dest not in ("./", ".") else app
        source = ROOT / src
        if source.is_dir():
            shutil.copytree(source, target if dest not in ("./", ".") else app / src,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.mkdir(parents=True, exist_ok=True) if dest.endswith("/") else None
            shutil.copy(source, target if not dest.endswith("/") else target / source.name)
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    for args in installs:
        done = subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", *args],
                              cwd=app, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pip install {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return bin_dir


def fetch_with(bin_dir: Path, work: Path) -> dict[str, object]:
    """Queue a story by URL alone (the page fetched and extracted) with the installed
    ``crosspost``; returns its ``queue show --json``. Raises with the output on failure."""
    server = PageServer().start()
    try:
        server.routes["/budget"] = Route(body=BUDGET.html.encode(),
                                         headers={"Content-Type": "text/html; charset=utf-8"})
        config = work / "crosspost.toml"
        config.write_text(
            'database_url = "sqlite:///var/crosspost.db"\noutbox_dir = "var/outbox"\n'
            "[fetch]\nallow_private_networks = true\n"
            '[[targets]]\nname = "tg"\nplatform = "telegram"\nchat = "@newsroom"\n'
        )
        crosspost = str(bin_dir / "crosspost")
        base = [crosspost, "--config", str(config)]
        added = subprocess.run([*base, "queue", "add", server.url("/budget"), "--json"],
                               cwd=work, capture_output=True, text=True, timeout=120)
        if added.returncode != 0:
            raise RuntimeError(f"queue add failed ({added.returncode}): {added.stdout}{added.stderr}")
        story_id = str(json.loads(added.stdout)["id"])
        shown = subprocess.run([*base, "queue", "show", story_id, "--json"], cwd=work,
                               capture_output=True, text=True, timeout=120, check=True)
        story: dict[str, object] = json.loads(shown.stdout)
        return story
    finally:
        server.stop()


def main() -> int:
    """Install, fetch, and say what happened."""
    with tempfile.TemporaryDirectory(prefix="crosspost-install-") as tmp:
        work = Path(tmp)
        print("install check: pip install as the Dockerfile does, into a clean venv ...", flush=True)
        bin_dir = install_like_dockerfile(work)
        story = fetch_with(bin_dir, work)
        if story.get("title") != BUDGET.title:
            print(f"install check: wrong title {story.get('title')!r}", file=sys.stderr)
            return 1
        print(f"install check: fetched and queued {story['title']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
