"""One non-cluster `camfleet run` per database: a second refuses to start and names the first; a crashed or
stopped holder does not block the next start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from service_helpers import NotifySocket, ServiceProcess, camera_rows, free_port, write_inventory

CONFIG = """
[database]
url = "{url}"

[credentials]
file = "{cred}"

[poller]
liveness_interval_s = 5.0
call_timeout_s = 1.0
connect_timeout_s = 0.5

[vision]
enabled = false
"""


def _service(tmp_path: Path, config: Path, name: str) -> ServiceProcess:
    notify = NotifySocket(tmp_path / f"{name}.sock")
    return ServiceProcess(config, f"127.0.0.1:{free_port()}", tmp_path / f"{name}.log", notify, {})


@pytest.mark.timeout(240)
def test_a_second_instance_refuses_the_database_until_the_first_is_gone(tmp_path: Path, db_url: str) -> None:
    """With a first service polling (READY), a second on the same database exits 4 naming the first (host and
    PID) and how to share the fleet ([cluster]); after the first is killed with SIGKILL the next starts at once
    (a dead holder on this host is taken over); after a clean SIGTERM stop the next starts at once too."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(3, 43))
    config = tmp_path / "camfleet.toml"
    config.write_text(CONFIG.format(url=db_url, cred=tmp_path / "district.credentials.toml"), encoding="utf-8")
    env = {**os.environ, "CAMFLEET_CONFIG": str(config)}
    env.pop("CAMFLEET_DATABASE_URL", None)
    imported = subprocess.run([sys.executable, "-m", "camfleet.cli", "inventory", "import", str(inventory)],
                              capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    first, second = _service(tmp_path, config, "first"), _service(tmp_path, config, "second")
    third, fourth = _service(tmp_path, config, "third"), _service(tmp_path, config, "fourth")
    try:
        first.start()
        first.notify.wait_for("READY=1")
        second.start()
        assert second.wait(90) == 4  # a configuration problem (cli/app.py EXIT_CONFIG)
        log = " ".join(second.log.read_text(errors="replace").split())
        assert first.proc is not None
        holder = f"instance {socket.gethostname()}:{first.proc.pid}:"
        assert f"another camfleet is polling this database: {holder}" in log, log
        assert "[cluster] enabled = true" in log and "Traceback" not in log
        assert first.get("/-/ready")[0] == 200

        first.kill()  # SIGKILL: no release; the claim would run on for a minute
        third.start()
        third.notify.wait_for("READY=1", timeout_s=60)
        third.signal(signal.SIGTERM)
        assert third.wait(30) == 0
        fourth.start()
        fourth.notify.wait_for("READY=1", timeout_s=60)
    finally:
        for svc in (first, second, third, fourth):
            svc.kill()
            svc.notify.close()


@pytest.mark.timeout(120)
def test_an_occupied_listen_address_names_its_holder(tmp_path: Path, sqlite_url: str) -> None:
    """`camfleet run` on a port another program listens on exits 4 (configuration) with one line naming the address, the
    holding process (this test's PID) and the fix, no traceback; its database claim is given up again."""
    inventory = write_inventory(tmp_path / "district.csv", camera_rows(2, 44))
    config = tmp_path / "camfleet.toml"
    config.write_text(CONFIG.format(url=sqlite_url, cred=tmp_path / "district.credentials.toml"), encoding="utf-8")
    env = {**os.environ, "CAMFLEET_CONFIG": str(config)}
    env.pop("CAMFLEET_DATABASE_URL", None)
    cli = [sys.executable, "-m", "camfleet.cli"]
    assert subprocess.run([*cli, "inventory", "import", str(inventory)], env=env, timeout=120).returncode == 0
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        proc = subprocess.run([*cli, "run", "--listen", f"127.0.0.1:{port}"],
                              capture_output=True, text=True, env=env, timeout=90)  # fmt: skip
    assert proc.returncode == 4, proc.stderr
    err = " ".join(proc.stderr.split())
    assert f"cannot listen on 127.0.0.1:{port}: address already in use: held by pid {os.getpid()}" in err, err
    assert "--listen or [web] listen" in err and "Traceback" not in proc.stderr
    again = _service(tmp_path, config, "again")
    try:
        again.start()
        again.notify.wait_for("READY=1", timeout_s=60)
    finally:
        again.kill()
        again.notify.close()
