"""Open the database, check its schema against the migrations, upgrade it; map driver errors.

SQLite connections get WAL (readers never block the poller's writes), a busy timeout and foreign keys;
PostgreSQL goes through psycopg 3. Every SQLAlchemy error leaving this package becomes a
``DatabaseError`` whose message shows the URL without its password.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from camfleet.errors import DatabaseError, SchemaOutdatedError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: The newest migration's revision. Checking a schema that is current needs only this and one query, so
#: commands do not import Alembic (~0.15 s with Mako and Pygments) unless the schema must change; a test
#: holds it equal to the migrations' head.
HEAD_REVISION = "0008"
SQLITE_BUSY_TIMEOUT_MS = 10_000
UPGRADE_HINT = "run `camfleet db upgrade`"


def normalize_url(url: str) -> sa.URL:
    """Parse a URL; plain ``postgresql://`` / ``postgres://`` mean psycopg 3 (not psycopg2)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseError("database URL is not a valid SQLAlchemy URL") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: str | sa.URL) -> str:
    """The URL as text with any password replaced by ***."""
    try:
        parsed = url if isinstance(url, sa.URL) else sa.make_url(url)
    except sa.exc.ArgumentError:
        return "<invalid database URL>"
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would delay BEGIN until the first write; take control so
    # that an import's reads and writes share one transaction (SQLAlchemy's documented recipe).
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # persistent; a no-op on a database already in WAL
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: Execution option for a SQLite transaction that reads, then writes (an import): it begins IMMEDIATE, taking
#: the write lock up front (waiting up to the busy timeout). A deferred transaction that read first fails at
#: once with "database is locked" when another process (the running service) committed in between.
WRITE_INTENT = "camfleet_write_intent"


def _sqlite_on_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_INTENT) else "BEGIN")


def open_engine(url: str) -> sa.Engine:
    """An engine for ``url`` with camfleet's connection settings. Nothing is connected yet."""
    parsed = normalize_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = sa.create_engine(parsed)
            sa.event.listen(engine, "connect", _sqlite_on_connect)
            sa.event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise DatabaseError(f"database {safe_url(parsed)}: cannot use this URL: {exc}") from None


@contextmanager
def mapped_errors(url: str | sa.URL) -> Iterator[None]:
    """Turn SQLAlchemy/driver errors into ``DatabaseError`` (URL shown without its password)."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        first_line = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        raise DatabaseError(f"database {safe_url(url)}: {first_line}") from None


def alembic_config(connection: sa.Connection) -> Config:
    """Alembic configured in code for ``connection`` (migrations run in the caller's transaction)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows."""
    return HEAD_REVISION


def migration_revisions() -> set[str]:
    """Every revision of the shipped migrations (read by Alembic)."""
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}


def current_revision(conn: sa.Connection) -> str | None:
    """The schema revision recorded in the database (None when it has none)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def is_empty(conn: sa.Connection) -> bool:
    """True when the database has no tables at all (a brand-new database)."""
    return not sa.inspect(conn).get_table_names()


def schema_status(conn: sa.Connection) -> str:
    """'current', 'empty', or raise: SchemaOutdatedError when behind, DatabaseError when unknown/newer."""
    current = current_revision(conn)
    head = head_revision()
    if current == head:
        return "current"
    if current is None:
        if is_empty(conn):
            return "empty"
        raise DatabaseError("the database has tables but no camfleet schema version; is it a camfleet database?")
    if current in migration_revisions():
        raise SchemaOutdatedError(f"the database schema ({current}) is behind this camfleet ({head}): {UPGRADE_HINT}")
    raise DatabaseError(f"the database schema ({current}) is newer than this camfleet knows ({head}); upgrade camfleet")


def require_current(conn: sa.Connection) -> None:
    """Raise unless the schema is exactly at head (an empty database is behind too)."""
    if schema_status(conn) == "empty":
        raise SchemaOutdatedError(f"the database has no camfleet schema yet: {UPGRADE_HINT}")


def check_schema(engine: sa.Engine, *, create_if_empty: bool = False) -> bool:
    """Refuse a schema that is behind; create a brand-new empty database at head when allowed.

    Returns True when the schema was just created.
    """
    with mapped_errors(engine.url), engine.connect() as conn:
        status = schema_status(conn)
    if status == "current":
        return False
    if not create_if_empty:
        raise SchemaOutdatedError(f"the database has no camfleet schema yet: {UPGRADE_HINT}")
    _upgrade_engine(engine)
    return True


def _upgrade_engine(engine: sa.Engine) -> None:
    from alembic import command

    with mapped_errors(engine.url), engine.connect() as conn:
        conn.execution_options(**{WRITE_INTENT: True})
        with conn.begin():
            command.upgrade(alembic_config(conn), "head")


def upgrade(url: str) -> tuple[str | None, str]:
    """Apply every pending migration. Returns (revision before, revision after)."""
    engine = open_engine(url)
    try:
        with mapped_errors(engine.url), engine.connect() as conn:
            before = current_revision(conn)
        _upgrade_engine(engine)
        return before, head_revision()
    finally:
        engine.dispose()
