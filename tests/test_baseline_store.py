"""Acceptance pictures, baseline reviews and approvals (migration 0005), on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from inventory_helpers import small_inventory, write_csv

from camfleet.inventory import db
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.model import Approval, BaselineReview, BaselineState, ReferencePicture

JPEG = b"\xff\xd8\xff\xe0accepted"
NEW_TABLES = {"reference_picture", "baseline_review", "baseline_approval"}


def test_reference_pictures_upsert_and_filter(db_url: str) -> None:
    """Acceptance pictures round-trip (bytes, source, time, a Chinese id), a second import replaces a camera's
    picture, and ``references(ids)`` returns only the ids asked for that have one."""
    db.upgrade(db_url)
    with Store(db_url) as store:
        store.put_references([ReferencePicture("摄像机-1", JPEG, "验收/摄像机-1.jpg", 10.0),
                              ReferencePicture("C2", JPEG + b"2", "C2.png", 11.0)])  # fmt: skip
        store.put_references([ReferencePicture("C2", JPEG + b"new", "C2.jpg", 12.0)])
        store.put_references([])
        everything = store.references()
        some = store.references(["C2", "C9"])
    assert everything["摄像机-1"] == ReferencePicture("摄像机-1", JPEG, "验收/摄像机-1.jpg", 10.0)
    assert some == {"C2": ReferencePicture("C2", JPEG + b"new", "C2.jpg", 12.0)}


def test_reviews_upsert_keep_states_and_optional_thumbnails(db_url: str) -> None:
    """Each state word round-trips with its reason and a thumbnail or none; writing a camera again replaces
    its row; a state word written by a newer camfleet reads as none rather than failing."""
    db.upgrade(db_url)
    first = [
        BaselineReview("C1", BaselineState.DOUBTFUL, "covered: 96 % featureless", 100.0, JPEG, 101.0),
        BaselineReview("C2", BaselineState.PROVISIONAL, "", 100.0, None, 101.0),
        BaselineReview("C3", BaselineState.APPROVED, "acceptance picture", 50.0, None, 101.0),
    ]
    with Store(db_url) as store:
        store.put_reviews(first)
        cleared = BaselineReview("C1", BaselineState.APPROVED, "approved by 王工", 200.0, None, 201.0)
        store.put_reviews([cleared])
        got = store.reviews()
        with db.open_engine(db_url).begin() as conn:
            conn.execute(sa.text("UPDATE baseline_review SET state = 'sideways' WHERE camera_id = 'C2'"))
        later = store.reviews()
    assert got == {"C1": cleared, "C2": first[1], "C3": first[2]}
    assert later["C2"].state is BaselineState.NONE


def test_approvals_are_numbered_and_read_after_an_id(db_url: str) -> None:
    """Approvals are appended with increasing ids (any id passed in is ignored); ``approvals(after_id)``
    returns only the newer ones, oldest first, with who and why."""
    db.upgrade(db_url)
    with Store(db_url) as store:
        given = [Approval("C1", 10.0, "王工", "盖布已取下"), Approval("C2", 11.0, "li", "", id=77)]
        assert store.add_approvals(given) == 2
        assert store.add_approvals([]) == 0
        every = store.approvals()
        assert [(a.camera_id, a.by, a.note) for a in every] == [("C1", "王工", "盖布已取下"), ("C2", "li", "")]
        assert 0 < every[0].id < every[1].id != 77
        store.add_approvals([Approval("C3", 12.0, "li")])
        newer = store.approvals(after_id=every[-1].id)
    assert [a.camera_id for a in newer] == ["C3"] and newer[0].id > every[-1].id


def test_migration_0005_upgrades_a_0004_database_and_goes_back(db_url: str, tmp_path: Path) -> None:
    """A database at 0004 holding an inventory is upgraded to the head (0005 and after): the three tables appear,
    the inventory is kept; downgrading to 0004 (through 0006, which drops a column of ``point`` while cameras
    refer to it) drops exactly those tables."""
    from alembic import command

    import_inventory(db_url, validate_file(write_csv(tmp_path / "inv.csv", small_inventory())))
    engine = db.open_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(db.alembic_config(conn), "0004")
        assert not NEW_TABLES & set(sa.inspect(engine).get_table_names())
        assert db.upgrade(db_url) == ("0004", db.HEAD_REVISION)
        assert set(sa.inspect(engine).get_table_names()) >= NEW_TABLES
        with Store(db_url) as store:
            assert len(store.load_cameras()) == 5 and store.reviews() == {}
        with engine.begin() as conn:
            command.downgrade(db.alembic_config(conn), "0004")
        assert not NEW_TABLES & set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_upgrade_command_brings_a_0004_file_to_0005(sqlite_url: str, tmp_path: Path) -> None:
    """``camfleet db upgrade`` on a SQLite file left at 0004 by an earlier release says so and lands at the
    head, after which the store opens and writes a review."""
    from alembic import command

    db.upgrade(sqlite_url)
    engine = db.open_engine(sqlite_url)
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "0004")
    engine.dispose()
    env = {**os.environ, "CAMFLEET_DATABASE_URL": sqlite_url, "CAMFLEET_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    out = subprocess.run([sys.executable, "-m", "camfleet.cli", "db", "upgrade"], capture_output=True, text=True,
                         env=env, timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"from 0004 to {db.HEAD_REVISION}" in out.stdout
    with Store(sqlite_url) as store:
        store.put_reviews([BaselineReview("C1", BaselineState.PROVISIONAL, since=1.0, updated_at=1.0)])
        assert store.reviews()["C1"].state is BaselineState.PROVISIONAL
