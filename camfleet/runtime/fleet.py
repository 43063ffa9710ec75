"""FleetState: the poller's in-memory picture of the fleet, read by metrics, the web layer and the CLI.

Plain data: the runtime writes it on the event loop, everyone else only reads (a scrape renders from a
snapshot taken with ``snapshot()``). Counters only ever grow, as Prometheus counters expect.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field

from camfleet.model import CameraState, CameraTarget, CheckKind, Status


@dataclass
class FleetCounters:
    """Poller self-metrics."""

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

    def count_probe(self, kind: CheckKind, status: Status) -> None:
        """One finished probe."""
        self.counters.probes[(str(kind), str(status))] += 1

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
