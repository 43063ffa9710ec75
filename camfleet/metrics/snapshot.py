"""What the metrics layer reads: a plain, immutable snapshot of the fleet and of the poller's counters.

The service builds one ``MetricsSnapshot`` per scrape from the runtime's fleet state (on the event loop),
then the renderer turns it into text in a worker (off the loop). The containers handed over must not be
mutated by the loop afterwards: copy the mappings (``dict(fleet.states)``) when building the snapshot.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TypeVar

from camfleet import __version__
from camfleet.config.coverage import StandardConfig
from camfleet.errors import CamfleetError
from camfleet.maintenance import MaintenanceWindow
from camfleet.model import CameraRecord, CameraState, CameraTarget, PointRecord
from camfleet.runtime.fleet import DB_BUCKETS
from camfleet.runtime.ownership import OwnershipStats

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Histogram:
    """A cumulative histogram: ``counts[i]`` observations were ≤ ``bounds[i]``; ``count`` is the +Inf bucket."""

    bounds: tuple[float, ...]
    counts: tuple[int, ...]
    sum: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        if len(self.bounds) != len(self.counts):
            raise CamfleetError(f"histogram has {len(self.bounds)} bounds but {len(self.counts)} counts")
        if list(self.bounds) != sorted(self.bounds):
            raise CamfleetError("histogram bounds must be increasing")

    @classmethod
    def empty(cls, bounds: Sequence[float]) -> Histogram:
        """A histogram with no observation yet."""
        return cls(tuple(bounds), (0,) * len(bounds))

    @classmethod
    def of(cls, bounds: Sequence[float], observations: Sequence[float]) -> Histogram:
        """The histogram of ``observations`` (handy for tests and for a runtime that keeps raw samples)."""
        counts = tuple(sum(1 for x in observations if x <= b) for b in bounds)
        return cls(tuple(bounds), counts, float(sum(observations)), len(observations))


@dataclass(frozen=True, slots=True)
class PollerMetric:
    """How one ``PollerStats`` field is exported: a gauge or counter with no labels, its name and help."""

    kind: str  # gauge | counter
    name: str  # counters end in _total, as written in the text format
    help: str


def _from(source: str, default: _T, metric: PollerMetric | None = None) -> _T:
    """A ``PollerStats`` field filled from ``source`` (``counters.x``: the fleet's ``FleetCounters``; ``svc.x``: the
    service's ``ServiceStats``; ``fleet.x``: the ``FleetState``), exported as ``metric`` when it has one."""
    meta: dict[str, object] = {"source": source}
    if metric is not None:
        meta["metric"] = metric
    return field(default=default, metadata=meta)


def _gauge(name: str, help_text: str, source: str, default: _T) -> _T:
    return _from(source, default, PollerMetric("gauge", name, help_text))


def _counter(name: str, help_text: str, source: str, default: _T) -> _T:
    return _from(source, default, PollerMetric("counter", name, help_text))


@dataclass(frozen=True, slots=True)
class PollerStats:
    """The poller's own counters and gauges (all optional; a fresh poller has zeros).

    Keys of ``probes`` are ``(kind, result)`` with ``kind`` a ``CheckKind`` word and ``result`` the
    observed ``Status`` word of that probe; ``probe_duration`` is keyed by ``CheckKind`` words.

    One place per value: a field declared with ``_gauge``/``_counter`` names where its value comes from and the
    metric it becomes. ``service.views.poller_stats`` fills every field with a source and
    ``metrics.poller.poller_families`` exports every field with a metric (gauges, then counters, each in the
    order declared here: the exposition order). The labelled families and histograms are built by hand.
    """

    probes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    probe_duration: Mapping[str, Histogram] = field(default_factory=dict)
    sweep_duration_s: float = _gauge(
        "camfleet_sweep_duration_seconds",
        "Time the last full pass over the fleet took.",
        "counters.last_sweep_duration_s",
        0.0,
    )
    schedule_lag_s: float = _gauge(
        "camfleet_schedule_lag_seconds",
        "How late the last dispatched check started, behind its due time.",
        "counters.lag_s",
        0.0,
    )
    queue_depth: int = _gauge(
        "camfleet_scheduler_queue_depth", "Checks due and waiting for a free slot.", "counters.queue_depth", 0
    )
    in_flight: int = _gauge("camfleet_probes_in_flight", "Checks running now.", "counters.in_flight", 0)
    loop_lag_s: float = _gauge(
        "camfleet_event_loop_lag_seconds", "Last measured delay of the event loop.", "svc.loop_lag_s", 0.0
    )
    db_write: Histogram = field(default_factory=lambda: Histogram.empty(DB_BUCKETS))
    db_backlog: int = _gauge(
        "camfleet_db_write_backlog", "Rows waiting to be written to the database.", "counters.write_backlog", 0
    )
    gc_full_last_s: float = _gauge(
        "camfleet_gc_full_collection_last_seconds",
        "Event-loop stall of the poller's last timed full garbage collection.",
        "counters.gc_full_last_s",
        0.0,
    )
    config_last_reload_ok: bool = _gauge(
        "camfleet_config_last_reload_successful",
        "1 when the last configuration (re)load succeeded.",
        "svc.last_reload_ok",
        True,
    )
    config_last_reload_at: float = _gauge(
        "camfleet_config_last_reload_success_timestamp_seconds",
        "Unix time of the last successful configuration (re)load.",
        "svc.last_reload_at",
        0.0,
    )
    started_at: float = _gauge("camfleet_start_time_seconds", "Unix time the poller started.", "fleet.started_at", 0.0)
    transitions: int = _counter("camfleet_transitions_total", "Camera status changes.", "counters.transitions", 0)
    db_write_failures: int = _counter(
        "camfleet_db_write_failures_total", "Batched database writes that failed.", "counters.write_failures", 0
    )
    db_write_dropped: int = _counter(
        "camfleet_db_write_dropped_total",
        "Rows dropped because the write buffer was full.",
        "counters.write_dropped",
        0,
    )
    gc_full_collections: int = _counter(
        "camfleet_gc_full_collections_total",
        "The poller's timed full garbage collections.",
        "counters.gc_full_collections",
        0,
    )
    db_write_refused: int = _counter(
        "camfleet_db_write_refused_total",
        "Camera states the database refused to store because their lease had moved to another instance.",
        "counters.write_refused",
        0,
    )
    config_reloads_ok: int = _from("svc.reloads_ok", 0)  # camfleet_config_reloads_total{result="success"}
    config_reloads_failed: int = _from("svc.reloads_failed", 0)  # ... {result="failure"}
    web_write_refused: Mapping[str, int] = field(default_factory=dict)  # web write actions refused, by reason
    version: str = __version__
    python: str = platform.python_version()


@dataclass(frozen=True, slots=True)
class ProcessFamily:
    """One family read from the poller's process by prometheus_client's collectors (``metrics/process.py``)."""

    name: str  # a counter's ends in _total, as written
    type: str  # gauge | counter
    help: str
    labelnames: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], float], ...]


@dataclass(frozen=True, slots=True)
class ProcessStats:
    """The poller's process as read when the snapshot was taken: its standard families and its memory limit."""

    families: tuple[ProcessFamily, ...] = ()
    memory_max_bytes: float | None = None  # the cgroup's limit (MemoryMax=); None: unlimited or unknown


def poller_metrics(kind: str) -> list[tuple[str, PollerMetric]]:
    """``(field name, metric)`` of every ``PollerStats`` field exported as a ``kind`` (gauge, counter), in order."""
    found = [(f.name, f.metadata.get("metric")) for f in fields(PollerStats)]
    return [(name, m) for name, m in found if isinstance(m, PollerMetric) and m.kind == kind]


def poller_sources() -> dict[str, str]:
    """Field name → source (``counters.write_dropped``, ``svc.loop_lag_s``, ``fleet.started_at``) of every
    ``PollerStats`` field filled from the fleet or the service."""
    return {f.name: str(f.metadata["source"]) for f in fields(PollerStats) if "source" in f.metadata}


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Everything ``/metrics`` shows, taken at one instant.

    ``targets`` are the cameras the poller watches (the per-camera series); ``points`` and ``cameras`` are
    the inventory (village, town and programme aggregates, following the coverage rule).
    """

    targets: Mapping[str, CameraTarget]
    states: Mapping[str, CameraState]
    points: Sequence[PointRecord]
    cameras: Sequence[CameraRecord]
    poller: PollerStats = field(default_factory=PollerStats)
    taken_at: float = 0.0
    cluster: OwnershipStats | None = None  # this instance's share when several poll one fleet; None alone
    review_within_s: float = 24 * 3600.0  # config vision.review_within_h: a doubtful camera waits longer: overdue
    standards: Sequence[StandardConfig] = ()  # [[coverage.standard]]: judged over points/cameras (the leader's)
    maintenance: Sequence[MaintenanceWindow] = ()  # stored windows not over yet; which are active: at taken_at
    process: ProcessStats = field(default_factory=ProcessStats)  # read in the poller's process, on the loop
    cannot_judge_alert_s: float = 72 * 3600.0  # config vision.cannot_judge_alert_h, exported for the alert rule
