"""The synthetic district: exact counts, determinism, addresses a simulator can bind, a valid inventory."""

from __future__ import annotations

import ipaddress
from collections import Counter
from pathlib import Path

import pytest

from camfleet.config.credentials import load_credentials_file
from camfleet.inventory.validate import validate_file
from camfleet.model import PointStatus
from camfleet.simulator.district import LEGACY_PROGRAM, NEW_PROGRAM, generate_district, write_district


def counts(rows: list[dict[str, str]]) -> dict[str, int]:
    """Towns, villages, new points, new cameras, planned new points and legacy cameras in ``rows``."""
    new = [r for r in rows if r["program"] == NEW_PROGRAM]
    return {
        "towns": len({r["town"] for r in rows}),
        "villages": len({(r["town"], r["village"]) for r in rows}),
        "points": len({r["point_id"] for r in new}),
        "cameras": sum(1 for r in new if r["camera_id"]),
        "planned": sum(1 for r in new if not r["camera_id"]),
        "legacy": sum(1 for r in rows if r["program"] == LEGACY_PROGRAM and r["camera_id"]),
    }


def test_default_district_has_exactly_the_programme_counts() -> None:
    """20 towns, 128 villages, 336 new points with 500 cameras (a few planned, empty), 5,000 legacy cameras."""
    district = generate_district()
    found = counts(district.rows)
    assert {k: v for k, v in found.items() if k != "planned"} == {
        "towns": 20, "villages": 128, "points": 336, "cameras": 500, "legacy": 5000,
    }  # fmt: skip
    assert 1 <= found["planned"] <= 20
    per_point = Counter(r["point_id"] for r in district.rows if r["program"] == NEW_PROGRAM and r["camera_id"])
    assert set(per_point.values()) == {1, 2, 3}
    new_villages = {r["village"] for r in district.rows if r["program"] == NEW_PROGRAM}
    assert len(new_villages) == 128  # 一村一探头: every village gets a new point


@pytest.mark.parametrize(
    "args", [(3, 5, 7, 4, 11), (1, 1, 1, 3, 0), (5, 40, 20, 60, 100), (20, 128, 336, 336, 5000), (2, 4, 10, 0, 0)]
)
def test_requested_counts_are_met_exactly(args: tuple[int, int, int, int, int]) -> None:
    """Small, odd and edge-case sizes come out exactly as asked (cameras may be fewer than points)."""
    towns, villages, points, cameras, legacy = args
    found = counts(generate_district(towns, villages, points, cameras, legacy, seed=3).rows)
    assert (found["towns"], found["villages"], found["points"], found["cameras"], found["legacy"]) == args
    assert found["planned"] >= points - cameras


def test_impossible_sizes_are_refused() -> None:
    """More than 3 cameras per new point, or fewer villages than towns, is a ValueError."""
    with pytest.raises(ValueError, match="do not fit"):
        generate_district(points=10, cameras=31)
    with pytest.raises(ValueError, match="villages ≥ towns"):
        generate_district(towns=5, villages=4)
    with pytest.raises(ValueError, match="no point at all"):
        generate_district(towns=2, villages=10, points=3, cameras=3, legacy=2)


def test_same_seed_same_district_other_seed_other_district() -> None:
    """The generator is deterministic per seed, passwords included."""
    a, b, c = generate_district(seed=5), generate_district(seed=5), generate_district(seed=6)
    assert a == b and a.credentials == b.credentials
    assert a.rows != c.rows and a.credentials != c.credentials


def test_cameras_have_unique_loopback_addresses_ids_and_plausible_places() -> None:
    """127.10.0.1 upward, never 127.0.0.1, port 8080, ids C00001…, coordinates in the county box."""
    rows = generate_district().camera_rows
    hosts = [ipaddress.IPv4Address(r["host"]) for r in rows]
    assert len(set(hosts)) == len(rows) and str(hosts[0]) == "127.10.0.1"
    assert all(h in ipaddress.IPv4Network("127.10.0.0/16") and h.packed[3] not in (0, 255) for h in hosts)
    assert {r["port"] for r in rows} == {"8080"}
    assert [r["camera_id"] for r in rows] == [f"C{i:05d}" for i in range(1, len(rows) + 1)]
    assert all(29.9 <= float(r["lat"]) <= 30.4 and 119.6 <= float(r["lon"]) <= 120.2 for r in rows)
    assert {r["credential"] for r in rows} == {"yctt-2025", "xtw-2019", "xtw-2022"}
    assert 0 < sum(1 for r in rows if r["uplink"]) < len(rows) // 2
    assert all(r["town"].endswith(("镇", "乡", "街道")) and r["village"].endswith("村") for r in rows)


def test_written_district_validates_and_its_credentials_load(tmp_path: Path) -> None:
    """The CSV passes validation; the credentials file is 0600 and loads with the product's loader."""
    district = generate_district(towns=4, villages=12, points=30, cameras=40, legacy=200, seed=9)
    csv_path, cred_path = write_district(district, tmp_path / "d.csv")
    inv = validate_file(csv_path)
    assert len(inv.cameras) == 240
    assert sum(1 for p in inv.points if p.status is PointStatus.PLANNED) == 30 - len(
        {c.point_id for c in inv.cameras if c.point_id.startswith("YC")}
    )
    assert cred_path.name == "d.credentials.toml" and cred_path.stat().st_mode & 0o777 == 0o600
    store = load_credentials_file(cred_path)
    assert set(store.groups) == {"yctt-2025", "xtw-2019", "xtw-2022"}
    assert store.groups["yctt-2025"].password == district.credentials["yctt-2025"].password
    assert district.credentials["yctt-2025"].password not in repr(district.credentials)
