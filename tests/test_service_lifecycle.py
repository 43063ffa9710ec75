"""`camfleet run` as systemd runs it: READY after load, watchdog pings, SIGHUP reload without forgetting,
SIGTERM stop within 10 s, and restarts (graceful or kill -9) that resume from the DB without re-announcing.
Then the redaction check: a known password appears in no log line, metric, report, API reply or DB table."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from service_helpers import (
    SECRET,
    NotifySocket,
    ServiceProcess,
    camera_rows,
    free_port,
    wait_until,
    write_inventory,
)

from camfleet.inventory.store import Store
from camfleet.simulator.process import SimulatorProcess

NET = 41
SCENARIO = """
[[fault]]
kind = "offline"
cameras = ["C41-5"]

[[fault]]
kind = "auth"
cameras = ["C41-3"]
"""

CONFIG = """
[database]
url = "sqlite:///{db}"
write_interval_s = 0.5

[credentials]
file = "{cred}"

[poller]
liveness_interval_s = 2.0
identity_interval_s = 30.0
discovery_interval_s = 30.0
frame_interval_s = 60.0
recheck_delay_s = 0.3
call_timeout_s = 2.0
connect_timeout_s = 1.0

[vision]
enabled = false

[logging]
level = "debug"
"""


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "camfleet.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def _statuses(svc: ServiceProcess) -> dict[str, str]:
    code, body = svc.get("/api/cameras")
    assert code == 200, body
    return {c["id"]: c["status"] for c in json.loads(body)["cameras"]}


def _transitions(db: Path, camera_id: str) -> list[tuple[str, str]]:
    with Store(f"sqlite:///{db}") as store:
        return [(str(t.from_status), str(t.to_status)) for t in store.load_transitions(0.0) if t.camera_id == camera_id]


@pytest.mark.timeout(400)
def test_service_lifecycle_reload_restart_and_redaction(tmp_path: Path) -> None:
    """The whole service lifecycle against a real simulator, ending with a search for the password everywhere."""
    rows = camera_rows(8, NET)
    sim_inventory = write_inventory(tmp_path / "fleet.csv", rows)
    (tmp_path / "scenario.toml").write_text(SCENARIO, encoding="utf-8")
    inventory = write_inventory(tmp_path / "district.csv", rows[:7])
    db = tmp_path / "camfleet.db"
    config = tmp_path / "camfleet.toml"
    config.write_text(CONFIG.format(db=db, cred=tmp_path / "district.credentials.toml"), encoding="utf-8")
    env = {"CAMFLEET_CONFIG": str(config)}
    cli_env = {**os.environ, **env}
    assert _cli("inventory", "import", str(inventory), env=cli_env).returncode == 0

    notify = NotifySocket(tmp_path / "notify.sock")
    listen = f"127.0.0.1:{free_port()}"
    log = tmp_path / "service.log"
    sim = SimulatorProcess(
        sim_inventory,
        scenario=tmp_path / "scenario.toml",
        control=("127.0.0.1", free_port()),
        log_file=tmp_path / "s.log",
    )
    sim.start()
    svc = ServiceProcess(config, listen, log, notify, env)
    try:
        # --- start: READY only once the inventory is loaded and the web server listens
        svc.start()
        ready = notify.wait_for("READY=1")
        assert any(line.startswith("STATUS=7 cameras") for line in ready), ready
        assert svc.get("/-/ready")[0] == 200
        notify.wait_for("WATCHDOG=1", timeout_s=10)
        wait_until(lambda: _statuses(svc).get("C41-5") == "offline", what="C41-5 offline")
        wait_until(lambda: _statuses(svc).get("C41-3") == "auth_failed", what="C41-3 auth_failed")
        wait_until(lambda: _statuses(svc).get("C41-0") == "ok", what="C41-0 ok")
        ok_since = json.loads(svc.get("/api/cameras/C41-0")[1])["since"]
        metrics = svc.get("/metrics")[1]
        assert 'camfleet_camera_up{camera="C41-6"}' in metrics

        # --- SIGHUP: the edited inventory (C41-6 removed, C41-7 added) applies; nothing else is forgotten.
        # The config changes too: a check interval applies at once, a limit is named as waiting for a restart.
        edited = write_inventory(tmp_path / "district.csv", [*rows[:6], rows[7]])
        assert _cli("inventory", "import", str(edited), env=cli_env).returncode == 0
        text = CONFIG.format(db=db, cred=tmp_path / "district.credentials.toml")
        config.write_text(
            text.replace("identity_interval_s = 30.0", "identity_interval_s = 20.0\nconcurrency = 64"),
            encoding="utf-8",
        )
        svc.signal(signal.SIGHUP)
        notify.wait_for("RELOADING=1", timeout_s=20)
        notify.wait_for("READY=1", timeout_s=20)
        wait_until(lambda: _statuses(svc).get("C41-7") == "ok", what="added camera C41-7 ok")
        assert "C41-6" not in _statuses(svc)
        metrics = svc.get("/metrics")[1]
        assert 'camera="C41-6"' not in metrics and 'camfleet_camera_up{camera="C41-7"} 1' in metrics
        assert json.loads(svc.get("/api/cameras/C41-0")[1])["since"] == ok_since
        assert 'camfleet_config_reloads_total{result="success"} 1' in metrics
        logged = log.read_text(encoding="utf-8")
        assert "check intervals changed" in logged and "kinds=identity" in logged, logged[-2000:]
        assert "changed settings take effect at the next restart" in logged and "keys=poller.concurrency" in logged

        # --- SIGTERM: STOPPING, exit 0 within 10 s
        svc.signal(signal.SIGTERM)
        notify.wait_for("STOPPING=1", timeout_s=10)
        assert svc.wait(10) == 0
        before = _transitions(db, "C41-5")
        assert before.count(("unknown", "offline")) + before.count(("ok", "offline")) == 1, before

        # --- restart after a graceful stop, then after kill -9: state resumes, the old fault is not re-announced
        for crash in (False, True):
            svc.start()
            notify.wait_for("READY=1")
            wait_until(lambda: _statuses(svc).get("C41-5") == "offline", what="C41-5 still offline")
            assert _statuses(svc).get("C41-3") == "auth_failed"
            if crash:
                svc.kill()
            else:
                svc.signal(signal.SIGTERM)
                assert svc.wait(10) == 0
            assert _transitions(db, "C41-5") == before

        # --- redaction: the password appears nowhere a person or a machine could read it
        svc.start()
        notify.wait_for("READY=1")
        outputs = {
            "metrics": svc.get("/metrics")[1],
            "coverage page": svc.get("/coverage")[1],
            "coverage json": svc.get("/api/coverage")[1],
            "api": svc.get("/api/cameras")[1],
            "status": svc.get("/api/status")[1],
            "villages": svc.get("/api/villages")[1],
        }
        villages = json.loads(outputs["villages"])["villages"]
        assert {v["village"] for v in villages} == {"东岭村", "西河村"}
        svc.signal(signal.SIGTERM)
        svc.wait(10)
        sweep = _cli("sweep", "--once", "--json", env=cli_env)
        check = _cli("check", "C41-3", env=cli_env)
        report = _cli("coverage", "--format", "json", env=cli_env)
        export = tmp_path / "export.csv"
        assert _cli("inventory", "export", str(export), env=cli_env).returncode == 0
        outputs |= {
            "sweep": sweep.stdout + sweep.stderr,
            "check": check.stdout + check.stderr,
            "coverage cli": report.stdout + report.stderr,
            "export": export.read_text(encoding="utf-8-sig"),
            "service log": log.read_text(encoding="utf-8", errors="replace"),
            "database": "\n".join(sqlite3.connect(db).iterdump()),
        }
        assert "password" in check.stdout + check.stderr  # the failure is explained …
        assert "C41-3" in outputs["service log"]  # … and logged
        leaks = [name for name, text in outputs.items() if SECRET in text]
        assert not leaks, f"password found in: {leaks}"
    finally:
        svc.kill()
        sim.stop()
        notify.close()
