"""PostgreSQL lost and back during a run, through a TCP proxy this test cuts (the shared server keeps running).

The store talks to the test's own database through ``hostile_helpers.TcpProxy`` on 127.0.0.1; cutting the
proxy refuses new connections and drops open ones, as a database restart or a broken link does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest
from dbfault_helpers import Flipper, TcpProxy, credentials, outage_config, run_through_outage, transition_keys
from hostile_helpers import HostileFleet

from camfleet.inventory.store import Store
from camfleet.metrics.render import render_snapshot
from camfleet.model import Transition
from camfleet.runtime.poller import Poller
from camfleet.service.views import Inventory, ServiceStats, metrics_snapshot

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def fleet() -> AsyncIterator[HostileFleet]:
    """Four flipping cameras and two steady ones."""
    async with HostileFleet(net=13) as f:
        for _ in range(6):
            await f.add("healthy")
        yield f


@pytest.fixture
async def proxied(pg_url: str) -> AsyncIterator[tuple[TcpProxy, str]]:
    """A proxy to the shared PostgreSQL and the test database's URL through it; the schema is created."""
    proxy = TcpProxy(("127.0.0.1", 5432))
    await proxy.start()
    name = pg_url.rsplit("/", 1)[1]
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/{name}"
    try:
        yield proxy, url
    finally:
        await proxy.cut()


async def test_database_cut_and_restored_loses_nothing(fleet: HostileFleet, proxied: tuple[TcpProxy, str]) -> None:
    """PostgreSQL becomes unreachable mid-run: writes fail as DatabaseError, the poller keeps probing,
    buffering (write_backlog > 0) and exporting (/metrics shows the backlog and the failures), and when the
    database returns every transition announced is stored exactly once (none dropped)."""
    proxy, url = proxied
    # Blocking store calls go to a thread: the proxy runs on this test's event loop.
    store = await asyncio.to_thread(Store, url, create_if_empty=True)
    cams = list(fleet.cameras.values())
    poller = Poller(outage_config(), [c.target() for c in cams], credentials(), store)
    exported: list[str] = []

    async def export_then_restore() -> None:
        snapshot = metrics_snapshot(poller.fleet, Inventory([], []), ServiceStats())
        exported.append(render_snapshot(snapshot).decode())
        await proxy.restore()

    try:
        report = await run_through_outage(poller, Flipper(cams[:4]), proxy.cut, export_then_restore)
        assert report.during >= 6 and report.failures >= 1 and report.backlog_peak > 0 and report.probes_during > 0
        assert report.dropped == 0
        failures = [ln for ln in exported[0].splitlines() if ln.startswith("camfleet_db_write_failures_total ")]
        assert failures and float(failures[0].split()[1]) >= 1
        assert f'camfleet_camera_up{{camera="{cams[5].camera_id}"}} 1' in exported[0]
        stored = await asyncio.to_thread(store.load_transitions, 0.0)
        assert transition_keys(stored) == transition_keys(report.produced)
    finally:
        await asyncio.to_thread(store.close)


async def test_backends_terminated_mid_run(fleet: HostileFleet, pg_url: str, pg_admin_dsn: str) -> None:
    """The test database's connections are killed with pg_terminate_backend (what a server restart does to
    them) while the poller writes: the pool reconnects and every transition is stored exactly once."""
    store = Store(pg_url, create_if_empty=True)
    name = pg_url.rsplit("/", 1)[1]
    cams = list(fleet.cameras.values())
    poller = Poller(outage_config(), [c.target() for c in cams], credentials(), store)

    def terminate() -> None:
        with psycopg.connect(pg_admin_dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )

    produced: list[Transition] = []
    poller.subscribe(produced.append)
    flipper = Flipper(cams[:4])
    await poller.start()
    try:
        flipper.start()
        for _ in range(5):  # five kills, each after some writes went through
            count = len(produced)
            while len(produced) < count + 3:
                await asyncio.sleep(0.1)
            terminate()
    finally:
        await flipper.stop()
        await poller.stop()
    try:
        assert len(produced) >= 15 and poller.fleet.counters.write_dropped == 0
        assert transition_keys(store.load_transitions(0.0)) == transition_keys(produced)
    finally:
        store.close()
