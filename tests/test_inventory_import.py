"""Import with a diff, export round trips and schema checks, on SQLite and the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from inventory_helpers import camera, point, sha256, small_inventory, write_csv

from camfleet.inventory.files import write_inventory_file
from camfleet.inventory.importer import export_rows, import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import Inventory, validate_file
from camfleet.model import CameraState, PointStatus, Status


def inventory_of(tmp_path: Path, rows: list[dict[str, str]], name: str = "inv.csv") -> Inventory:
    """Validate ``rows`` written as a CSV file."""
    return validate_file(write_csv(tmp_path / name, rows))


def test_first_import_adds_everything_and_reimport_changes_nothing(db_url: str, tmp_path: Path) -> None:
    """A new database is created at head, gets 4 points and 5 cameras; the same file again is a no-op."""
    inv = inventory_of(tmp_path, small_inventory())
    first = import_inventory(db_url, inv)
    assert first.created_schema and first.applied
    assert first.plan.counts()["points"]["added"] == 4 and first.plan.counts()["cameras"]["added"] == 5
    again = import_inventory(db_url, inv)
    assert again.plan.empty and not again.applied and not again.created_schema
    assert again.plan.unchanged_points == 4 and again.plan.unchanged_cameras == 5
    with Store(db_url) as store:
        assert [c.camera_id for c in store.load_cameras()] == ["C1", "C2", "C3", "C4", "C5"]
        assert store.load_points()[3].status is PointStatus.PLANNED


def test_edited_file_applies_exactly_the_differences(db_url: str, tmp_path: Path) -> None:
    """Changed, added, retired and removed rows are applied and reported; state of removed cameras stays."""
    import_inventory(db_url, inventory_of(tmp_path, small_inventory()), today=dt.date(2025, 6, 1))
    with Store(db_url) as store:
        store.save_states([CameraState("C4", Status.OK, since=1.0)])
    rows = [r for r in small_inventory() if r["point_id"] != "P3"]  # P3 gone: retired, C4 and C5 removed
    rows[0] = rows[0] | {"port": "8000", "point_name": "村口东"}  # P1 and C1 changed
    rows[1] = rows[1] | {"point_name": "村口东"}
    rows[3] = point(
        "P4", town="东溪街道", village="石门村", point_status="installed", installed_on="2025-06-20", accepted_on=""
    )
    rows[3] |= camera("C7", "127.10.0.7")
    rows.append(point("P5", village="新村") | camera("C6", "127.10.0.6", uplink="新光交箱"))
    result = import_inventory(db_url, inventory_of(tmp_path, rows, "edited.csv"), today=dt.date(2025, 7, 1))
    lines = sorted(str(c) for c in result.plan.changes())
    assert lines == sorted(
        [
            "added point P5 (青石镇 新村 村口, accepted)",
            "changed point P1 (point_name: 村口 → 村口东)",
            "changed point P4 (status: planned → installed, installed_on: ∅ → 2025-06-20)",
            "retired point P3 (东溪街道 石门村 村口, retired)",
            "added camera C6 (at P5, 127.10.0.6:80)",
            "added camera C7 (at P4, 127.10.0.7:80)",
            "changed camera C1 (port: 80 → 8000)",
            "removed camera C4 (at P3, cam-4.example.cn:8080)",
            "removed camera C5 (at P3, [2001:db8::5]:80)",
        ]
    )
    with Store(db_url) as store:
        assert sorted(c.camera_id for c in store.load_cameras()) == ["C1", "C2", "C3", "C6", "C7"]
        statuses = {p.point_id: p.status for p in store.load_points()}
        assert statuses["P3"] is PointStatus.RETIRED and statuses["P4"] is PointStatus.INSTALLED
        assert store.load_states()["C4"].status is Status.OK  # history outlives the camera
    retired = [r for r in export_rows(db_url) if r["point_id"] == "P3"]
    assert retired == [retired[0]] and retired[0]["point_status"] == "retired" and not retired[0]["camera_id"]
    assert import_inventory(db_url, inventory_of(tmp_path, rows, "edited.csv")).plan.empty


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_reimports_to_the_same_database(db_url: str, tmp_path: Path, suffix: str) -> None:
    """Export → import into a fresh database → export gives the same rows; into the source DB: no change."""
    rows = small_inventory()
    rows[0] = rows[0] | {"lat": "30.123456789", "point_name": '村口,东侧 "一"'}
    rows[1] = rows[1] | {"lat": "30.123456789", "point_name": '村口,东侧 "一"'}
    import_inventory(db_url, inventory_of(tmp_path, rows))
    exported = tmp_path / f"export{suffix}"
    write_inventory_file(exported, export_rows(db_url))
    assert import_inventory(db_url, validate_file(exported)).plan.empty
    other = f"sqlite:///{tmp_path}/other.db"
    import_inventory(other, validate_file(exported))
    assert export_rows(other) == export_rows(db_url)
    if suffix == ".csv":
        assert exported.read_bytes().startswith(b"\xef\xbb\xbf")


def test_dry_run_writes_nothing(sqlite_url: str, tmp_path: Path) -> None:
    """A dry run does not create a missing SQLite file, and leaves an existing one byte-for-byte alone."""
    db_file = Path(sqlite_url.removeprefix("sqlite:///"))
    plan = import_inventory(sqlite_url, inventory_of(tmp_path, small_inventory()), dry_run=True).plan
    assert plan.counts()["cameras"]["added"] == 5 and not db_file.exists()
    import_inventory(sqlite_url, inventory_of(tmp_path, small_inventory()))
    before = sha256(db_file)
    edited = small_inventory()[:2]
    result = import_inventory(sqlite_url, inventory_of(tmp_path, edited, "edited.csv"), dry_run=True)
    assert len(result.plan.retired_points) == 3 and not result.applied
    assert sha256(db_file) == before


def test_reimport_leaves_the_sqlite_file_untouched(sqlite_url: str, tmp_path: Path) -> None:
    """Re-importing the same file writes nothing: the database file's hash does not move."""
    inv = inventory_of(tmp_path, small_inventory())
    import_inventory(sqlite_url, inv)
    db_file = Path(sqlite_url.removeprefix("sqlite:///"))
    before = sha256(db_file)
    import_inventory(sqlite_url, inv)
    assert sha256(db_file) == before


def test_retired_point_returns_to_service_when_listed_again(db_url: str, tmp_path: Path) -> None:
    """Dropping P3 retires it on the import day; listing it again restores its status and clears the date."""
    import sqlalchemy as sa

    from camfleet.inventory.db import open_engine
    from camfleet.inventory.tables import POINT

    def retired_on() -> object:
        engine = open_engine(db_url)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.select(POINT.c.retired_on).where(POINT.c.point_id == "P3")).scalar_one()
        finally:
            engine.dispose()

    full = inventory_of(tmp_path, small_inventory())
    import_inventory(db_url, full)
    without_p3 = inventory_of(tmp_path, [r for r in small_inventory() if r["point_id"] != "P3"], "less.csv")
    import_inventory(db_url, without_p3, today=dt.date(2025, 8, 1))
    assert retired_on() == dt.date(2025, 8, 1)
    import_inventory(db_url, without_p3, today=dt.date(2025, 9, 1))  # still retired: the date stays
    assert retired_on() == dt.date(2025, 8, 1)
    back = import_inventory(db_url, full)
    assert [str(c) for c in back.plan.changes()] == [
        "changed point P3 (status: retired → accepted)",
        "added camera C4 (at P3, cam-4.example.cn:8080)",
        "added camera C5 (at P3, [2001:db8::5]:80)",
    ]
    assert retired_on() is None
    with Store(db_url) as store:
        assert sorted(c.camera_id for c in store.load_cameras()) == ["C1", "C2", "C3", "C4", "C5"]


def test_import_waits_for_a_running_service_write_on_sqlite(sqlite_url: str, tmp_path: Path) -> None:
    """An import while another process writes (the running service's batch) waits for its commit and then
    applies, instead of failing with "database is locked": it takes SQLite's write lock before it reads.
    (A deferred transaction would read an older snapshot and be refused at its first write.)"""
    import sqlite3
    import threading
    import time

    from camfleet.inventory import db

    import_inventory(sqlite_url, inventory_of(tmp_path, small_inventory()))
    path = db.sqlite_path(sqlite_url)
    assert path is not None
    began, done = threading.Event(), threading.Event()

    def service_write() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=10)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO transition (camera_id, at, from_status, to_status, reason, detail) "
            "VALUES ('C1', 1.0, 'unknown', 'ok', '', '')"
        )
        began.set()
        time.sleep(1.0)  # the import starts meanwhile
        conn.execute("COMMIT")
        conn.close()
        done.set()

    writer = threading.Thread(target=service_write)
    writer.start()
    assert began.wait(10)
    edited = [r for r in small_inventory() if r["camera_id"] != "C5"]
    result = import_inventory(sqlite_url, inventory_of(tmp_path, edited, "edited.csv"))
    writer.join(10)
    assert done.is_set() and result.applied
    with Store(sqlite_url) as store:
        assert "C5" not in {t.camera_id for t in store.load_targets()}
        assert [t.camera_id for t in store.load_transitions(0.0)] == ["C1"]
