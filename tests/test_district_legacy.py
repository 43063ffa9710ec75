"""The synthetic district's legacy fleet as it really is: NVR channels (4–16 per village recorder) and RTSP-only
cameras, with the camera count unchanged, deterministic per seed, valid for camfleet's own validator, and the
default district untouched byte for byte."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import pytest

from camfleet.inventory.validate import validate_file
from camfleet.model import Access
from camfleet.simulator.district import LEGACY_PROGRAM, generate_district, write_district
from camfleet.simulator.inventory_specs import specs_from_inventory
from camfleet.simulator.legacy_fleet import recorder_sizes
from camfleet.simulator.rtsp import RTSP_PORT

SMALL = {"towns": 4, "villages": 12, "points": 30, "cameras": 40, "legacy": 400, "seed": 9}


def _recorders(rows: list[dict[str, str]]) -> dict[tuple[str, str], list[dict[str, str]]]:
    """(host, port) → the channel rows of that recorder."""
    found: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if row.get("channel"):
            found[(row["host"], row["port"])].append(row)
    return found


def test_channels_and_rtsp_only_come_out_as_asked_and_the_total_stays() -> None:
    """3,000 channels on recorders of 4–16 channels each, 500 RTSP-only cameras, still 5,500 cameras; every
    recorder's rows share its credential group, uplink and village, channels are distinct and sorted by row, and
    every village with a recorder keeps at least one standalone camera (a dead recorder ≠ a dead uplink)."""
    district = generate_district(nvr_channels=3000, rtsp_only=500)
    rows = district.camera_rows
    assert len(rows) == 5500 and len({r["camera_id"] for r in rows}) == 5500
    recorders = _recorders(rows)
    assert sum(len(v) for v in recorders.values()) == 3000
    assert all(4 <= len(v) <= 16 for v in recorders.values())
    for members in recorders.values():
        assert len({(r["credential"], r["uplink"], r["village"]) for r in members}) == 1
        channels = [int(r["channel"]) for r in members]
        assert channels == sorted(set(channels)) and channels[-1] <= 16
        assert all(r["program"] == LEGACY_PROGRAM for r in members)
    assert any(int(v[-1]["channel"]) > len(v) for v in recorders.values()), "no recorder with an empty port"
    rtsp = [r for r in rows if r.get("access") == "rtsp"]
    assert len(rtsp) == 500 and all(r["port"] == str(RTSP_PORT) and r["rtsp_path"].startswith("/") for r in rtsp)
    assert not any(r.get("channel") for r in rtsp) and all(r["program"] == LEGACY_PROGRAM for r in rtsp)
    standalone = {r["village"] for r in rows if not r.get("channel")}
    assert {r["village"] for r in recorders_rows(recorders)} <= standalone


def recorders_rows(recorders: dict[tuple[str, str], list[dict[str, str]]]) -> list[dict[str, str]]:
    """Every channel row of every recorder."""
    return [row for members in recorders.values() for row in members]


def test_same_seed_same_fleet_and_the_default_is_unchanged(tmp_path: Path) -> None:
    """The same seed gives the same recorders and RTSP-only cameras, another seed others; asking for none gives
    the very file the generator wrote before these options existed (its stream of draws is untouched)."""
    a = generate_district(**SMALL, nvr_channels=100, rtsp_only=20)
    b = generate_district(**SMALL, nvr_channels=100, rtsp_only=20)
    c = generate_district(**(SMALL | {"seed": 10}), nvr_channels=100, rtsp_only=20)
    assert a == b and _recorders(a.rows) != _recorders(c.rows)
    plain = generate_district(**SMALL)
    assert generate_district(**SMALL, nvr_channels=0, rtsp_only=0) == plain
    assert [r["camera_id"] for r in a.rows] == [r["camera_id"] for r in plain.rows]
    assert a.credentials == plain.credentials
    written, _ = write_district(plain, tmp_path / "plain.csv")
    # The file the generator wrote for these sizes and seed before channels existed (sha256 of its bytes).
    digest = hashlib.sha256(written.read_bytes()).hexdigest()
    assert digest == "92ac95a64c2135b4a85fd15bf500eca1d0b1bae0228fc1e898534dc184c71e32"


@pytest.mark.parametrize("channels", [4, 16, 17, 20, 33, 1000])
def test_recorder_sizes_always_sum_and_stay_in_range(channels: int) -> None:
    """Any channel count from 4 splits into recorders of 4–16 that add up to it (no remainder of 1–3)."""
    import random

    sizes = recorder_sizes(random.Random(channels), channels)
    assert sum(sizes) == channels and all(4 <= s <= 16 for s in sizes)


def test_impossible_requests_are_refused() -> None:
    """1–3 channels cannot make a recorder, and channels + RTSP-only cannot exceed the legacy cameras."""
    with pytest.raises(ValueError, match="at least 4"):
        generate_district(**SMALL, nvr_channels=3)
    with pytest.raises(ValueError, match="exceed"):
        generate_district(**SMALL, nvr_channels=300, rtsp_only=101)


def test_the_district_validates_imports_and_becomes_simulator_specs(tmp_path: Path) -> None:
    """camfleet's validator accepts the written district (channels share an address, RTSP rows carry a path), its
    records carry channel/access/rtsp_path, and the simulator reads them back as channel and RTSP-only specs."""
    district = generate_district(**SMALL, nvr_channels=120, rtsp_only=30)
    path, _ = write_district(district, tmp_path / "d.csv")
    inv = validate_file(path)
    assert len(inv.cameras) == 440
    assert sum(1 for c in inv.cameras if c.channel) == 120
    assert sum(1 for c in inv.cameras if c.access is Access.RTSP) == 30
    specs = specs_from_inventory(path)
    assert sum(1 for s in specs if s.channel) == 120
    rtsp = [s for s in specs if s.access == "rtsp"]
    assert len(rtsp) == 30 and all(s.port == RTSP_PORT and s.rtsp_path for s in rtsp)


@pytest.mark.parametrize("gstreamer", [True, False])
def test_the_demo_district_has_recorders_and_rtsp_only_cameras_only_with_gstreamer(
    tmp_path: Path, gstreamer: bool
) -> None:
    """`camfleet demo` prepares 5,500 cameras as before, 300 of them channels of recorders, and 20 RTSP-only ones
    only where GStreamer can serve them; its scenario switches one recorder off and blacks one channel of
    another, and loads."""
    from camfleet.cli.demo import _prepare
    from camfleet.simulator.scenario import load_scenario

    inventory, _, scenario = _prepare(tmp_path / "demo", False, 5000, 1, gstreamer)
    inv = validate_file(inventory)
    assert len(inv.cameras) == 5500 and sum(1 for c in inv.cameras if c.channel) == 300
    assert sum(1 for c in inv.cameras if c.access is Access.RTSP) == (20 if gstreamer else 0)
    faults = {f.kind: f for f in load_scenario(scenario).faults}
    recorder_hosts = {c.host for c in inv.cameras if c.channel}
    assert faults["nvr_down"].host in recorder_hosts
    (lost,) = faults["video_loss"].cameras
    assert next(c for c in inv.cameras if c.camera_id == lost).host not in (faults["nvr_down"].host, "")
