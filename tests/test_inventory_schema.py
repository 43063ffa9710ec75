"""Migrations create exactly the models' schema; a database that is behind is refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from inventory_helpers import install_newer_migrations, sha256, small_inventory, write_csv

from camfleet.errors import DatabaseError, SchemaOutdatedError
from camfleet.inventory import db
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.tables import metadata
from camfleet.inventory.validate import validate_file


def test_migrations_create_exactly_the_models(db_url: str) -> None:
    """After ``upgrade`` Alembic finds no difference between the database and the SQLModel tables: types and
    server defaults included (0006 gave point.site_type a server default the model once lacked)."""
    assert db.upgrade(db_url) == (None, db.head_revision())
    assert db.upgrade(db_url) == (db.head_revision(), db.head_revision())  # idempotent
    engine = db.open_engine(db_url)
    try:
        with engine.connect() as conn:
            opts = {"compare_type": True, "compare_server_default": True}
            assert compare_metadata(MigrationContext.configure(conn, opts=opts), metadata) == []
    finally:
        engine.dispose()


@pytest.fixture
def newer_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the code's head 9999 by adding a revision on top of the real head to a copy of the migrations."""
    install_newer_migrations(tmp_path, monkeypatch)


def test_head_revision_constant_matches_the_migrations() -> None:
    """The head revision the fast schema check compares with is the shipped migrations' head (a new
    migration without bumping ``HEAD_REVISION`` fails here), and every revision is known."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(db.MIGRATIONS_DIR))
    assert db.head_revision() == script.get_current_head()
    assert db.migration_revisions() == {"0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008"}


def test_commands_reading_a_current_database_do_not_import_alembic(sqlite_url: str) -> None:
    """Opening a store on a current schema and reading from it never imports Alembic (start-up cost of
    every command), checked in a fresh interpreter."""
    import subprocess
    import sys

    db.upgrade(sqlite_url)
    code = (
        "import sys\nfrom camfleet.inventory.store import Store\n"
        f"with Store({sqlite_url!r}) as s:\n    s.load_states()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_schema_behind_is_refused_until_db_upgrade(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """A database at today's head under newer code (head 9999): Store and import refuse, naming
    `camfleet db upgrade`, and leave the file untouched; after the upgrade they work."""
    inv = validate_file(write_csv(tmp_path / "inv.csv", small_inventory()))
    import_inventory(db_url, inv)
    head = db.head_revision()
    request.getfixturevalue("newer_migrations")
    sqlite_file = db.sqlite_path(db_url)
    before = sha256(sqlite_file) if sqlite_file else ""
    with pytest.raises(SchemaOutdatedError, match="run `camfleet db upgrade`"):
        Store(db_url)
    with pytest.raises(SchemaOutdatedError, match=rf"\({head}\) is behind this camfleet \(9999\)"):
        import_inventory(db_url, inv)
    if sqlite_file:
        assert sha256(sqlite_file) == before
    assert db.upgrade(db_url) == (head, "9999")
    with Store(db_url) as store:
        assert len(store.load_cameras()) == 5


def test_empty_database_needs_upgrade_unless_creation_is_asked(sqlite_url: str) -> None:
    """Store refuses a database with no schema, and creates it at head when told to."""
    with pytest.raises(SchemaOutdatedError, match="camfleet db upgrade"):
        Store(sqlite_url)
    with Store(sqlite_url, create_if_empty=True) as store:
        assert store.created_schema and store.load_points() == []


def test_foreign_tables_without_version_are_not_taken_for_camfleet(sqlite_url: str) -> None:
    """A database with tables but no camfleet schema version is refused, not migrated over."""
    engine = db.open_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE other (x INTEGER)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="no camfleet schema version"):
        Store(sqlite_url, create_if_empty=True)


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    """Every SQLite connection is in WAL mode, waits on locks and enforces foreign keys."""
    engine = db.open_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.SQLITE_BUSY_TIMEOUT_MS
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_unreachable_database_error_hides_the_password() -> None:
    """A refused PostgreSQL connection becomes DatabaseError; the URL's password is not in the message."""
    with pytest.raises(DatabaseError) as info:
        Store("postgresql://camfleet:S3cretPw@127.0.0.1:1/camfleet")
    assert "S3cretPw" not in str(info.value) and "***" in str(info.value)
