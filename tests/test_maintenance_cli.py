"""``camfleet maintenance add|list|end`` as a person runs them: windows stored with who and when, local time
in the table and offsets in JSON, unknown targets named with exit 2 and nothing stored."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cli_helpers import run, small_inventory_db

from camfleet.config.display import DISTRICT_TZ as BEIJING
from camfleet.inventory.store import Store
from camfleet.maintenance import Scope, local


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite database holding ``small_inventory`` (C1–C5 in 下坞村, 上坞村 and 石门村), through the env var."""
    return small_inventory_db(tmp_path, monkeypatch)


def test_add_each_scope_then_list_and_end(env: str) -> None:
    """A camera, a village (镇/村 and --town/--village) and an uplink window are stored with the reason and who;
    the table lists them in local time (CST by default); `end` stops one, which then leaves the default list but
    stays in --all."""
    before = time.time()
    code, out, err = run(
        "maintenance", "add", "--camera", "C1", "--until", "4h", "--reason", "立杆更换", "--by", "王工"
    )
    assert code == 0, err
    assert "maintenance window 1: camera C1 until" in out and "by 王工" in out
    assert run("maintenance", "add", "--village", "青石镇/上坞村", "--until", "2d", "--reason", "光缆迁改")[0] == 0
    assert (
        run("maintenance", "add", "--town", "东溪街道", "--village", "石门村", "--until", "1h", "--reason", "x")[0] == 0
    )
    assert run("maintenance", "add", "--uplink", "青石镇光交箱01", "--until", "30m", "--reason", "换光猫")[0] == 0
    with Store(env) as store:
        windows = store.maintenance()
    assert [(w.scope, w.target) for w in windows] == [
        (Scope.CAMERA, "C1"), (Scope.VILLAGE, "青石镇/上坞村"), (Scope.VILLAGE, "东溪街道/石门村"),
        (Scope.UPLINK, "青石镇光交箱01"),
    ]  # fmt: skip
    assert windows[0].created_by == "王工" and windows[1].created_by  # the OS user without --by
    assert before <= windows[0].created_at <= time.time()
    assert abs(windows[0].ends_at - windows[0].starts_at - 4 * 3600) < 1
    code, out, _ = run("maintenance", "list")
    assert code == 0 and "立杆更换" in out and "青石镇/上坞村" in out and " CST" in out
    assert local(windows[0].ends_at) in out
    code, out, _ = run("maintenance", "end", "1")
    assert code == 0 and "maintenance window 1 (camera C1) ended at" in out
    assert "already over" in run("maintenance", "end", "1")[1]
    code, out, _ = run("maintenance", "list")
    assert "立杆更换" not in out
    code, out, _ = run("maintenance", "list", "--all", "--format", "json")
    states = {w["id"]: w["state"] for w in json.loads(out)["windows"]}
    assert states == {1: "ended", 2: "active", 3: "active", 4: "active"}


def test_list_json_keeps_unix_and_offset_times(env: str) -> None:
    """JSON gives each window's unix times and ISO times with +08:00, the town and village of a village
    window, and its state; a naive --until is read in the display zone (Beijing time by default)."""
    day = (datetime.now(BEIJING) + timedelta(days=10)).date().isoformat()
    assert run("maintenance", "add", "--village", "石门村", "--until", f"{day}T03:04", "--reason", "r")[0] == 0
    code, out, _ = run("maintenance", "list", "--format", "json")
    assert code == 0
    (w,) = json.loads(out)["windows"]
    assert w["ends"] == f"{day}T03:04:00+08:00"
    assert w["ends_at"] == datetime.fromisoformat(f"{day}T03:04:00+08:00").timestamp()
    assert (w["town"], w["village"], w["state"], w["scope"]) == ("东溪街道", "石门村", "active", "village")
    assert w["starts"].endswith("+08:00") and w["ended_at"] is None


def test_unknown_targets_and_bad_input_exit_2_naming_them(env: str) -> None:
    """Unknown camera, village or uplink, an ambiguous or missing scope, a bad time, an unknown window: exit 2 with
    a message naming what was wrong, and nothing stored."""
    cases = [
        (("--camera", "C99"), "unknown camera 'C99'"),
        (("--village", "西村"), "unknown village '西村'"),
        (("--village", "东溪街道/下坞村"), "unknown village '下坞村' in town '东溪街道'"),
        (("--uplink", "光交箱99"), "unknown uplink '光交箱99'"),
        (("--camera", "C1", "--uplink", "青石镇光交箱01"), "exactly one of"),
        ((), "exactly one of"),
    ]
    for extra, message in cases:
        code, _, err = run("maintenance", "add", *extra, "--until", "4h", "--reason", "x")
        assert code == 2 and message in " ".join(err.split()), (extra, err)
    code, _, err = run("maintenance", "add", "--camera", "C1", "--until", "soon", "--reason", "x")
    assert code == 2 and "--until 'soon'" in err
    code, _, err = run("maintenance", "end", "42")
    assert code == 2 and "no maintenance window 42" in err
    code, _, err = run("maintenance", "list", "--format", "xml")
    assert code == 2 and "--format 'xml'" in err
    with Store(env) as store:
        assert store.maintenance() == []
