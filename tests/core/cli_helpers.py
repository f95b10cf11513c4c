"""Running the real ``crosspost`` CLI as a subprocess in a temporary project folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIG = """
database_url = "sqlite:///{root}/var/crosspost.db"
outbox_dir = "{root}/var/outbox"
dry_run = true
timezone = "Europe/Kyiv"
[[targets]]
name = "tg"
platform = "telegram"
chat = "@news"
[[targets]]
name = "xa"
platform = "x"
"""


@dataclass
class Result:
    """A finished CLI run."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


@dataclass
class Project:
    """A folder with a config file; runs the CLI against it."""

    root: Path
    env: dict[str, str]

    @property
    def config(self) -> Path:
        """The config file."""
        return self.root / "crosspost.toml"

    def run(self, *args: str, stdin: str | None = None, extra_env: dict[str, str] | None = None,
            timeout: float = 60) -> Result:
        """``python -m bot --config … ARGS`` and its outcome."""
        env = {**self.env, **(extra_env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "--config", str(self.config), *args],
            cwd=self.root, env=env, input=stdin, capture_output=True, text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)


def make_project(root: Path, config: str = CONFIG) -> Project:
    """A project folder with ``config`` written (``{root}`` filled in)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "crosspost.toml").write_text(config.format(root=root), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSPOST_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return Project(root, env)
