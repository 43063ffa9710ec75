"""Scenario files, the control endpoint, fleets from inventories and the ``simulate fleet`` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from simulator_helpers import GET_TIME_BODY, PASSWORD, USER, post, running, specs

from camfleet.errors import ConfigError, InventoryError
from camfleet.simulator import SimulatedFleet, load_scenario
from camfleet.simulator.scenario import parse_duration

pytestmark = pytest.mark.timeout(120)
REPO = Path(__file__).resolve().parent.parent


def test_durations() -> None:
    """Durations read as cameras' faults need them: seconds to years, negative skews, compound forms."""
    assert parse_duration("30s", "k") == 30
    assert parse_duration("-2h", "k") == -7200
    assert parse_duration("1h30m", "k") == 5400
    assert parse_duration("500ms", "k") == 0.5
    assert parse_duration("3y", "k") == 3 * 31557600
    with pytest.raises(ConfigError, match="k: expected a duration"):
        parse_duration("soon", "k")


def test_example_scenarios_load() -> None:
    """Every example scenario shipped in config/scenarios/ loads, with every fault kind represented."""
    kinds: set[str] = set()
    for path in sorted((REPO / "config" / "scenarios").glob("*.toml")):
        kinds |= {f.kind for f in load_scenario(path).faults}
    from camfleet.simulator import KINDS

    assert set(KINDS) - {"uplink_down"} <= kinds


def test_scenario_errors_name_file_and_key(tmp_path: Path) -> None:
    """A bad scenario is refused with the file and the key path in the message."""
    cases = {
        'kind = "melted"\ncameras=["C1"]': "fault[0].kind",
        'kind = "slow"\ncameras=["C1"]\nlatency = "fast"': "fault[0].latency",
        'kind = "covered"': "selects no camera",
        'kind = "covered"\ncameras=["C1"]\nskew="1h"': "unknown key(s) for kind 'covered': skew",
        'kind = "snapshot_error"\ncameras=["C1"]\nstatus = 200': "fault[0].status",
        'kind = "covered"\ncameras=["C1"]\nstart="5m"\nend="1m"': "fault[0].end",
    }
    for i, (body, expected) in enumerate(cases.items()):
        path = tmp_path / f"s{i}.toml"
        path.write_text("[[fault]]\n" + body + "\n", encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            load_scenario(path)
        assert str(path) in str(err.value) and expected in str(err.value)


def test_fraction_selection_is_seeded() -> None:
    """fraction + seed picks the same cameras every time, and the expected count; village selects by name."""
    from camfleet.simulator import Fault

    fleet = SimulatedFleet(specs(20, 50) + specs(5, 51, village="南坪村"))
    a = {c.spec.camera_id for c in fleet.select(Fault("covered", fraction=0.2, seed=7))}
    b = {c.spec.camera_id for c in fleet.select(Fault("covered", fraction=0.2, seed=7))}
    assert a == b and len(a) == 5
    assert {c.spec.camera_id for c in fleet.select(Fault("covered", village="南坪村"))} == {
        f"T051-{i}" for i in range(5)
    }


async def test_control_endpoint_adds_lists_and_clears_faults() -> None:
    """POST /faults applies a fault at once (auth → NotAuthorized), GET lists it, DELETE withdraws it."""
    fleet = SimulatedFleet(specs(1, 52), control=("127.0.0.1", 0))
    async with running(fleet), aiohttp.ClientSession() as session:
        url = f"{fleet.control_url}/faults"
        async with session.post(url, json={"kind": "malformed_xml", "cameras": ["T052-0"]}) as resp:
            assert resp.status == 201 and (await resp.json())["matched"] == 1
        status, body = await post("http://127.20.52.1:8080/onvif/device_service", GET_TIME_BODY)
        assert status == 200 and not body.rstrip().endswith(b"</env:Envelope>")
        async with session.get(url) as resp:
            assert [f["kind"] for f in (await resp.json())["faults"]] == ["malformed_xml"]
        async with session.post(url, json={"kind": "nope", "cameras": ["T052-0"]}) as resp:
            assert resp.status == 400 and "kind" in (await resp.json())["error"]
        async with session.delete(url) as resp:
            assert resp.status == 200
        status, body = await post("http://127.20.52.1:8080/onvif/device_service", GET_TIME_BODY)
        assert body.rstrip().endswith(b"</env:Envelope>")


def _inventory(tmp_path: Path) -> Path:
    inv = tmp_path / "inv.csv"
    inv.write_text(
        "town,village,point_id,camera_id,host,port,credential,uplink\n"
        "东山镇,东山村,P1,C1,127.20.53.1,8080,batch-a,\n"
        "东山镇,东山村,P2,,,,,\n"
        "东山镇,西湾村,P3,C3,127.20.53.3,8080,batch-a,fibre-7\n",
        encoding="utf-8",
    )
    creds = tmp_path / "inv.credentials.toml"
    creds.write_text(f'[groups.batch-a]\nusername = "{USER}"\npassword = "{PASSWORD}"\n', encoding="utf-8")
    creds.chmod(0o600)
    return inv


def test_fleet_from_inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows without a camera are skipped; credentials come from the group file beside the inventory;
    an empty uplink means town/village; a non-loopback host is refused naming the row."""
    monkeypatch.delenv("CAMFLEET_CREDENTIALS_FILE", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    fleet = SimulatedFleet.from_inventory(_inventory(tmp_path))
    assert sorted(fleet.cameras) == ["C1", "C3"]
    assert fleet.cameras["C1"].spec.password == PASSWORD
    assert (fleet.cameras["C1"].spec.uplink, fleet.cameras["C3"].spec.uplink) == ("东山镇/东山村", "fibre-7")
    bad = tmp_path / "inv.csv"
    bad.write_text(bad.read_text(encoding="utf-8").replace("127.20.53.3", "10.0.0.3"), encoding="utf-8")
    with pytest.raises(InventoryError, match=r"inv.csv:4 \[host\]"):
        SimulatedFleet.from_inventory(bad)


def test_simulate_fleet_command(tmp_path: Path) -> None:
    """``camfleet simulate fleet`` serves the inventory, prints the camera count and control URL, answers
    SOAP, and stops cleanly (exit 0) on SIGTERM."""
    inv = _inventory(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("CAMFLEET_CREDENTIALS_FILE", "CREDENTIALS_DIRECTORY")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from camfleet.cli import main; main()",
            "simulate",
            "fleet",
            "--inventory",
            str(inv),
            "--control",
            "127.0.0.1:0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving 2 cameras" in line and "http://127.0.0.1:" in line
        import asyncio

        status, _ = asyncio.run(post("http://127.20.53.3:8080/onvif/device_service", GET_TIME_BODY))
        assert status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert PASSWORD not in out + err


@pytest.mark.parametrize("held", ["camera", "control"])
def test_simulate_fleet_on_a_held_address_names_it_and_its_holder(tmp_path: Path, held: str) -> None:
    """When a camera's address or the control endpoint is already taken, ``simulate fleet`` exits 1 with one line
    naming the address and the process that holds it (this test's), not a bare "[Errno 98] Address already in
    use" or a traceback."""
    import socket

    inv = _inventory(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("CAMFLEET_CREDENTIALS_FILE", "CREDENTIALS_DIRECTORY")}
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.20.53.3", 8080) if held == "camera" else ("127.0.0.1", 0))
        holder.listen()
        host, port = holder.getsockname()
        control = f"127.0.0.1:{port}" if held == "control" else "127.0.0.1:0"
        proc = subprocess.run(
            [sys.executable, "-m", "camfleet.cli", "simulate", "fleet", "--inventory", str(inv), "--control", control],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    err = " ".join(proc.stderr.split())
    assert f"cannot listen on {host}:{port}: address already in use: held by pid {os.getpid()}" in err, err
    assert ("control endpoint:" in err) == (held == "control")
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr
