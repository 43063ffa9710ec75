"""Shared fixtures: a fresh PostgreSQL database per test when the server answers, temp SQLite otherwise; the
promtool binary."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from system_helpers import missing

PG_ADMIN_DSN = os.environ.get("CAMFLEET_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install camfleet[postgres])"
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at {PG_ADMIN_DSN} does not answer: {exc}"


@pytest.fixture(scope="session")
def pg_admin_dsn() -> str:
    """The admin DSN of the test PostgreSQL server; skips (or fails under CAMFLEET_REQUIRE_POSTGRES=1)."""
    why = _pg_available()
    if why is not None:
        if os.environ.get("CAMFLEET_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here: {why}")
        pytest.skip(f"skipping PostgreSQL test: {why}")
    return PG_ADMIN_DSN


@pytest.fixture
def pg_url(pg_admin_dsn: str) -> Iterator[str]:
    """A SQLAlchemy URL to a brand-new, empty PostgreSQL database, dropped after the test."""
    import psycopg

    name = f"camfleet_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    host_part = pg_admin_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    try:
        yield f"postgresql+psycopg://{host_part}/{name}"
    finally:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A SQLAlchemy URL to a SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path}/camfleet.db"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs twice: on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(scope="session")
def promtool() -> str:
    """The promtool binary; the tests skip, saying why, only when it is not installed (fail under CI)."""
    path = shutil.which("promtool")
    if path is None:
        missing("promtool not found: install Debian's `prometheus` package to check the rules")
    return path
