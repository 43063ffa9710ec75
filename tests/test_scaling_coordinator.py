"""The coordinator (Ownership) on the real PostgreSQL, heartbeat by heartbeat: fencing, graceful stop, metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from camfleet.errors import DatabaseError
from camfleet.inventory import db
from camfleet.inventory.leases import LeaseStore
from camfleet.metrics.ownership import ownership_families
from camfleet.metrics.render import render_families
from camfleet.model import CameraTarget, ClusterView, Won
from camfleet.runtime.ownership import Ownership

pytestmark = pytest.mark.postgres


def fleet(uplinks: int = 6, per: int = 4) -> list[CameraTarget]:
    """``uplinks`` × ``per`` cameras (addresses are never contacted here)."""
    return [
        CameraTarget(f"C{u}-{i}", f"127.70.9.{u * per + i + 1}", 80, f"东山镇/村{u}", "g")
        for u in range(uplinks)
        for i in range(per)
    ]


class Outage:
    """The real lease store, with a switch that makes every call fail as an unreachable database would."""

    def __init__(self, store: LeaseStore) -> None:
        self.store, self.down = store, False

    def _check(self) -> None:
        if self.down:
            raise DatabaseError("database postgresql://127.0.0.1/x: connection refused (switched off)")

    def sync_units(self, weights: Mapping[str, int]) -> None:
        self._check()
        self.store.sync_units(weights)

    def heartbeat(self, instance_id: str, lease_s: float, started_at: float = 0.0) -> ClusterView:
        self._check()
        return self.store.heartbeat(instance_id, lease_s, started_at)

    def claim(self, instance_id: str, units: Sequence[str], lease_s: float) -> dict[str, Won]:
        self._check()
        return self.store.claim(instance_id, units, lease_s)

    def release(self, instance_id: str, units: Sequence[str]) -> None:
        self._check()
        self.store.release(instance_id, units)

    def leave(self, instance_id: str) -> None:
        self._check()
        self.store.leave(instance_id)


@pytest.fixture
def store(pg_url: str) -> LeaseStore:
    """A migrated PostgreSQL database's lease store."""
    db.upgrade(pg_url)
    return LeaseStore(pg_url)


async def beat_all(coords: list[Ownership], times: int) -> None:
    """Each coordinator heartbeats ``times`` times, in turn."""
    for _ in range(times):
        for c in coords:
            await c.beat_once()


async def test_two_coordinators_split_the_fleet_and_report_it(store: LeaseStore) -> None:
    """Two coordinators split 24 cameras 12/12 by whole uplinks; on_change hands each its camera ids;
    exactly one is leader; the ownership series say so."""
    targets = fleet()
    seen: dict[str, frozenset[str]] = {}

    def recorder(name: str):  # type: ignore[no-untyped-def]
        async def on_change(owned: frozenset[str]) -> None:
            seen[name] = owned

        return on_change

    coords = [Ownership(store, n, lease_s=30.0, targets=targets, on_change=recorder(n)) for n in ("a", "b")]
    await beat_all(coords, 4)
    a, b = coords
    assert a.owned | b.owned == {t.camera_id for t in targets} and not a.owned & b.owned
    assert len(a.owned) == len(b.owned) == 12 and seen == {"a": a.owned, "b": b.owned}
    assert {t.uplink for t in targets if t.camera_id in a.owned}.isdisjoint(
        {t.uplink for t in targets if t.camera_id in b.owned}
    )
    assert [a.leader, b.leader].count(True) == 1
    text = render_families(ownership_families(a.stats()))
    assert "camfleet_cluster_owned_cameras 12" in text and "camfleet_cluster_instances 2" in text
    assert 'camfleet_cluster_handovers_total{direction="acquired"} 3' in text
    assert ownership_families(None) == []


async def test_a_returning_instance_is_fed_when_every_peer_is_just_above_its_share(store: LeaseStore) -> None:
    """Four coordinators hold eight one-camera uplinks, two each; a fifth joins (share 1.6: each peer only 0.4
    above it, less than half an uplink). The most loaded peer gives it one uplink and does not take it back at
    its next heartbeat (though that would bring it closer to its share); nobody else moves, and further
    heartbeats move nothing."""
    targets = fleet(uplinks=8, per=1)
    old = [Ownership(store, name, lease_s=30.0, targets=targets) for name in ("a", "b", "c", "d")]
    await beat_all(old, 3)
    assert [len(c.owned) for c in old] == [2, 2, 2, 2]
    new = Ownership(store, "e", lease_s=30.0, targets=targets)
    await new.beat_once()  # registers
    await beat_all(old, 1)  # d, the most loaded (ties broken by id), gives one uplink
    await old[3].beat_once()  # d again before the newcomer: it leaves the uplink free
    assert [len(c.owned) for c in old] == [2, 2, 2, 1]
    everyone = [*old, new]
    await beat_all([new, *old], 3)
    assert [len(c.owned) for c in everyone] == [2, 2, 2, 1, 1]
    settled = [c.owned for c in everyone]
    await beat_all(everyone, 3)
    assert [c.owned for c in everyone] == settled
    assert sum(c.stats().released for c in old) == 1


async def test_graceful_stop_releases_at_once(store: LeaseStore) -> None:
    """A stopping instance stops polling first, then gives its leases back: the other takes them at its
    very next heartbeat, without waiting for any lease to expire."""
    targets = fleet()
    a = Ownership(store, "a", lease_s=300.0, targets=targets)
    b = Ownership(store, "b", lease_s=300.0, targets=targets)
    await beat_all([a, b], 4)
    await a.stop()
    assert a.owned == frozenset()
    await b.beat_once()
    assert len(b.owned) == len(targets)


async def test_an_instance_that_cannot_renew_fences_itself_before_its_lease_ends(store: LeaseStore) -> None:
    """The database goes away for one instance: once its local validity (lease minus margin) has passed it
    polls nothing, before the others may take over; they take over after expiry; when it comes back its
    units are the other's (it dropped them when it fenced) and it is given its share again."""
    targets = fleet()
    down = Outage(store)
    a = Ownership(down, "a", lease_s=1.2, heartbeat_s=0.3, fence_margin_s=0.4, targets=targets)
    b = Ownership(store, "b", lease_s=1.2, heartbeat_s=0.3, fence_margin_s=0.4, targets=targets)
    await beat_all([a, b], 4)
    held = set(a.units)
    assert held and len(a.owned) == 12
    down.down = True
    await a.beat_once()  # fails, but the leases are still valid: keeps polling
    assert a.owned and not a.fenced
    await asyncio.sleep(0.9)  # past send time + lease - margin
    await a.beat_once()
    assert a.fenced and a.owned == frozenset() and a.stats().fenced
    assert set(store.owners().values()) >= {"a"}  # still a's in the database: nobody polls them yet
    for _ in range(10):  # b heartbeats on; a's leases run out; b takes them
        await asyncio.sleep(0.3)
        await b.beat_once()
    assert len(b.owned) == len(targets)
    down.down = False
    await beat_all([a, b], 6)
    assert not a.fenced and a.stats().lost == 0  # fenced units are dropped, not "lost" a second time
    assert len(a.owned) == len(b.owned) == 12
    assert a.stats().heartbeats_failed == 2


def test_bad_instance_ids_and_lease_timing_are_refused(store: LeaseStore) -> None:
    """An empty or over-long instance id, or a lease shorter than heartbeat + margin, is a config error."""
    from camfleet.errors import ConfigError

    with pytest.raises(ConfigError, match="instance_id"):
        Ownership(store, "", lease_s=30.0)
    with pytest.raises(ConfigError, match="instance_id"):
        Ownership(store, "x" * 65, lease_s=30.0)
    with pytest.raises(ConfigError, match="lease_seconds"):
        Ownership(store, "a", lease_s=3.0, heartbeat_s=2.0, fence_margin_s=1.0)
