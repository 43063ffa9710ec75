"""What the service shows: metrics snapshots, coverage pages and camera JSON, built from the running poller.

Everything here is read-only over the poller's state. Builders that cost CPU at fleet scale run in a
thread; what they read is copied on the event loop first, so the loop can go on mutating its own state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from camfleet.config.coverage import CoverageConfig, StandardConfig
from camfleet.coverage import build_report, parse_window, render_html, report_to_json
from camfleet.coverage.report import CoverageReport
from camfleet.inventory.store import Store
from camfleet.maintenance import MaintenanceWindow
from camfleet.metrics.process import read_process
from camfleet.metrics.snapshot import Histogram, MetricsSnapshot, PollerStats, poller_sources
from camfleet.model import BaselineState, CameraRecord, CameraState, PointRecord
from camfleet.runtime.camera_json import camera_json as target_json
from camfleet.runtime.fleet import Durations, FleetState
from camfleet.runtime.ownership import OwnershipStats


@dataclasses.dataclass
class Inventory:
    """The inventory as last loaded (replaced whole on reload)."""

    points: Sequence[PointRecord]
    cameras: Sequence[CameraRecord]


@dataclasses.dataclass
class ServiceStats:
    """The service's own figures that PollerStats carries besides the runtime's counters."""

    loop_lag_s: float = 0.0
    loop_lag_max_s: float = 0.0
    reloads_ok: int = 0
    reloads_failed: int = 0
    last_reload_ok: bool = True
    last_reload_at: float = 0.0
    #: web write actions refused, by reason (the web app's ``WriteGuard`` counts into it)
    web_write_refused: Counter[str] = dataclasses.field(default_factory=Counter)


def copy_states(fleet: FleetState) -> dict[str, CameraState]:
    """A shallow copy of every state (cheap, on the loop) so a worker thread reads a still picture."""
    return {cid: dataclasses.replace(s) for cid, s in fleet.states.items()}


def poller_stats(fleet: FleetState, svc: ServiceStats) -> PollerStats:
    """The runtime's counters and the service's figures as the metrics layer renders them: every scalar field of
    ``PollerStats`` is read from the source its declaration names (``counters.write_dropped``, ``svc.…``,
    ``fleet.…``); the mappings and histograms are copied here."""
    roots: dict[str, object] = {"counters": fleet.counters, "svc": svc, "fleet": fleet}
    scalars = {name: getattr(roots[root], attr) for name, (root, attr) in _SOURCES.items()}
    c = fleet.counters
    return PollerStats(
        probes=dict(c.probes),
        probe_duration={kind: _histogram(d) for kind, d in c.probe_duration.items()},
        db_write=_histogram(c.write_duration),
        web_write_refused=dict(svc.web_write_refused),
        **scalars,
    )


_SOURCES = {name: tuple(source.split(".", 1)) for name, source in poller_sources().items()}


def _histogram(durations: Durations) -> Histogram:
    """The runtime's per-bucket counts as the metrics layer's cumulative histogram."""
    return Histogram(durations.bounds, durations.cumulative(), durations.sum, durations.count)


def metrics_snapshot(
    fleet: FleetState,
    inventory: Inventory,
    svc: ServiceStats,
    cluster: OwnershipStats | None = None,
    shared_states: Mapping[str, CameraState] | None = None,
    review_within_s: float = 24 * 3600.0,
    standards: Sequence[StandardConfig] = (),
    maintenance: Sequence[MaintenanceWindow] = (),
    cannot_judge_alert_s: float = 72 * 3600.0,
) -> MetricsSnapshot:
    """One instant of the fleet for /metrics (taken on the loop; rendered elsewhere).

    Alone, an instance exports its cameras and the village series. In a cluster every instance exports only
    the cameras it owns (Prometheus sums them without double counting) and only the leader exports the
    fleet-wide village series, from the states every instance stored plus its own live ones.
    """
    states = copy_states(fleet)
    points, cameras = inventory.points, inventory.cameras
    if cluster is not None:
        if cluster.leader:
            states = {**(shared_states or {}), **states}
        else:
            points, cameras = [], []
    return MetricsSnapshot(
        targets=dict(fleet.targets),
        states=states,
        points=points,
        cameras=cameras,
        poller=poller_stats(fleet, svc),
        taken_at=time.time(),
        cluster=cluster,
        review_within_s=review_within_s,
        standards=tuple(standards) if points else (),
        maintenance=tuple(maintenance),
        process=read_process(),
        cannot_judge_alert_s=cannot_judge_alert_s,
    )


def camera_json(fleet: FleetState, camera_id: str) -> dict[str, Any] | None:
    """One camera as the JSON API shows it (the keys of ``runtime.camera_json``); None when unknown."""
    target = fleet.targets.get(camera_id)
    if target is None:
        return None
    return target_json(target, fleet.states.get(camera_id))


class CoverageViews:
    """Builds coverage reports from the store's history and the poller's live states, cached briefly."""

    def __init__(
        self,
        store: Store,
        window: str = "7d",
        max_age_s: float = 15.0,
        coverage: Callable[[], CoverageConfig] = CoverageConfig,
        maintenance: Callable[[], Sequence[MaintenanceWindow]] = tuple,
    ) -> None:
        self.store = store
        self.maintenance = maintenance  # the windows the service last read (not over yet)
        self.coverage = coverage  # the [coverage] section in force (read per build: a reload may change it)
        self.window = window
        self.max_age_s = max_age_s
        self._cache: dict[str | None, tuple[float, CoverageReport]] = {}
        self._lock = asyncio.Lock()

    async def report(
        self, states: Callable[[], dict[str, CameraState]], inventory: Inventory, town: str | None
    ) -> CoverageReport:
        """A report at most ``max_age_s`` old, over ``states()`` (called on the loop); unknown town: ``KeyError``."""
        now = time.time()
        hit = self._cache.get(town)
        if hit is not None and now - hit[0] < self.max_age_s:
            return hit[1]
        async with self._lock:
            report = await asyncio.to_thread(self._build, inventory, states(), town, now)
            self._cache[town] = (now, report)
            return report

    def _build(
        self, inventory: Inventory, states: dict[str, CameraState], town: str | None, now: float
    ) -> CoverageReport:
        from camfleet.coverage.report import UnknownAreaError

        window = parse_window(self.window, now=now)
        transitions = self.store.load_transitions(window.start, None)
        reviews = self.store.reviews()
        doubtful = [cid for cid, r in reviews.items() if r.state is BaselineState.DOUBTFUL]
        provisional = [cid for cid, r in reviews.items() if r.state is BaselineState.PROVISIONAL]
        cfg = self.coverage()
        try:
            return build_report(
                inventory.points, inventory.cameras, states, transitions, now=now, window=window, town=town,
                doubtful=doubtful, provisional=provisional, standards=cfg.standard, site_types=cfg.site_types,
                maintenance=self.maintenance(),
            )  # fmt: skip
        except UnknownAreaError as exc:
            raise KeyError(town) from exc

    async def html(
        self, states: Callable[[], dict[str, CameraState]], inventory: Inventory, town: str | None, title: str
    ) -> str:
        """The coverage page, with links to filter by town."""
        report = await self.report(states, inventory, town)
        return await asyncio.to_thread(
            render_html, report, title=title, generated_at=time.time(), town_filter_links=True
        )

    async def json(
        self, states: Callable[[], dict[str, CameraState]], inventory: Inventory, town: str | None
    ) -> dict[str, Any]:
        """The coverage report as the JSON contract describes it."""
        return report_to_json(await self.report(states, inventory, town))

    def forget(self) -> None:
        """Drop cached reports (after a reload)."""
        self._cache.clear()
