"""``camfleet sweep --once --json`` and ``camfleet check`` as a user runs them, against the simulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from inventory_helpers import write_csv
from poller_helpers import GROUP, camfleet_cli, inventory_rows, running, village_specs, write_credentials

from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.simulator import Fault, SimulatedFleet

NET = 2
#: Degraded above 1.5 s, not 0.6 s: on a loaded box a healthy camera can answer slower than 0.6 s twice in a row and
#: be counted degraded. No camera here is slow on purpose.
CONFIG = """
[poller]
call_timeout_s = 1.5
connect_timeout_s = 0.7
recheck_delay_s = 0.05
degraded_latency_s = 1.5
"""


def _setup(tmp_path: Path, db_url: str) -> dict[str, str]:
    specs = village_specs(NET, {"北坡村": 4, "南湾村": 2})
    import_inventory(db_url, validate_file(write_csv(tmp_path / "inv.csv", inventory_rows(specs))))
    (tmp_path / "camfleet.toml").write_text(CONFIG, encoding="utf-8")
    return {
        "CAMFLEET_DATABASE_URL": db_url,
        "CAMFLEET_CREDENTIALS_FILE": str(write_credentials(tmp_path / "cred.toml")),
        "CAMFLEET_CONFIG": str(tmp_path / "camfleet.toml"),
    }


@pytest.mark.timeout(180)
async def test_sweep_json_reports_every_camera_and_persists(tmp_path: Path, db_url: str) -> None:
    """One JSON object with counts and every camera; states and transitions land in the database; a second
    sweep (a restart) with nothing changed re-announces no transition; each transition logged on stderr names
    its camera (logfmt, camera first), never a bare "unknown → offline"."""
    env = _setup(tmp_path, db_url)
    fleet = SimulatedFleet(village_specs(NET, {"北坡村": 4, "南湾村": 2}))
    fleet.add_fault(Fault(kind="offline", cameras=("V0020-1",)))
    fleet.add_fault(Fault(kind="uplink_down", village="南湾村"))
    async with running(fleet):
        code, out, err = await camfleet_cli("sweep", "--once", "--json", env=env)
        assert code == 0, err
        doc = json.loads(out)
        code2, out2, err2 = await camfleet_cli("sweep", "--once", "--json", env=env)
        assert code2 == 0, err2
    assert doc["counts"] == {"ok": 3, "offline": 1, "uplink_down": 2}
    moves = [line for line in err.splitlines() if "→" in line]
    assert moves and all(" camera=V002" in line and line.startswith("ts=") for line in moves), err
    cams = {c["id"]: c for c in doc["cameras"]}
    assert (cams["V0020-1"]["status"], cams["V0020-1"]["reason"]) == ("offline", "refused")
    assert cams["V0021-0"]["reason"] == "uplink" and cams["V0021-0"]["village"] == "南湾村"
    assert cams["V0020-0"]["latency_ms"] > 0 and cams["V0020-0"]["clock_offset_s"] is not None
    assert set(cams["V0020-0"]) >= {"id", "status", "reason", "town", "village", "latency_ms", "clock_offset_s"}
    assert json.loads(out2)["counts"] == doc["counts"]
    with Store(db_url) as store:
        stored = store.load_states()
        history = store.load_transitions(0.0)
    assert {cid: str(s.status) for cid, s in stored.items()} == {c: v["status"] for c, v in cams.items()}
    # The first sweep announced each camera once it was confirmed: one move out of unknown per camera (the second
    # sweep, resumed from the stored states, announced none again), and the last move is to its status.
    assert sorted(t.camera_id for t in history if t.from_status == "unknown") == sorted(cams)
    assert {t.camera_id: str(t.to_status) for t in history} == {c: v["status"] for c, v in cams.items()}
    assert all(t.at <= max(s.since for s in stored.values()) for t in history)


@pytest.mark.timeout(120)
async def test_sweep_without_once_is_refused_clearly(tmp_path: Path, sqlite_url: str) -> None:
    """Without --once the command explains what to use instead and exits 2."""
    env = _setup(tmp_path, sqlite_url)
    code, _out, err = await camfleet_cli("sweep", env=env)
    assert code == 2 and "--once" in err


@pytest.mark.timeout(120)
async def test_check_explains_a_wrong_password_and_a_healthy_camera(tmp_path: Path, sqlite_url: str) -> None:
    """`check` walks the steps with timings; a refused password names the credential group; a healthy camera
    gets through every step up to a real JPEG."""
    env = _setup(tmp_path, sqlite_url)
    fleet = SimulatedFleet(village_specs(NET, {"北坡村": 4, "南湾村": 2}))
    fleet.add_fault(Fault(kind="auth", cameras=("V0020-2",)))
    async with running(fleet):
        code_bad, out_bad, _ = await camfleet_cli("check", "V0020-2", "--json", env=env)
        code_ok, out_ok, err_ok = await camfleet_cli("check", "V0020-0", "--json", env=env)
        code_addr, out_addr, _ = await camfleet_cli(
            "check", "127.30.2.1:8080", "--credential", "batch-2022", "--json", env=env
        )
    bad = json.loads(out_bad)
    assert code_bad == 1 and (bad["status"], bad["reason"]) == ("auth_failed", "password")
    assert "batch-2022" in bad["hint"] and [s["ok"] for s in bad["steps"]] == [True, True, False]
    ok = json.loads(out_ok)
    assert code_ok == 0, err_ok
    assert [s["step"] for s in ok["steps"]] == [
        "tcp connect",
        "clock",
        "auth + identity",
        "profiles",
        "snapshot uri",
        "snapshot fetch",
    ]
    assert all(s["ok"] for s in ok["steps"]) and "JPEG" in ok["steps"][-1]["detail"]
    assert code_addr == 0 and json.loads(out_addr)["status"] == "ok"
    assert "Poller-pass-7" not in out_bad + out_ok + out_addr


@pytest.mark.timeout(180)
async def test_missing_credential_group_is_its_own_reason(tmp_path: Path, sqlite_url: str) -> None:
    """A camera whose credential group is not in the credentials file is auth_failed/no_credentials, not a
    refused password, and the detail names the group and the file to add it to."""
    env = _setup(tmp_path, sqlite_url)
    other = tmp_path / "other.toml"
    other.write_text('[groups.another-batch]\nusername = "admin"\npassword = "x"\n', encoding="utf-8")
    other.chmod(0o600)
    env["CAMFLEET_CREDENTIALS_FILE"] = str(other)
    fleet = SimulatedFleet(village_specs(NET, {"北坡村": 4, "南湾村": 2}))
    async with running(fleet):
        code, out, err = await camfleet_cli("sweep", "--once", "--checks", "full", "--json", env=env, timeout=150)
    assert code == 0, err
    cams = {c["id"]: c for c in json.loads(out)["cameras"]}
    assert {(c["status"], c["reason"]) for c in cams.values()} == {("auth_failed", "no_credentials")}
    detail = cams["V0020-0"]["detail"]
    assert GROUP in detail and str(other) in detail, detail


@pytest.mark.timeout(120)
async def test_check_of_a_mistyped_camera_id_names_the_close_ones(tmp_path: Path, sqlite_url: str) -> None:
    """`check V0020-9` (no such camera; ids V0020-0..3 exist) is not taken for a host name: it says there is no
    such camera, offers the close ids and how to check by address, exits 2, even with --credential."""
    env = _setup(tmp_path, sqlite_url)
    for extra in ([], ["--credential", GROUP]):
        code, _out, err = await camfleet_cli("check", "V0020-9", *extra, env=env)
        assert code == 2, err
        assert "no camera 'V0020-9' in the inventory (6 cameras); did you mean V0020-" in err, err
        assert "Traceback" not in err


@pytest.mark.timeout(180)
async def test_sweep_by_default_authenticates_and_liveness_says_it_did_not(tmp_path: Path, sqlite_url: str) -> None:
    """`sweep --once` with no --checks answers "which cameras work?": a camera with a changed password reads
    auth_failed; `--checks liveness` (reach only) reads it ok and its summary says credentials were not checked,
    and when the sweep finished in Beijing time (the default display zone)."""
    env = _setup(tmp_path, sqlite_url)
    fleet = SimulatedFleet(village_specs(NET, {"北坡村": 4, "南湾村": 2}))
    fleet.add_fault(Fault(kind="auth", cameras=("V0020-2",)))
    async with running(fleet):
        code, out, err = await camfleet_cli("sweep", "--once", "--json", env=env)
        assert code == 0, err
        code_l, out_l, err_l = await camfleet_cli("sweep", "--once", "--checks", "liveness", env=env)
        assert code_l == 0, err_l
    doc = json.loads(out)
    assert doc["checks"] == "identity"
    assert doc["counts"] == {"ok": 5, "auth_failed": 1}
    assert "按状态 Cameras by status" in out_l and "正常 ok" in out_l
    assert re.search(r"巡检完成 sweep finished: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d CST\n", out_l), out_l
    assert "liveness only: each camera was reached, not authenticated" in err_l
