"""The lease tables on the real PostgreSQL: exclusive claims, expiry, release, leader role; SQLite refused."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from camfleet.errors import DatabaseError
from camfleet.inventory import db
from camfleet.inventory.leases import CAMERA_LEASE, LeaseStore

UNITS = {f"青石镇/村{i:02d}": 3 + i % 4 for i in range(20)}


@pytest.fixture
def leases(pg_url: str) -> LeaseStore:
    """A migrated PostgreSQL database with the 20 units of ``UNITS``."""
    db.upgrade(pg_url)
    store = LeaseStore(pg_url)
    store.sync_units(UNITS)
    return store


def test_migration_0003_goes_up_and_down(db_url: str) -> None:
    """Revision 0003 creates the three cluster tables (SQLite too: one schema) and drops them on downgrade."""
    from alembic import command

    db.upgrade(db_url)
    engine = db.open_engine(db_url)
    try:
        names = set(sa.inspect(engine).get_table_names())
        assert {"cluster_instance", "camera_lease", "cluster_role"} <= names
        with engine.begin() as conn:
            command.downgrade(db.alembic_config(conn), "0002")
        assert not {"cluster_instance", "camera_lease", "cluster_role"} & set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_sqlite_is_refused_with_a_clear_message(sqlite_url: str) -> None:
    """On SQLite one instance owns everything: the lease store says so instead of half-working."""
    db.upgrade(sqlite_url)
    with pytest.raises(DatabaseError, match="needs PostgreSQL; on SQLite a single instance owns every camera"):
        LeaseStore(sqlite_url)


def test_concurrent_claims_give_each_unit_to_exactly_one_instance(leases: LeaseStore, pg_url: str) -> None:
    """Eight instances claim all 20 units at the same moment, in threads with their own connections:
    SKIP LOCKED hands every unit to exactly one of them, and the table agrees with what each was told."""
    stores = [LeaseStore(pg_url) for _ in range(8)]
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda i: stores[i].claim(f"i{i}", sorted(UNITS), 30.0), range(8)))
    finally:
        for s in stores:
            s.close()
    won = [unit for r in results for unit in r]
    assert sorted(won) == sorted(UNITS)  # each exactly once
    owners = leases.owners()
    for i, r in enumerate(results):
        assert all(owners[u] == f"i{i}" for u in r)
        assert all(r[u].weight == UNITS[u] and r[u].epoch == 1 for u in r)


def test_heartbeat_renews_and_sees_loads_free_units_and_one_leader(leases: LeaseStore) -> None:
    """A heartbeat returns what this instance holds, the free units, live instances with their loads, and
    gives the leader role to exactly one live instance."""
    a_units = sorted(UNITS)[:5]
    leases.heartbeat("a", 30.0)
    assert leases.claim("a", a_units, 30.0).keys() == set(a_units)
    view_a = leases.heartbeat("a", 30.0)
    view_b = leases.heartbeat("b", 30.0)
    assert view_a.held == {u: UNITS[u] for u in a_units}
    assert set(view_b.free) == set(UNITS) - set(a_units)
    assert view_b.instances == {"a": sum(UNITS[u] for u in a_units), "b": 0}
    assert view_b.total_weight == sum(UNITS.values())
    assert (view_a.leader, view_b.leader) == (True, False)
    assert leases.heartbeat("a", 30.0).leader  # renewing keeps it


def test_expired_leases_are_free_and_the_old_owner_cannot_renew_them_back(leases: LeaseStore) -> None:
    """An instance that stops heartbeating loses its units when the lease runs out (database time); once
    another instance claimed them, the old owner's renewal no longer returns them."""
    units = sorted(UNITS)[:4]
    leases.heartbeat("dead", 0.3)
    leases.claim("dead", units, 0.3)
    assert leases.claim("alive", units, 30.0) == {}  # still leased
    time.sleep(0.6)
    view = leases.heartbeat("alive", 30.0)
    assert set(units) <= set(view.free)
    assert "dead" not in view.instances
    assert leases.claim("alive", units, 30.0).keys() == set(units)
    assert leases.heartbeat("dead", 30.0).held == {}
    assert all(leases.owners()[u] == "alive" for u in units)


def test_release_and_leave_free_units_at_once_and_bump_the_epoch(leases: LeaseStore, pg_url: str) -> None:
    """Release frees named units now (another instance takes them without waiting for expiry); leave frees
    the rest and the leader role; every change of owner raises the unit's epoch (the fencing token)."""
    units = sorted(UNITS)[:6]
    leases.heartbeat("a", 30.0)
    leases.claim("a", units, 30.0)
    leases.release("a", units[:2])
    assert leases.claim("b", units, 30.0).keys() == set(units[:2])
    leases.leave("a")
    view = leases.heartbeat("b", 30.0)
    assert set(units[2:]) <= set(view.free)
    assert view.leader and "a" not in view.instances
    engine = db.open_engine(pg_url)
    try:
        with engine.connect() as conn:
            epochs = dict(conn.execute(sa.select(CAMERA_LEASE.c.unit, CAMERA_LEASE.c.epoch)).all())
    finally:
        engine.dispose()
    assert [epochs[u] for u in units] == [3, 3, 2, 2, 2, 2]  # claimed, released, claimed again / claimed, left


def test_sync_units_follows_the_inventory_but_keeps_held_units(leases: LeaseStore) -> None:
    """A new inventory adds uplinks and updates weights; an uplink gone from it disappears unless an
    instance still holds it (that instance gives it back itself)."""
    held, gone = sorted(UNITS)[0], sorted(UNITS)[1]
    leases.heartbeat("a", 30.0)
    leases.claim("a", [held], 30.0)
    new = {u: w for u, w in UNITS.items() if u not in (held, gone)} | {"新村/光交箱": 9}
    new[sorted(UNITS)[2]] = 40
    leases.sync_units(new)
    owners = leases.owners()
    assert held in owners and gone not in owners and "新村/光交箱" in owners
    view = leases.heartbeat("b", 30.0)
    assert view.free[sorted(UNITS)[2]] == 40


def test_an_instance_paused_inside_a_lease_transaction_does_not_keep_its_rows_locked(pg_url: str) -> None:
    """An instance stopped (SIGSTOP, a stalled VM) between two statements of a lease transaction, holding its
    rows locked: the server ends that transaction after the statement timeout, so another instance can claim
    the expired units instead of skipping them as locked for as long as the pause lasts."""
    db.upgrade(pg_url)
    paused, other = LeaseStore(pg_url, statement_timeout_s=0.3), LeaseStore(pg_url)
    try:
        paused.sync_units(UNITS)
        units = sorted(UNITS)[:2]
        paused.claim("a", units, 0.2)
        with pytest.raises(sa.exc.DBAPIError), paused._begin() as conn:
            paused._now(conn)
            conn.execute(
                sa.update(CAMERA_LEASE).where(CAMERA_LEASE.c.owner == "a").values(weight=CAMERA_LEASE.c.weight)
            )
            time.sleep(1.0)  # paused, rows locked, lease expired
            assert other.claim("b", units, 30.0).keys() == set(units)
            conn.execute(sa.text("SELECT 1"))
    finally:
        paused.close()
        other.close()
