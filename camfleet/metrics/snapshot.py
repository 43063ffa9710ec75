"""What the metrics layer reads: a plain, immutable snapshot of the fleet and of the poller's counters.

The service builds one ``MetricsSnapshot`` per scrape from the runtime's fleet state (on the event loop),
then the renderer turns it into text in a worker (off the loop). The containers handed over must not be
mutated by the loop afterwards: copy the mappings (``dict(fleet.states)``) when building the snapshot.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from camfleet import __version__
from camfleet.config.coverage import StandardConfig
from camfleet.errors import CamfleetError
from camfleet.model import CameraRecord, CameraState, CameraTarget, PointRecord
from camfleet.runtime.fleet import DB_BUCKETS
from camfleet.runtime.ownership import OwnershipStats


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
class PollerStats:
    """The poller's own counters and gauges (all optional; a fresh poller has zeros).

    Keys of ``probes`` are ``(kind, result)`` with ``kind`` a ``CheckKind`` word and ``result`` the
    observed ``Status`` word of that probe; ``probe_duration`` is keyed by ``CheckKind`` words.
    """

    probes: Mapping[tuple[str, str], int] = field(default_factory=dict)
    probe_duration: Mapping[str, Histogram] = field(default_factory=dict)
    sweep_duration_s: float = 0.0  # how long the last full pass over the fleet took
    schedule_lag_s: float = 0.0  # how late the last dispatched check started, behind its due time
    queue_depth: int = 0  # checks due and waiting for a slot
    in_flight: int = 0  # probes running now
    loop_lag_s: float = 0.0  # last measured event-loop lag
    db_write: Histogram = field(default_factory=lambda: Histogram.empty(DB_BUCKETS))
    db_backlog: int = 0  # rows waiting to be written
    db_write_failures: int = 0  # batches that failed to write
    db_write_dropped: int = 0  # rows dropped because the buffer limit was reached
    db_write_refused: int = 0  # camera states refused because their lease had moved to another instance
    config_reloads_ok: int = 0
    config_reloads_failed: int = 0
    config_last_reload_ok: bool = True
    config_last_reload_at: float = 0.0  # unix time of the last successful (re)load
    web_write_refused: Mapping[str, int] = field(default_factory=dict)  # web write actions refused, by reason
    transitions: int = 0  # camera status changes since start
    started_at: float = 0.0  # unix time the poller started
    version: str = __version__
    python: str = platform.python_version()


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
