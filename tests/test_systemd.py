"""The systemd units (the service, the DingTalk relay): `systemd-analyze verify` is clean and their security
exposure is at most 2.0."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from system_helpers import need

REPO = Path(__file__).resolve().parents[1]
UNIT = REPO / "deploy" / "systemd" / "camfleet.service"
RELAY = REPO / "deploy" / "systemd" / "camfleet-relay-dingtalk.service"
UNITS = pytest.mark.parametrize("shipped", [UNIT, RELAY], ids=lambda p: p.name)


@pytest.fixture(autouse=True)
def _systemd_analyze() -> None:
    """Skip (fail under CI) without systemd-analyze."""
    need(shutil.which("systemd-analyze"), "systemd-analyze is not installed (Debian package systemd)")


def _unit_for_this_machine(tmp_path: Path, shipped: Path = UNIT) -> Path:
    """The unit with ExecStart pointing at this environment's camfleet, so that verify can resolve it."""
    exe = Path(sys.executable).with_name("camfleet")
    assert exe.exists(), f"console script not installed at {exe}"
    text = shipped.read_text(encoding="utf-8").replace("/usr/local/bin/camfleet", str(exe))
    out = tmp_path / shipped.name
    out.write_text(text, encoding="utf-8")
    return out


@UNITS
def test_unit_verifies_clean(tmp_path: Path, shipped: Path) -> None:
    """`systemd-analyze verify` reports nothing and exits 0 for each shipped unit."""
    unit = _unit_for_this_machine(tmp_path, shipped)
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert shipped.name not in proc.stderr, proc.stderr


@UNITS
def test_unit_exposure_at_most_two(tmp_path: Path, shipped: Path) -> None:
    """`systemd-analyze security --offline` rates each unit's exposure at or under 2.0 (threshold is in tenths)."""
    unit = _unit_for_this_machine(tmp_path, shipped)
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


def test_unit_takes_every_setting_from_the_config_file() -> None:
    """Nothing in the unit overrides the config file (an Environment=CAMFLEET_DATABASE_URL there silently kept a
    PostgreSQL-configured service on SQLite), and the shipped config's database is an absolute path in the
    unit's state directory, so admin commands reading the same file reach the service's database."""
    from camfleet.config import load_config

    text = UNIT.read_text(encoding="utf-8")
    assert "Environment=" not in text and "CAMFLEET_" not in text
    assert "--config /etc/camfleet/camfleet.toml run" in text and "StateDirectory=camfleet" in text
    url = load_config(REPO / "config" / "camfleet.toml", apply_env=False).database.url
    assert url == "sqlite:////var/lib/camfleet/camfleet.db"


@pytest.mark.timeout(180)
def test_unit_documentation_is_installed_by_the_package(tmp_path: Path) -> None:
    """The unit's Documentation= file is one that installing the package creates: the wheel carries it under the
    data path that lands in <prefix>/share/doc/camfleet (the operations guide installs to /opt/camfleet)."""
    import zipfile

    docs = [
        line.split("=", 1)[1]
        for line in UNIT.read_text(encoding="utf-8").splitlines()
        if line.startswith("Documentation=")
    ]
    assert docs == ["file:///opt/camfleet/share/doc/camfleet/operations.md"]
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(REPO), "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("camfleet-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".data/data/share/doc/camfleet/operations.md") for n in names), names[-20:]


def test_relay_unit_reads_its_secrets_as_credentials() -> None:
    """The relay's robot URL and secret reach it through LoadCredential (readable by its dynamic user alone, as the
    relay's mode check wants) and its command line names the credential files, never a secret."""
    text = RELAY.read_text(encoding="utf-8")
    assert "LoadCredential=dingtalk-url:/etc/camfleet/dingtalk.url" in text
    assert "LoadCredential=dingtalk-secret:/etc/camfleet/dingtalk.secret" in text
    assert "--webhook-file ${CREDENTIALS_DIRECTORY}/dingtalk-url" in text
    assert "--secret-file ${CREDENTIALS_DIRECTORY}/dingtalk-secret" in text
    assert "DynamicUser=yes" in text and "access_token" not in text
