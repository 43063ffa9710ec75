"""`camfleet demo`: one command gives a simulated district, a poller and the web UI; Ctrl-C stops all of it."""

from __future__ import annotations

import json
import os
import signal
import socket
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


def _interrupt(proc: subprocess.Popen[bytes], timeout_s: float) -> str:
    """Ctrl-C the demo as a user would (SIGKILL to its group if it does not stop in time); its output."""
    proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
    return out.decode(errors="replace")


@pytest.mark.timeout(300)
def test_demo_serves_metrics_and_coverage_then_stops_cleanly(tmp_path: Path) -> None:
    """The demo imports its district, polls it, serves /metrics, /coverage and the API, shows scenario faults,
    judges its two stand-in pilot towns by the high standard on /coverage (a section and a matrix each), and
    on SIGINT stops the poller and its simulator child (no process left behind)."""
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
        assert "<h2>标准 standard: 高标准全覆盖</h2>" in page
        assert "<h3>城关镇 · " in page and "<h3>双溪镇 · " in page and page.count('<table class="matrix">') == 2
        faults = json.loads(_get(f"http://{control}/faults")[1])["faults"]
        assert {f["kind"] for f in faults} >= {"offline", "uplink_down", "auth", "covered"}

        def some_auth_failed() -> bool:
            cams = json.loads(_get(f"http://{listen}/api/cameras")[1] or '{"cameras": []}')["cameras"]
            return any(c["status"] == "auth_failed" for c in cams)

        wait_until(some_auth_failed, timeout_s=90, what="an auth fault from the demo scenario")
    finally:
        text = _interrupt(proc, 30)
    assert "demo stopped" in text, text[-2000:]
    time.sleep(0.5)
    assert _get(f"http://{control}/faults")[0] == 0, "the simulator child is still serving"


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (Linux /proc, every thread's: a child started from a worker thread is
    listed under that thread), or none once it has gone."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.timeout(600)
def test_demo_at_its_default_size_exactly_as_the_readme_says(tmp_path: Path) -> None:
    """`camfleet demo` with no argument, as the README's first command runs it: the default district (5,500
    cameras, so the simulator holds descriptors far above 1023), its RTSP child where GStreamer is installed,
    every camera on /metrics at the default address; Ctrl-C leaves no process behind. Fails on the code whose
    RTSP start-up used select() on a descriptor above 1023 (the simulator died during start-up)."""
    from camfleet.simulator.rtsp import available as rtsp_available

    for port in (9870, 9871):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"127.0.0.1:{port} is taken: the demo's defaults need it"
    script = Path(sys.executable).with_name("camfleet")
    assert script.exists(), f"the console script {script} is not installed"
    proc = subprocess.Popen(
        [str(script), "demo"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, env={k: v for k, v in os.environ.items() if not k.startswith("CAMFLEET_")},
    )  # fmt: skip
    work = tmp_path / "camfleet-demo"
    try:

        def ready() -> bool:
            assert proc.poll() is None, (work / "simulator.log").read_text(errors="replace")[-3000:]
            return _get("http://127.0.0.1:9870/-/ready")[0] == 200

        wait_until(ready, timeout_s=400, what="the default demo ready")
        metrics = _get("http://127.0.0.1:9870/metrics")[1]
        assert metrics.count("camfleet_camera_up{") == 5500
        assert _get("http://127.0.0.1:9871/faults")[0] == 200
        simulators = [c for c in _children(proc.pid) if "simulate" in _cmdline(c)]
        assert len(simulators) == 1, [_cmdline(c) for c in _children(proc.pid)]
        rtsp_children = [c for c in _children(simulators[0]) if "camfleet-rtsp" in _cmdline(c)]
        assert len(rtsp_children) == (1 if rtsp_available() else 0)
    finally:
        text = _interrupt(proc, 60)
    assert "demo stopped" in text, text[-2000:]
    assert "Traceback" not in (work / "simulator.log").read_text(errors="replace")
    time.sleep(0.5)
    assert _get("http://127.0.0.1:9871/faults")[0] == 0, "the simulator child is still serving"
    for pid in rtsp_children + simulators:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_pilot_towns_are_the_stand_ins_or_the_first_towns(tmp_path: Path) -> None:
    """The demo's standard names 城关镇 and 双溪镇 when the district has them, and fills up with its first towns
    by name when another seed drew other names (never a town the district lacks)."""
    from camfleet.cli.demo import demo_config, pilot_towns
    from camfleet.inventory.files import write_inventory_file

    def towns_of(*names: str) -> list[str]:
        path = tmp_path / "district.csv"
        write_inventory_file(path, [{"town": n, "village": f"{n}村", "point_id": f"P{i}"} for i, n in enumerate(names)])
        return pilot_towns(path)

    assert towns_of("金竹镇", "双溪镇", "城关镇", "白沙街道") == ["城关镇", "双溪镇"]
    assert towns_of("金竹镇", "城关镇", "白沙街道") == ["城关镇", "白沙街道"]
    assert towns_of("金竹镇", "白沙街道", "北塘镇") == ["北塘镇", "白沙街道"]
    (std,) = demo_config(tmp_path, "127.0.0.1:1", ["城关镇", "白沙街道"]).coverage.standard
    assert (std.towns, std.min_working_rate, std.min_availability) == (["城关镇", "白沙街道"], 0.95, None)
