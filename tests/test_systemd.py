"""The systemd unit: `systemd-analyze verify` is clean and its security exposure is at most 2.0."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNIT = REPO / "deploy" / "systemd" / "camfleet.service"

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")


def _unit_for_this_machine(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at this environment's camfleet, so that verify can resolve it."""
    exe = Path(sys.executable).with_name("camfleet")
    assert exe.exists(), f"console script not installed at {exe}"
    text = UNIT.read_text(encoding="utf-8").replace("/usr/local/bin/camfleet", str(exe))
    out = tmp_path / "camfleet.service"
    out.write_text(text, encoding="utf-8")
    return out


def test_unit_verifies_clean(tmp_path: Path) -> None:
    """`systemd-analyze verify` reports nothing and exits 0 for the shipped unit."""
    unit = _unit_for_this_machine(tmp_path)
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "camfleet.service" not in proc.stderr, proc.stderr


def test_unit_exposure_at_most_two(tmp_path: Path) -> None:
    """`systemd-analyze security --offline` rates the unit's exposure at or under 2.0 (threshold is in tenths)."""
    unit = _unit_for_this_machine(tmp_path)
    proc = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--threshold=20", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Overall exposure level" in proc.stdout


def test_unit_has_the_lifecycle_settings() -> None:
    """The unit runs as Type=notify with a watchdog, reload by SIGHUP and credentials via LoadCredential."""
    text = UNIT.read_text(encoding="utf-8")
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "LoadCredential=",
        "DynamicUser=yes",
    ):
        assert line in text, line
