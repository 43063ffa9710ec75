"""`camfleet demo`: one command gives a simulated district, a poller and the web UI; Ctrl-C stops all of it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from service_helpers import free_port, wait_until


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except OSError:
        return 0, ""


@pytest.mark.timeout(300)
def test_demo_serves_metrics_and_coverage_then_stops_cleanly(tmp_path: Path) -> None:
    """The demo imports its district, polls it, serves /metrics, /coverage and the API, shows scenario faults,
    and on SIGINT stops the poller and its simulator child (no process left behind)."""
    listen = f"127.0.0.1:{free_port()}"
    control = f"127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "camfleet.cli", "demo", "--dir", str(tmp_path / "demo"), "--legacy", "60",
         "--listen", listen, "--control", control],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ},
    )  # fmt: skip
    try:
        wait_until(lambda: _get(f"http://{listen}/-/ready")[0] == 200, timeout_s=120, what="demo ready")
        metrics = _get(f"http://{listen}/metrics")[1]
        assert metrics.count("camfleet_camera_up{") == 560
        page = _get(f"http://{listen}/coverage")[1]
        assert "<svg" in page and "镇" in page
        faults = json.loads(_get(f"http://{control}/faults")[1])["faults"]
        assert {f["kind"] for f in faults} >= {"offline", "uplink_down", "auth", "covered"}

        def some_auth_failed() -> bool:
            cams = json.loads(_get(f"http://{listen}/api/cameras")[1] or '{"cameras": []}')["cameras"]
            return any(c["status"] == "auth_failed" for c in cams)

        wait_until(some_auth_failed, timeout_s=90, what="an auth fault from the demo scenario")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate(timeout=10)
    text = out.decode(errors="replace")
    assert "demo stopped" in text, text[-2000:]
    time.sleep(0.5)
    assert _get(f"http://{control}/faults")[0] == 0, "the simulator child is still serving"
