"""Which cameras this instance polls, when several instances share one fleet through PostgreSQL.

::

    coord = Ownership(LeaseStore(url), "poller-a", lease_s=30.0, targets=all_targets, on_change=binding.apply)
    await coord.start()          # register, then claim a fair share at the next heartbeat
    coord.owned                  # camera ids polled here now;  coord.stats() for /metrics
    coord.set_targets(targets)   # inventory reloaded
    await coord.stop()           # stop polling, then release every lease at once (a crash lets them expire)

Every ``heartbeat_s`` (a third of the lease) one transaction renews this instance's row and leases and
reads the others' loads; then, if it is the most loaded, it gives back units above its fair share (smallest
first, at most ``max_moves`` per heartbeat, so a returning instance is fed gradually, not by a herd) and
claims free ones while that brings it closer to the share (never one it gave at its last heartbeat). Units
are uplink groups (see ``inventory/leases.py``).

Self-fencing: the leases are valid until the database's ``now + lease_s``. Locally they count as valid
until ``send time + lease_s - fence_margin_s``; if no heartbeat succeeded by then, every camera is dropped
here before any other instance can claim it. The database is reached only through ``LeaseDB``, in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from camfleet.errors import CamfleetError, ConfigError
from camfleet.model import CameraTarget, ClusterView, Won, WriteFence

if TYPE_CHECKING:
    from camfleet.runtime.poller import Poller
    from camfleet.runtime.sink import StateSink

log = logging.getLogger(__name__)
OnChange = Callable[[frozenset[str]], Awaitable[None]]


class LeaseDB(Protocol):
    """What the coordinator needs from the database (``camfleet.inventory.leases.LeaseStore``); blocking."""

    def sync_units(self, weights: Mapping[str, int]) -> None: ...
    def heartbeat(self, instance_id: str, lease_s: float, started_at: float = 0.0) -> ClusterView: ...
    def claim(self, instance_id: str, units: Sequence[str], lease_s: float) -> Mapping[str, Won]: ...
    def release(self, instance_id: str, units: Sequence[str]) -> None: ...
    def leave(self, instance_id: str) -> None: ...


@dataclass(frozen=True, slots=True)
class OwnershipStats:
    """One instance's view of the cluster, for its metrics (a still picture; safe to hand to a renderer)."""

    instance_id: str
    owned_cameras: int = 0
    owned_units: int = 0
    instances: int = 0  # live instances seen at the last heartbeat, this one included
    leader: bool = False  # this instance exports the fleet-wide (village, coverage) series
    fenced: bool = False  # heartbeats failed for too long: every camera was dropped here
    heartbeats_ok: int = 0
    heartbeats_failed: int = 0
    acquired: int = 0  # units taken since start
    released: int = 0  # units given back (rebalancing, inventory changes, stop)
    lost: int = 0  # units found taken by another instance (after a fence)
    last_heartbeat_at: float = 0.0  # unix time of the last successful heartbeat
    heartbeat_seconds: float = 0.0  # duration of the last heartbeat cycle


def plan_release(
    held: Mapping[str, int], target: float, low: float | None, max_moves: int, most_loaded: bool, largest: int
) -> list[str]:
    """Units to give back, smallest first, by the most loaded instance alone (ties broken by id, so peers
    reading the same loads do not all give to one at once). ``low`` is the least loaded other instance's load
    plus the units no live instance's load counts yet (free, or claimed since the claimer's heartbeat: they
    go to it first). Each goes while this instance is above the share by at least half the unit, ``low`` is
    below the share, and the two differ by more than the unit (so the move strictly narrows the gap: two
    instances never hand the same unit back and forth). While ``low`` is short of the share by more than the
    ``largest`` unit, the first unit goes if this instance is above the share at all."""
    if low is None or not most_loaded:
        return []
    load = float(sum(held.values()))
    out: list[str] = []
    for unit, weight in sorted(held.items(), key=lambda kv: (kv[1], kv[0])):
        starved = not out and target - low > largest
        above = load - target >= weight / 2 or (starved and load > target)
        if len(out) >= max_moves or not (above and low < target and load - low > weight):
            break
        out.append(unit)
        load, low = load - weight, low + weight
    return out


def peer_view(loads: Mapping[str, float], me: str, mine: float, total: float) -> tuple[bool, float | None]:
    """What ``plan_release`` needs from the loads every instance last wrote (``me`` included): whether ``me``,
    carrying ``mine``, is the most loaded (ties broken by id), and the least loaded other's load plus the units
    no written load counts yet (free, just claimed, a dead instance's); None without another instance."""
    others = [(load, inst) for inst, load in loads.items() if inst != me]
    unseen = max(total - sum(loads.values()), 0.0)
    return all((mine, me) >= other for other in others), (min(others)[0] + unseen if others else None)


def plan_claim(free: Mapping[str, int], load: float, target: float, least_loaded: bool, me: str) -> list[str]:
    """Free units worth claiming, largest first: each that brings this instance closer to the share; the
    least loaded instance takes any while it is below the share, so no unit is ever left without a poller."""

    def spread(unit: str) -> bytes:  # instances prefer different units: fewer rows skipped as locked
        return hashlib.blake2b(f"{me}\0{unit}".encode(), digest_size=8).digest()

    out: list[str] = []
    for unit, weight in sorted(free.items(), key=lambda kv: (-kv[1], spread(kv[0]))):
        if load + weight / 2 <= target or (least_loaded and load < target):
            out.append(unit)
            load += weight
    return out


class Ownership:
    """The coordinator: an asyncio task that heartbeats, claims and releases (see the module docstring)."""

    def __init__(
        self,
        db: LeaseDB,
        instance_id: str,
        *,
        lease_s: float,
        targets: Sequence[CameraTarget] = (),
        on_change: OnChange | None = None,
        heartbeat_s: float | None = None,
        fence_margin_s: float | None = None,
        max_moves: int = 8,
        rng: random.Random | None = None,
    ) -> None:
        if not instance_id or len(instance_id) > 64:
            raise ConfigError(f"cluster.instance_id: 1 to 64 characters, not {instance_id!r}")
        self.heartbeat_s = heartbeat_s if heartbeat_s is not None else lease_s / 3
        self.fence_margin_s = fence_margin_s if fence_margin_s is not None else lease_s / 3
        if self.heartbeat_s + self.fence_margin_s >= lease_s:
            raise ConfigError("cluster.lease_seconds: must exceed the heartbeat period plus the fence margin")
        self.db, self.instance_id, self.lease_s, self.max_moves = db, instance_id, lease_s, max(max_moves, 1)
        self.on_change = on_change
        self.rng = rng or random.Random()
        self.units: dict[str, int] = {}  # held unit → weight
        self.epochs: dict[str, int] = {}  # unit → the epoch it was last held at here (the write fence's tokens)
        self._unit_of: dict[str, str] = {}  # camera id → its unit, for the whole inventory
        self._given: set[str] = set()  # released at the last heartbeat: not claimed back at the next
        self.owned: frozenset[str] = frozenset()
        self.leader = False
        self.fenced = False
        self.history: deque[tuple[float, str, str]] = deque(maxlen=2000)  # (unix time, event, unit)
        self._by_unit: dict[str, list[str]] = {}
        self._units_synced = False
        self._valid_until = 0.0
        self._beats = 0
        self._counts = {"ok": 0, "failed": 0, "acquired": 0, "released": 0, "lost": 0}
        self._instances = 0
        self._last_ok_at = 0.0
        self._last_s = 0.0
        self._started_at = 0.0
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self.set_targets(targets)

    def set_targets(self, targets: Sequence[CameraTarget]) -> None:
        """The whole inventory (every instance's, not only this one's); applied at the next heartbeat."""
        by_unit: dict[str, list[str]] = {}
        for t in targets:
            by_unit.setdefault(t.uplink, []).append(t.camera_id)
        self._by_unit = by_unit
        self._unit_of = {t.camera_id: t.uplink for t in targets}
        self._units_synced = False

    def write_fence(self) -> WriteFence:
        """The tokens this instance's state writes carry: the database stores a camera's state only while
        its unit's lease still has this owner and epoch. A unit dropped here (released, fenced) keeps its last
        epoch: a late write under it lands only if nobody took the unit since."""
        return WriteFence(self.instance_id, self._unit_of, dict(self.epochs), hold_s=self.heartbeat_s)

    def stats(self) -> OwnershipStats:
        """Counters and gauges for ``/metrics``."""
        c = self._counts
        return OwnershipStats(
            self.instance_id, len(self.owned), len(self.units), self._instances, self.leader, self.fenced,
            c["ok"], c["failed"], c["acquired"], c["released"], c["lost"], self._last_ok_at, self._last_s,
        )  # fmt: skip

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Register with the cluster now (claims start at the next heartbeat, once peers starting together
        have registered too); then heartbeat in the background."""
        self._started_at = time.time()
        await self.beat_once()
        self._task = asyncio.create_task(self._run(), name="camfleet-ownership")

    async def stop(self, *, release: bool = True) -> None:
        """Stop heartbeating and polling; then release every lease (``release=False`` lets them expire)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:
            self._counts["released"] += len(self.units)
            self.units = {}
            await self._apply()
            if release:
                try:
                    await asyncio.to_thread(self.db.leave, self.instance_id)
                except CamfleetError as exc:  # the leases expire by themselves; the others take over then
                    log.warning("cluster: could not release leases at stop", extra={"error": str(exc)})

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_s * self.rng.uniform(0.9, 1.1))  # peers drift apart, no lockstep
            try:
                await self.beat_once()
            except Exception:  # a bug here must not end ownership silently; the fence still protects
                log.exception("cluster: heartbeat cycle crashed")

    # ------------------------------------------------------------------ one heartbeat
    async def beat_once(self) -> None:
        """Renew, see the cluster, release what is above the share, claim what is free (one cycle)."""
        async with self._lock:
            await self._beat()

    async def _beat(self) -> None:
        t0 = time.monotonic()
        view = await self._heartbeat(t0)
        if view is None:
            return
        self._valid_until = t0 + self.lease_s - self.fence_margin_s
        self.epochs.update(view.epochs)
        lost = set(self.units) - set(view.held)
        self._note("lost", lost)
        self.units, self.leader, self.fenced = dict(view.held), view.leader, False
        self._instances = len(view.instances)
        target = view.total_weight / max(len(view.instances), 1)
        known = {u: w for u, w in self.units.items() if u in self._by_unit}
        most, low = peer_view(view.instances, self.instance_id, sum(known.values()), view.total_weight)
        largest = max((len(ids) for ids in self._by_unit.values()), default=0)
        release = [u for u in self.units if u not in known]  # uplinks no longer in our inventory
        release += plan_release(known, target, low, self.max_moves, most, largest)
        if release:
            for unit in release:
                self.units.pop(unit)
            await self._apply()  # stop polling them before anyone else may start
            self._note("released", release)
            try:
                await asyncio.to_thread(self.db.release, self.instance_id, release)
            except CamfleetError as exc:  # they expire within one lease instead
                log.warning("cluster: release failed", extra={"error": str(exc)})
        if self._beats > 0:
            await self._claim(view, target, set(release) | self._given)
        self._given = set(release)
        self._beats += 1
        await self._apply()
        self._last_ok_at, self._last_s = time.time(), time.monotonic() - t0

    async def _heartbeat(self, t0: float) -> ClusterView | None:
        """The renewed view, or None after a failure (fencing when the local validity has run out)."""
        if self.units and t0 >= self._valid_until:  # the loop was late: they may be someone else's by now
            await self._fence()
        try:
            if not self._units_synced:
                weights = {u: len(ids) for u, ids in self._by_unit.items()}
                await asyncio.wait_for(asyncio.to_thread(self.db.sync_units, weights), self.lease_s)
                self._units_synced = True
            wait = self._valid_until - t0 if self.units else self.lease_s
            view = await asyncio.wait_for(
                asyncio.to_thread(self.db.heartbeat, self.instance_id, self.lease_s, self._started_at),
                max(wait, 0.001),
            )
            self._counts["ok"] += 1
            return view
        except (CamfleetError, TimeoutError) as exc:
            self._counts["failed"] += 1
            log.warning("cluster: heartbeat failed", extra={"error": str(exc) or type(exc).__name__})
        if self.units and time.monotonic() >= self._valid_until:
            await self._fence()
        return None

    async def _fence(self) -> None:
        log.error("cluster: leases not renewed in time; polling nothing until the database answers")
        self._note("fenced", self.units)
        self.units, self.fenced, self.leader = {}, True, False
        await self._apply()

    async def _claim(self, view: ClusterView, target: float, just_released: set[str]) -> None:
        load = float(sum(self.units.values()))
        free = {u: w for u, w in view.free.items() if u in self._by_unit and u not in just_released}
        me = (load, self.instance_id)
        least = all(me <= (other, inst) for inst, other in view.instances.items() if inst != self.instance_id)
        wanted = plan_claim(free, load, target, least, self.instance_id)
        if not wanted:
            return
        try:
            won = await asyncio.to_thread(self.db.claim, self.instance_id, wanted, self.lease_s)
        except CamfleetError as exc:
            log.warning("cluster: claim failed", extra={"error": str(exc)})
            return
        self.units.update({u: w.weight for u, w in won.items()})
        self.epochs.update({u: w.epoch for u, w in won.items()})
        self._note("acquired", won)

    def _note(self, event: str, units: Sequence[str] | set[str] | Mapping[str, Any]) -> None:
        now = time.time()
        for unit in sorted(units):
            self.history.append((now, event, unit))
        if event in self._counts:
            self._counts[event] += len(units)

    async def _apply(self) -> None:
        owned = frozenset(cid for unit in self.units for cid in self._by_unit.get(unit, ()))
        if owned == self.owned:
            return
        self.owned = owned
        if self.on_change is not None:
            await self.on_change(owned)


class PollerBinding:
    """Applies an owned set to a running ``Poller``: ``on_change=binding.apply``.

    A camera leaving is flushed to the database first and its in-flight checks are let finish (up to
    ``drain_s``) before the coordinator releases its lease; a camera arriving resumes the state its last
    owner stored, so a handover announces no transition the fleet did not make.
    """

    def __init__(
        self, poller: Poller, targets: Sequence[CameraTarget], sink: StateSink | None, *, drain_s: float | None = None
    ) -> None:
        cfg = poller.cfg.poller
        self.poller, self.sink = poller, sink
        self.drain_s = drain_s if drain_s is not None else max(cfg.call_timeout_s, cfg.frame_timeout_s)
        self.owned: frozenset[str] = frozenset()
        self.targets = {t.camera_id: t for t in targets}

    def set_targets(self, targets: Sequence[CameraTarget]) -> None:
        """The whole inventory changed: apply it to the cameras owned here now (the coordinator follows)."""
        self.targets = {t.camera_id: t for t in targets}
        self.poller.update_targets([t for cid, t in self.targets.items() if cid in self.owned])

    async def apply(self, owned: frozenset[str]) -> None:
        """Make the poller check exactly the ``owned`` cameras."""
        poller = self.poller
        new = {cid: t for cid, t in self.targets.items() if cid in owned}
        leaving = {cid: t.uplink for cid, t in poller.fleet.targets.items() if cid not in new}
        arriving = [cid for cid in new if cid not in poller.fleet.targets]
        if leaving:
            await poller.writer.flush()  # their newest states reach the database before another owner reads them
        if arriving and self.sink is not None:
            try:
                stored = await asyncio.to_thread(self.sink.load_states)
            except CamfleetError as exc:  # start them fresh: a first check settles them within K intervals
                log.warning("cluster: cannot load stored states", extra={"error": str(exc)})
                stored = {}
            for cid in arriving:
                if cid in stored:
                    poller.health.add_camera(cid, new[cid].uplink, stored[cid], recorder=new[cid].recorder)
        poller.update_targets(list(new.values()))
        self.owned = owned
        if leaving:
            uplinks = set(leaving.values())
            deadline = time.monotonic() + self.drain_s
            in_flight = poller.fleet.counters.in_flight_by_uplink
            while any(in_flight.get(u, 0) for u in uplinks) and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await poller.writer.flush()
