"""Schemathesis against the real process's OpenAPI document: no input makes it fail (5xx)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.api.conftest import TOKEN, RunningApi

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"
# One worker: with two threads, schemathesis's coverage phase on Python 3.11 now and then dies
# of CPython's "AST constructor recursion depth mismatch" (python/cpython#106905), not of us.


def test_schemathesis_finds_no_server_error(running_api: RunningApi, tmp_path: Path) -> None:
    """Generated valid and invalid requests to every operation never get a 5xx answer, and
    every status and content type is one the document declares."""
    st = Path(sys.executable).with_name("st")
    result = subprocess.run(
        [str(st), "run", f"{running_api.url}/openapi.json",
         "--header", f"Authorization: Bearer {TOKEN}",
         "--checks", CHECKS, "--max-examples", "40", "--seed", "7",
         "--phases", "examples,coverage,fuzzing", "--workers", "1",
         "--generation-database", "none", "--request-timeout", "15",
         "--report-dir", str(tmp_path / "report"), "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, (result.stdout[-6000:] + result.stderr[-2000:]
                                    + running_api.log.read_text()[-6000:])
