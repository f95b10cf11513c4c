"""A production install (the Dockerfile's pip steps, no dev extra) can fetch a story page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ingest.pages import BUDGET
from tests.install_check import dockerfile_steps, fetch_with, install_like_dockerfile

ROOT = Path(__file__).resolve().parents[2]


def test_dockerfile_installs_without_the_dev_extra() -> None:
    """The image's pip step installs the project alone: no dev extra can hide a missing dependency."""
    _, installs = dockerfile_steps(ROOT / "Dockerfile")
    assert installs and all("[dev]" not in arg for args in installs for arg in args)


@pytest.mark.slow
def test_production_install_fetches_a_page(tmp_path: Path) -> None:
    """Installed by the Dockerfile's own pip steps into a clean venv, `queue add URL` fetches,
    extracts and queues the page (trafilatura's jusText needs lxml_html_clean at run time)."""
    bin_dir = install_like_dockerfile(tmp_path)
    story = fetch_with(bin_dir, tmp_path)
    assert story["title"] == BUDGET.title
    assert "eleven hours" in str(story["deliveries"][0]["text"])  # type: ignore[index]
