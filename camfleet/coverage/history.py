"""What the transition history says about a window: availability, outages, repair times, offenders.

An *outage* is a run of time in which a camera's status is known and not ``ok`` (offline, auth, protocol,
degraded, an image fault, cannot_judge): time in which it covers nothing. Status changes inside the run
(offline → auth_failed) do not split it; unknown (never checked) is not an outage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from camfleet.coverage.timeline import CameraTimeline, Cover, Timeline, covered_by_bucket, durations
from camfleet.coverage.window import Window
from camfleet.model import Status


@dataclass(frozen=True, slots=True)
class Availability:
    """How a coverage timeline spent the window: covered, not covered, unknown (never checked), in seconds."""

    covered_s: float = 0.0
    uncovered_s: float = 0.0
    unknown_s: float = 0.0

    @property
    def total_s(self) -> float:
        """The time observed (the window, times the number of places summed)."""
        return self.covered_s + self.uncovered_s + self.unknown_s

    @property
    def availability(self) -> float | None:
        """Share of the time covered. Unknown time counts against it, never for it; None when all of it was
        unknown (nothing checked in the window: "—", not 0 %)."""
        return self.covered_s / self.total_s if self.total_s and self.unknown_s < self.total_s else None

    @property
    def unknown_fraction(self) -> float | None:
        """Share of the time nobody knew (before the first check)."""
        return self.unknown_s / self.total_s if self.total_s else None

    def __add__(self, other: Availability) -> Availability:
        return Availability(
            self.covered_s + other.covered_s, self.uncovered_s + other.uncovered_s, self.unknown_s + other.unknown_s
        )


def availability_of(timeline: Timeline[Cover], window: Window) -> Availability:
    """The availability of one place (point or village) over the window."""
    spent = durations(timeline, window.end)
    return Availability(spent.get(True, 0.0), spent.get(False, 0.0), spent.get(None, 0.0))


def total(items: Iterable[Availability]) -> Availability:
    """Sum of availabilities: a town's availability is the mean of its villages', weighted by time."""
    out = Availability()
    for item in items:
        out = out + item
    return out


@dataclass(frozen=True, slots=True)
class Outage:
    """One outage of one camera. ``end`` None: still going at the window's end.

    ``start_known`` is False when the outage was already going at the window's start and the history
    given does not say since when; ``start`` is then the window's start.
    """

    camera_id: str
    start: float
    end: float | None
    status: Status
    start_known: bool
    in_window_s: float

    def duration_s(self, window_end: float) -> float:
        """Length from its start to its end (or the window's end when still going)."""
        return (self.end if self.end is not None else window_end) - self.start


def _is_outage(status: Status) -> bool:
    return status is not Status.UNKNOWN and not status.is_working


def outages_of(camera: CameraTimeline, window: Window) -> list[Outage]:
    """The outages in one camera's timeline over the window."""
    out: list[Outage] = []
    points = camera.points
    i = 0
    while i < len(points):
        at, status = points[i]
        if not _is_outage(status):
            i += 1
            continue
        j = i + 1
        while j < len(points) and _is_outage(points[j][1]):
            j += 1
        end = points[j][0] if j < len(points) else None
        start, known = at, True
        if i == 0:
            known = camera.initial_since is not None
            start = camera.initial_since if camera.initial_since is not None else window.start
        in_window = (end if end is not None else window.end) - max(start, window.start)
        out.append(Outage(camera.camera_id, start, end, status, known, in_window))
        i = j
    return out


def mean_time_to_repair(outages: Iterable[Outage]) -> float | None:
    """Mean length of the outages repaired in the window whose start is known (seconds), None if none."""
    lengths = [o.end - o.start for o in outages if o.end is not None and o.start_known]
    return sum(lengths) / len(lengths) if lengths else None


@dataclass(frozen=True, slots=True)
class Offender:
    """A camera's record over the window: total outage time and number of outages."""

    camera_id: str
    outage_s: float
    outages: int


def rank_offenders(by_camera: dict[str, list[Outage]], limit: int) -> tuple[list[Offender], list[Offender]]:
    """The worst cameras by outage time and by number of outages (ties: the other measure, then id)."""
    rows = [Offender(cid, sum(o.in_window_s for o in items), len(items)) for cid, items in by_camera.items() if items]
    by_time = sorted(rows, key=lambda r: (-r.outage_s, -r.outages, r.camera_id))[:limit]
    by_count = sorted(rows, key=lambda r: (-r.outages, -r.outage_s, r.camera_id))[:limit]
    return by_time, by_count


@dataclass(frozen=True, slots=True)
class TrendDay:
    """One local day: the share of village-time covered and the share unknown."""

    day: str
    availability: float | None
    unknown_fraction: float | None


def daily_trend(
    timelines: Sequence[Timeline[Cover]], days: Sequence[tuple[str, float, float]], window: Window
) -> list[TrendDay]:
    """Per day, the covered share of the summed time of the given places (villages)."""
    buckets = [(start, end) for _, start, end in days]
    covered = [0.0] * len(days)
    unknown = [0.0] * len(days)
    for tl in timelines:
        for k, seconds in enumerate(covered_by_bucket(tl, buckets, window.end)):
            covered[k] += seconds
        unknown_tl: Timeline[Cover] = [(at, value is None) for at, value in tl]
        for k, seconds in enumerate(covered_by_bucket(unknown_tl, buckets, window.end)):
            unknown[k] += seconds
    out: list[TrendDay] = []
    for k, (day, start, end) in enumerate(days):
        span = (end - start) * len(timelines)
        out.append(TrendDay(day, covered[k] / span if span else None, unknown[k] / span if span else None))
    return out
