"""A test whose system package is missing skips on a developer's machine and fails under CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from system_helpers import REQUIRE

HERE = Path(__file__).resolve().parent


def _run(tmp_path: Path, required: bool) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_needs_a_tool.py"
    test.write_text(
        'from system_helpers import need\n\n\ndef test_tool() -> None:\n    need(None, "tool X is not installed")\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != REQUIRE}
    env["PYTHONPATH"] = str(HERE)
    if required:
        env[REQUIRE] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", str(test)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_missing_tool_skips_here_and_fails_under_ci(tmp_path: Path) -> None:
    """Without CAMFLEET_REQUIRE_SYSTEM the test is skipped with the reason; with it (as .ci/run sets) the same
    test fails naming the missing tool, so a broken CI install cannot pass with those checks skipped."""
    quiet = _run(tmp_path, required=False)
    assert quiet.returncode == 0 and "1 skipped" in quiet.stdout and "tool X is not installed" in quiet.stdout
    strict = _run(tmp_path, required=True)
    assert strict.returncode == 1 and "1 failed" in strict.stdout, strict.stdout
    assert "tool X is not installed" in strict.stdout and REQUIRE in strict.stdout
