"""When each (camera, check kind) runs next: a due-time heap with tiers, jitter, spread and backoff.

- Tiers: each kind has its interval (liveness 60 s, identity and discovery hourly, frames 5 min).
- Start-up spread: camera *i* of *n* first runs at ``(i + u) / n`` of its kind's first window (u uniform in
  [0, 1)), so the first sweep is level over the first interval instead of a stampede at t=0.
- Jitter: each next due time is the previous *due* time (not the finish time, so load does not drift into
  clumps) plus the interval × (1 ± jitter).
- Re-check: a verdict awaiting confirmation is checked again after ``recheck_delay_s``.
- Dead backoff: a camera down longer than ``dead_after_s`` is checked at a doubling interval capped at
  ``dead_backoff_max_s``; a failing non-liveness kind is re-checked at the liveness pace.
Entries are never removed from the heap: a per-key version makes stale ones skip (lazy deletion).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from camfleet.config.poller import PollerConfig
from camfleet.model import CheckKind


def _interval(cfg: PollerConfig, kind: CheckKind) -> float:
    return {
        CheckKind.LIVENESS: cfg.liveness_interval_s,
        CheckKind.IDENTITY: cfg.identity_interval_s,
        CheckKind.DISCOVERY: cfg.discovery_interval_s,
        CheckKind.FRAME: cfg.frame_interval_s,
    }[kind]


@dataclass(order=True, slots=True)
class Due:
    """One scheduled check."""

    due: float
    seq: int
    camera_id: str = field(compare=False)
    kind: CheckKind = field(compare=False)
    version: int = field(compare=False, default=0)


class Schedule:
    """The heap. Not thread-safe: used from the event loop only."""

    def __init__(self, cfg: PollerConfig, kinds: Sequence[CheckKind], rng: random.Random | None = None) -> None:
        self.cfg = cfg
        self.kinds = tuple(kinds)
        self.rng = rng or random.Random()
        self.heap: list[Due] = []
        self.versions: dict[tuple[str, CheckKind], int] = {}
        self.backoff: dict[str, float] = {}
        self._seq = 0

    def interval(self, kind: CheckKind) -> float:
        """The tier interval of ``kind``."""
        return _interval(self.cfg, kind)

    def first_window(self, kind: CheckKind) -> float:
        """Over how long the first run of ``kind`` is spread across the fleet.

        Identity and discovery are spread over two liveness intervals rather than their hour: knowing
        within minutes of start-up which cameras refuse their password is worth ~2 extra calls/s/1000.
        """
        if kind in (CheckKind.IDENTITY, CheckKind.DISCOVERY):
            return min(self.interval(kind), 2 * self.cfg.liveness_interval_s)
        return self.interval(kind)

    def push(self, camera_id: str, kind: CheckKind, due: float) -> None:
        """(Re)schedule; any earlier entry of the same key becomes stale."""
        key = (camera_id, kind)
        version = self.versions.get(key, 0) + 1
        self.versions[key] = version
        self._seq += 1
        heapq.heappush(self.heap, Due(due, self._seq, camera_id, kind, version))

    def add_cameras(self, camera_ids: Sequence[str], now: float, window_scale: float = 1.0) -> None:
        """Schedule the first run of every kind, spread evenly (stratified jitter) over its first window."""
        n = len(camera_ids)
        order = list(camera_ids)
        self.rng.shuffle(order)  # neighbours in the inventory share an uplink: do not start them together
        for kind in self.kinds:
            window = self.first_window(kind) * window_scale
            for i, camera_id in enumerate(order):
                self.push(camera_id, kind, now + window * (i + self.rng.random()) / max(n, 1))

    def retime(self, cfg: PollerConfig, now: float) -> list[CheckKind]:
        """Take new pacing settings (a reload); the kinds whose interval changed.

        Later runs use the new intervals. A kind whose interval got shorter also has its pending waits scaled
        down by the same factor (a camera due in 4 min of a 5-min tier is due in 48 s of a 1-min one), which
        keeps the fleet's spread; a longer interval applies from each camera's next run on.
        """
        changed = [k for k in self.kinds if self.interval(k) != _interval(cfg, k)]
        factors = {k: _interval(cfg, k) / self.interval(k) for k in changed if _interval(cfg, k) < self.interval(k)}
        self.cfg = cfg
        if factors:
            pending = [
                d for d in self.heap if d.kind in factors and self.versions.get((d.camera_id, d.kind)) == d.version
            ]
            for d in pending:
                self.push(d.camera_id, d.kind, now + max(0.0, d.due - now) * factors[d.kind])
        return changed

    def remove_camera(self, camera_id: str) -> None:
        """Forget a camera: its heap entries become stale."""
        for kind in self.kinds:
            self.versions.pop((camera_id, kind), None)
        self.backoff.pop(camera_id, None)

    def pop_due(self, now: float) -> list[Due]:
        """Every current entry due at or before ``now``, earliest first."""
        out: list[Due] = []
        while self.heap and self.heap[0].due <= now:
            item = heapq.heappop(self.heap)
            if self.versions.get((item.camera_id, item.kind)) == item.version:
                out.append(item)
        return out

    def next_due(self) -> float | None:
        """The earliest current due time (stale entries are discarded on the way)."""
        while self.heap:
            head = self.heap[0]
            if self.versions.get((head.camera_id, head.kind)) == head.version:
                return head.due
            heapq.heappop(self.heap)
        return None

    def overdue(self, now: float) -> int:
        """How many current entries are due but not yet taken (approximate; stale entries included)."""
        return sum(1 for d in self.heap if d.due <= now)

    def jittered(self, interval: float) -> float:
        """``interval`` × (1 ± jitter)."""
        j = self.cfg.jitter
        return interval * (1.0 + self.rng.uniform(-j, j))

    def next_after(
        self,
        camera_id: str,
        kind: CheckKind,
        prev_due: float,
        now: float,
        *,
        unsettled: bool,
        failing: bool,
        dead_for: float,
    ) -> float:
        """The next due time of a check that just ran."""
        if unsettled:
            return now + self.cfg.recheck_delay_s
        interval = self.interval(kind)
        if kind is CheckKind.LIVENESS:
            if dead_for > self.cfg.dead_after_s:
                step = min(self.backoff.get(camera_id, interval) * 2, self.cfg.dead_backoff_max_s)
                self.backoff[camera_id] = step
                interval = max(interval, step)
            else:
                self.backoff.pop(camera_id, None)
        elif failing:
            interval = min(interval, self.cfg.liveness_interval_s)
        due = prev_due + self.jittered(interval)
        if due <= now:
            # We are behind (a slow camera, a busy machine): do not replay the missed runs, spread the catch-up.
            due = now + self.rng.uniform(0, min(interval, self.cfg.liveness_interval_s) * 0.1)
        return due
