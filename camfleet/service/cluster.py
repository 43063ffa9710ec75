"""Cluster membership for the service: several instances share one fleet through PostgreSQL.

Wires ``runtime.ownership`` (leases of uplink groups, fair share, self-fencing) to the running poller and
keeps, on the leader, a picture of every camera's stored state for the fleet-wide series and reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Sequence

from camfleet.config import CamfleetConfig
from camfleet.errors import CamfleetError
from camfleet.inventory.leases import LeaseStore
from camfleet.inventory.store import Store
from camfleet.model import CameraState, CameraTarget
from camfleet.runtime.ownership import Ownership, OwnershipStats, PollerBinding
from camfleet.runtime.poller import Poller

log = logging.getLogger("camfleet.service.cluster")


class ClusterMember:
    """This instance's membership: it polls only the cameras whose uplink leases it holds."""

    def __init__(self, cfg: CamfleetConfig, poller: Poller, store: Store, targets: Sequence[CameraTarget]) -> None:
        self.cfg = cfg
        self.store = store
        self.instance_id = cfg.cluster.instance_id or socket.gethostname()
        self.lease_s = cfg.cluster.lease_seconds or cfg.poller.liveness_interval_s / 2
        self.binding = PollerBinding(poller, targets, store)
        self.targets = list(targets)
        self.leases: LeaseStore | None = None
        self.ownership: Ownership | None = None
        #: every camera's state as stored by all instances, refreshed every 15 s (the leader's village series
        #: and every instance's coverage report read it, so that all instances show the same report)
        self.shared_states: dict[str, CameraState] = {}
        self._refresh: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Register with the other instances and start claiming a fair share (the poller must be started)."""
        self.leases = await asyncio.to_thread(LeaseStore, self.cfg.database.url)
        self.ownership = Ownership(
            self.leases,
            self.instance_id,
            lease_s=self.lease_s,
            targets=self.targets,
            on_change=self.binding.apply,
            max_moves=self.cfg.cluster.max_moves,
        )
        # Every state write carries this instance's lease epochs: after a pause past the lease, the database
        # refuses what the new owner's states would otherwise be overwritten with.
        self.binding.poller.writer.fence = self.ownership.write_fence
        await self.ownership.start()
        self._refresh = asyncio.create_task(self._refresh_shared(), name="camfleet-cluster-states")
        log.info("cluster member started", extra={"instance": self.instance_id, "lease_s": self.lease_s})

    def set_targets(self, targets: Sequence[CameraTarget]) -> None:
        """The inventory was reloaded."""
        self.targets = list(targets)
        self.binding.set_targets(targets)
        if self.ownership is not None:
            self.ownership.set_targets(targets)

    def stats(self) -> OwnershipStats:
        """This instance's share, for /metrics."""
        if self.ownership is None:
            return OwnershipStats(instance_id=self.instance_id)
        return self.ownership.stats()

    @property
    def leader(self) -> bool:
        """The leader exports the fleet-wide series."""
        return self.ownership is not None and self.ownership.leader

    async def _refresh_shared(self, period_s: float = 15.0) -> None:
        while True:
            try:
                self.shared_states = await asyncio.to_thread(self.store.load_states)
            except CamfleetError as exc:  # keep the last picture; the next refresh retries
                log.warning("cluster: cannot refresh stored states", extra={"error": str(exc)})
            await asyncio.sleep(period_s)

    async def stop(self) -> None:
        """Stop polling here and release every lease at once (a crash lets them expire instead)."""
        if self._refresh is not None:
            self._refresh.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh
        if self.ownership is not None:
            await self.ownership.stop()
        if self.leases is not None:
            await asyncio.to_thread(self.leases.close)
