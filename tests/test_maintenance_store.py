"""Maintenance windows in the database (migration 0007 both ways, on SQLite and PostgreSQL), the checks made before
one is stored, the time words the command reads, and which cameras, villages and uplinks a set of windows holds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from inventory_helpers import small_inventory, write_csv

from camfleet.config.display import DISTRICT_TZ as BEIJING
from camfleet.errors import UsageError
from camfleet.inventory import db
from camfleet.inventory import maintenance as ops
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.maintenance import MaintenanceWindow, Scope, held, holding, parse_time, village_target
from camfleet.model import CameraTarget

NOW = 1_796_600_000.0


def _window(
    scope: Scope, target: str, start: float = NOW - 60, end: float = NOW + 3600, **kw: object
) -> MaintenanceWindow:
    return MaintenanceWindow(scope, target, start, end, "光缆迁改", "李工", NOW - 60, **kw)  # type: ignore[arg-type]


def test_migration_0007_goes_up_and_down_with_the_inventory_in_place(db_url: str, tmp_path: Path) -> None:
    """A database at 0006 holding an inventory upgrades to 0007 (the maintenance table appears, the inventory is
    kept, a window can be stored); downgrading to 0006 drops exactly that table; upgrading again works."""
    from alembic import command

    import_inventory(db_url, validate_file(write_csv(tmp_path / "inv.csv", small_inventory())))
    engine = db.open_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(db.alembic_config(conn), "0006")
        tables = set(sa.inspect(engine).get_table_names())
        assert "maintenance" not in tables and "camera" in tables
        assert db.upgrade(db_url) == ("0006", db.head_revision())
        with Store(db_url) as store:
            assert len(store.load_cameras()) == 5
            assert store.add_maintenance(_window(Scope.CAMERA, "C1")) > 0
        with engine.begin() as conn:
            command.downgrade(db.alembic_config(conn), "0006")
        assert set(sa.inspect(engine).get_table_names()) == tables
        assert db.upgrade(db_url) == ("0006", db.head_revision())
        with Store(db_url) as store:
            assert store.maintenance() == []  # the downgrade dropped the window with its table
    finally:
        engine.dispose()


def test_store_adds_lists_and_ends_windows(db_url: str) -> None:
    """Windows are numbered by the database and read back whole (Chinese text included); ``current_at`` leaves
    out windows over or ended; ending twice keeps the first end."""
    db.upgrade(db_url)
    with Store(db_url) as store:
        a = store.add_maintenance(_window(Scope.CAMERA, "C1", id=99))
        b = store.add_maintenance(_window(Scope.VILLAGE, village_target("青石镇", "下坞村")))
        c = store.add_maintenance(_window(Scope.UPLINK, "青石镇光交箱01", end=NOW - 1))
        d = store.add_maintenance(_window(Scope.CAMERA, "C2", start=NOW + 600, end=NOW + 7200))
        assert a < b < c < d and a != 99
        every = store.maintenance()
        assert [w.id for w in every] == [a, b, c, d]
        assert (
            every[1].place == ("青石镇", "下坞村") and every[1].reason == "光缆迁改" and every[1].created_by == "李工"
        )
        assert [w.id for w in store.maintenance(current_at=NOW)] == [a, b, d]  # c is over; d is planned
        ended = store.end_maintenance(a, NOW + 5)
        assert ended is not None and ended.ended_at == NOW + 5 and not ended.active(NOW + 6)
        again = store.end_maintenance(a, NOW + 50)
        assert again is not None and again.ended_at == NOW + 5
        assert store.end_maintenance(12345, NOW) is None
        assert [w.id for w in store.maintenance(current_at=NOW + 10)] == [b, d]


@pytest.fixture
def store(sqlite_url: str, tmp_path: Path) -> Store:
    """A SQLite store holding ``small_inventory`` (C1, C2 in 青石镇/下坞村; C3 behind 青石镇光交箱01 in 上坞村;
    C4, C5 in 东溪街道/石门村)."""
    import_inventory(sqlite_url, validate_file(write_csv(tmp_path / "inv.csv", small_inventory())))
    return Store(sqlite_url)


def test_add_checks_the_target_against_the_inventory(store: Store) -> None:
    """An unknown camera, village or uplink is refused naming it, and nothing is stored; known ones are stored."""
    kw = {"starts_at": NOW, "ends_at": NOW + 3600, "reason": "立杆", "by": "李工", "now": NOW}
    with pytest.raises(UsageError, match="unknown camera 'C99'"):
        ops.add(store, Scope.CAMERA, "C99", **kw)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"unknown uplink .光交箱99.*青石镇光交箱01"):
        ops.add(store, Scope.UPLINK, "光交箱99", **kw)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match=r"unknown village '下坞村' in town '东溪街道' \(it is in 青石镇\)"):
        ops.resolve_village(store, "东溪街道", "下坞村")
    with pytest.raises(UsageError, match="unknown village '西村'"):
        ops.resolve_village(store, None, "西村")
    assert store.maintenance() == []
    assert ops.resolve_village(store, None, "青石镇/上坞村") == "青石镇/上坞村"
    assert ops.resolve_village(store, None, "石门村") == "东溪街道/石门村"  # only one town has it
    w = ops.add(store, Scope.UPLINK, "青石镇光交箱01", **kw)  # type: ignore[arg-type]
    assert store.maintenance() == [w]


def test_add_refuses_bad_times_and_an_empty_reason(store: Store) -> None:
    """An end not after the start or now, a window over 90 days, or no reason: refused, nothing stored."""
    with pytest.raises(UsageError, match="not after the start"):
        ops.add(store, Scope.CAMERA, "C1", starts_at=NOW, ends_at=NOW, reason="x", by="a", now=NOW)
    with pytest.raises(UsageError, match="not after the start"):
        ops.add(store, Scope.CAMERA, "C1", starts_at=NOW - 7200, ends_at=NOW - 60, reason="x", by="a", now=NOW)
    with pytest.raises(UsageError, match="at most 90 days"):
        ops.add(store, Scope.CAMERA, "C1", starts_at=NOW, ends_at=NOW + 91 * 86400, reason="x", by="a", now=NOW)
    with pytest.raises(UsageError, match="--reason"):
        ops.add(store, Scope.CAMERA, "C1", starts_at=NOW, ends_at=NOW + 60, reason="  ", by="a", now=NOW)
    assert store.maintenance() == []


def test_end_names_an_unknown_window_and_says_when_already_over(store: Store) -> None:
    """Ending an unknown id is a usage error naming it; ending twice tells the second caller it was over."""
    w = ops.add(store, Scope.CAMERA, "C1", starts_at=NOW, ends_at=NOW + 60, reason="x", by="a", now=NOW)
    with pytest.raises(UsageError, match="no maintenance window 77"):
        ops.end(store, 77, now=NOW)
    first, did = ops.end(store, w.id, now=NOW + 10)
    assert did and first.ended_at == NOW + 10
    second, did_again = ops.end(store, w.id, now=NOW + 20)
    assert not did_again and second.ended_at == NOW + 10


def test_parse_time_reads_beijing_time_offsets_and_durations() -> None:
    """A naive time is Beijing time, an explicit offset is kept, a date alone is its Beijing midnight, durations
    count from the base; anything else names the option and the text."""
    assert (
        parse_time("2026-12-08T18:00", base=0, option="--until")
        == datetime.fromisoformat("2026-12-08T10:00+00:00").timestamp()
    )
    assert (
        parse_time("2026-12-08 18:00+00:00", base=0, option="--until")
        == datetime.fromisoformat("2026-12-08T18:00+00:00").timestamp()
    )
    assert parse_time("2026-12-08", base=0, option="--until") == datetime(2026, 12, 8, tzinfo=BEIJING).timestamp()
    assert parse_time("4h", base=NOW, option="--until") == NOW + 4 * 3600
    assert parse_time("2d", base=NOW, option="--until") == NOW + 2 * 86400
    assert parse_time("1h30m", base=NOW, option="--until") == NOW + 5400
    with pytest.raises(UsageError, match="--from 'tomorrow'"):
        parse_time("tomorrow", base=NOW, option="--from")


def _targets() -> dict[str, CameraTarget]:
    rows = [("C1", "青石镇", "下坞村", "青石镇/下坞村"), ("C2", "青石镇", "下坞村", "青石镇/下坞村"),
            ("C3", "青石镇", "上坞村", "光交箱01"), ("C4", "东溪街道", "石门村", "光交箱01"),
            ("C5", "东溪街道", "石门村", "东溪街道/石门村")]  # fmt: skip
    return {c: CameraTarget(c, "127.0.0.1", 80, up, "", town, village) for c, town, village, up in rows}


def test_held_expands_windows_over_cameras_villages_and_uplinks() -> None:
    """A camera window holds that camera only (its village and uplink still alert); a village window holds its
    cameras, the village and its uplinks there; an uplink window holds the cameras behind it and the uplink in
    each village it serves; a village whose every camera is held is held. Windows not active hold nothing."""
    targets = _targets()
    one = held([_window(Scope.CAMERA, "C1")], targets, NOW)
    assert one.cameras == {"C1"} and one.villages == set() and one.uplinks == set()
    both = held([_window(Scope.CAMERA, "C1"), _window(Scope.CAMERA, "C2")], targets, NOW)
    assert both.villages == {("青石镇", "下坞村")} and both.uplinks == {("青石镇/下坞村", "青石镇", "下坞村")}
    village = held([_window(Scope.VILLAGE, "东溪街道/石门村")], targets, NOW)
    assert village.cameras == {"C4", "C5"} and village.villages == {("东溪街道", "石门村")}
    assert village.uplinks == {("光交箱01", "东溪街道", "石门村"), ("东溪街道/石门村", "东溪街道", "石门村")}
    link = held([_window(Scope.UPLINK, "光交箱01")], targets, NOW)
    assert link.cameras == {"C3", "C4"} and link.villages == {("青石镇", "上坞村")}
    assert link.uplinks == {("光交箱01", "青石镇", "上坞村"), ("光交箱01", "东溪街道", "石门村")}
    quiet = [_window(Scope.CAMERA, "C1", start=NOW + 1), _window(Scope.CAMERA, "C2", end=NOW),
             _window(Scope.CAMERA, "C3", ended_at=NOW - 1)]  # fmt: skip
    assert held(quiet, targets, NOW).cameras == set()


def test_holding_names_the_window_that_lasts_longest() -> None:
    """A camera under a camera window and a longer village window is held by the village window."""
    short, long = _window(Scope.CAMERA, "C1", id=1), _window(Scope.VILLAGE, "青石镇/下坞村", end=NOW + 9999, id=2)
    assert holding([short, long], _targets()["C1"], NOW) == long
    assert holding([short, long], _targets()["C3"], NOW) is None


def test_naive_times_follow_the_configured_display_zone() -> None:
    """With ``[display] timezone = "Asia/Urumqi"`` (UTC+6) a naive time on the command line is read in that zone and
    shown in it, not in Beijing time: the district's one zone for people, whatever it is."""
    from zoneinfo import ZoneInfo

    from camfleet.config.display import display_zone, set_display_zone
    from camfleet.maintenance import local

    before = display_zone()
    set_display_zone(ZoneInfo("Asia/Urumqi"))
    try:
        at = parse_time("2026-12-08T18:00", base=0, option="--until")
        assert at == datetime.fromisoformat("2026-12-08T12:00+00:00").timestamp()
        assert local(at) == "2026-12-08 18:00 +06"
    finally:
        set_display_zone(before)
