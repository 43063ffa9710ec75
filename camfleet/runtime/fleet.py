"""FleetState: the poller's in-memory picture of the fleet, read by metrics, the web layer and the CLI.

Plain data: the runtime writes it on the event loop, everyone else only reads (a scrape renders from a
snapshot taken with ``snapshot()``). Counters only ever grow, as Prometheus counters expect.
"""

from __future__ import annotations

import bisect
import copy
import itertools
from collections import Counter
from dataclasses import dataclass, field

from camfleet.model import CameraState, CameraTarget, CheckKind, Status

#: Probe duration buckets (seconds): ONVIF liveness answers in ~10 ms on a LAN, 0.1–2 s over rural
#: uplinks; frames take seconds. The call deadline is 5 s and the frame deadline 15 s.
PROBE_BUCKETS: tuple[float, ...] = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)

#: Database write buckets (seconds): batched Core statements take tens of ms, PostgreSQL a few hundred.
DB_BUCKETS: tuple[float, ...] = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Durations:
    """A histogram kept on the loop: observations per bucket (not cumulative; above the last bound only in
    ``count``), their sum and count. ``cumulative()`` gives Prometheus' ``le`` counts."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    sum: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = self.counts or [0] * len(self.bounds)

    def observe(self, seconds: float) -> None:
        """One observation."""
        i = bisect.bisect_left(self.bounds, seconds)  # the first bound ≥ seconds: ``le`` is inclusive
        if i < len(self.counts):
            self.counts[i] += 1
        self.sum += seconds
        self.count += 1

    def cumulative(self) -> tuple[int, ...]:
        """Observations ≤ each bound."""
        return tuple(itertools.accumulate(self.counts))


@dataclass
class FleetCounters:
    """Poller self-metrics. A field reaches /metrics when a ``PollerStats`` field (``metrics/snapshot.py``) names it
    as its source (``counters.write_dropped``) with the metric it becomes; nothing in between copies it."""

    probes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, result status) → count
    transitions: int = 0
    sweeps: int = 0
    last_sweep_duration_s: float = 0.0
    last_sweep_finished_at: float = 0.0
    lag_s: float = 0.0  # how late the last dispatched check started, seconds behind its due time
    lag_max_s: float = 0.0  # worst lag since start
    queue_depth: int = 0  # checks due (or waiting for a concurrency slot) but not started
    in_flight: int = 0  # checks running now
    in_flight_by_uplink: Counter[str] = field(default_factory=Counter)
    max_in_flight_by_uplink: Counter[str] = field(default_factory=Counter)  # high-water mark per uplink
    max_in_flight: int = 0
    write_backlog: int = 0  # transitions and states waiting to be written
    write_dropped: int = 0  # transitions dropped because the buffer limit was reached
    write_failures: int = 0
    write_refused: int = 0  # camera states the database refused: their lease had moved (cluster)
    last_write_at: float = 0.0
    probe_duration: dict[str, Durations] = field(default_factory=dict)  # check kind → how long its checks took
    write_duration: Durations = field(default_factory=lambda: Durations(DB_BUCKETS))  # batched writes
    gc_full_collections: int = 0  # the poller's own timed full garbage collections (``runtime/gcfreeze.py``)
    gc_full_last_s: float = 0.0  # the loop's stall in the last of them, wall seconds


@dataclass
class FleetState:
    """Targets, current camera states (owned by the health machine) and counters."""

    targets: dict[str, CameraTarget] = field(default_factory=dict)
    states: dict[str, CameraState] = field(default_factory=dict)
    counters: FleetCounters = field(default_factory=FleetCounters)
    started_at: float = 0.0

    def status_counts(self) -> dict[str, int]:
        """Cameras per status word (every status present in the fleet, unknown included)."""
        counts = Counter(str(self.states[c].status) if c in self.states else str(Status.UNKNOWN) for c in self.targets)
        return dict(sorted(counts.items()))

    def count_probe(self, kind: CheckKind, status: Status, latency_s: float = 0.0) -> None:
        """One finished probe, and how long it took (0: not measured, e.g. an internal error)."""
        self.counters.probes[(str(kind), str(status))] += 1
        if latency_s > 0:
            durations = self.counters.probe_duration.get(str(kind))
            if durations is None:
                durations = self.counters.probe_duration[str(kind)] = Durations(PROBE_BUCKETS)
            durations.observe(latency_s)

    def enter(self, uplink: str) -> None:
        """A probe starts behind ``uplink``."""
        c = self.counters
        c.in_flight += 1
        c.max_in_flight = max(c.max_in_flight, c.in_flight)
        c.in_flight_by_uplink[uplink] += 1
        c.max_in_flight_by_uplink[uplink] = max(c.max_in_flight_by_uplink[uplink], c.in_flight_by_uplink[uplink])

    def leave(self, uplink: str) -> None:
        """A probe behind ``uplink`` ended."""
        c = self.counters
        c.in_flight -= 1
        c.in_flight_by_uplink[uplink] -= 1
        if c.in_flight_by_uplink[uplink] <= 0:
            del c.in_flight_by_uplink[uplink]

    def snapshot(self) -> FleetState:
        """A deep copy, safe to read from another thread (e.g. a metrics renderer)."""
        return copy.deepcopy(self)
