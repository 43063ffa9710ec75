"""A scratch PostgreSQL database for one benchmark run: created, migrated, and dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from camfleet.inventory import db

ADMIN = os.environ.get("CAMFLEET_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
#: Cameras per uplink (a lease unit) in the cluster benchmarks' district.
PER_UPLINK = 40


@contextmanager
def scratch_database() -> Iterator[str]:
    """A new database on the ADMIN server with camfleet's schema; yields its SQLAlchemy URL, drops it after."""
    name = f"camfleet_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"postgresql+psycopg://{ADMIN.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
        db.upgrade(url)
        yield url
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
