"""SQLite faults under a running poller: another writer holding the lock, and a full disk.

The poller polls real hostile cameras on 127.60.x.y that flip between healthy and broken, so transitions
keep coming while the database fails. Nothing the poller announced may be lost or written twice.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dbfault_helpers import Flipper, OutageReport, credentials, outage_config, run_through_outage, transition_keys
from hostile_helpers import HostileFleet

from camfleet.inventory.store import Store
from camfleet.runtime.poller import Poller

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def fleet() -> AsyncIterator[HostileFleet]:
    """Four flipping cameras and two steady ones."""
    async with HostileFleet(net=12) as f:
        for _ in range(6):
            await f.add("healthy")
        yield f


def check_exactly_once(store: Store, report: OutageReport) -> None:
    """Every announced transition is stored exactly once; none was dropped; the outage was real."""
    assert report.during >= 6 and report.failures >= 1 and report.backlog_peak > 0 and report.probes_during > 0
    assert report.dropped == 0
    assert transition_keys(store.load_transitions(0.0)) == transition_keys(report.produced)


async def test_write_lock_held_by_another_connection(fleet: HostileFleet, sqlite_url: str, tmp_path: Path) -> None:
    """Another process-like connection holds the write lock past the busy timeout: writes fail as
    DatabaseError, the poller keeps probing and buffering (backlog > 0), and once the lock is released
    every transition lands exactly once."""
    store = Store(sqlite_url, create_if_empty=True)
    cams = list(fleet.cameras.values())
    poller = Poller(outage_config(), [c.target() for c in cams], credentials(), store)
    holder = sqlite3.connect(tmp_path / "camfleet.db", isolation_level=None, timeout=1.0)

    async def lock() -> None:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held until rollback

    async def unlock() -> None:
        holder.execute("ROLLBACK")

    try:
        report = await run_through_outage(poller, Flipper(cams[:4]), lock, unlock)
        check_exactly_once(store, report)
    finally:
        holder.close()
        store.close()


@contextlib.contextmanager
def small_filesystem(path: Path, size_kib: int) -> Iterator[bool]:
    """A tmpfs of ``size_kib`` at ``path``; yields False when mounting is not permitted here."""
    path.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k,mode=0700", "tmpfs", str(path)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill(directory: Path) -> Path:
    """Fill the filesystem up to the last byte; returns the filler file (delete it to free the space)."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):  # bounded: each size until the disk refuses it
            for _ in range(100_000):
                try:
                    os.write(fd, b"\0" * size)
                except OSError:
                    break
    finally:
        os.close(fd)
    return filler


async def test_disk_full_then_space_freed(fleet: HostileFleet, tmp_path: Path) -> None:
    """The database's disk fills up (a real 1 MiB tmpfs; where mounting is not permitted, SQLite's page
    limit, which raises the same SQLITE_FULL): writes fail, transitions stay buffered, and after space is
    freed they are all written exactly once."""
    with small_filesystem(tmp_path / "disk", 1024) as mounted:
        where = tmp_path / "disk"
        store = Store(f"sqlite:///{where}/camfleet.db", create_if_empty=True)
        cams = list(fleet.cameras.values())
        poller = Poller(outage_config(), [c.target() for c in cams], credentials(), store)
        filler: list[Path] = []

        def cap_pages(dbapi_conn: object, _record: object) -> None:
            cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
            cursor.close()

        async def full() -> None:
            if mounted:
                filler.append(fill(where))
            else:
                sa.event.listen(sa.Engine, "connect", cap_pages)
                store.close()  # pooled connections reopen with the page limit

        async def freed() -> None:
            if mounted:
                filler.pop().unlink()
            else:
                sa.event.remove(sa.Engine, "connect", cap_pages)
                store.close()

        try:
            # Many flipping cameras with long details make each batch big enough to need new pages.
            report = await run_through_outage(poller, Flipper(cams[:4]), full, freed, during_at_least=12)
            check_exactly_once(store, report)
        finally:
            store.close()
