"""Status timelines over a window, rebuilt from the transition history.

A timeline is a list of ``(t, value)`` change points, sorted, the first at the window's start; each value
holds until the next change point or the window's end. Every status change is a stored transition, so a
camera's status between two transitions is constant: that is what lets the state at the window's start be
derived without loading the whole history (see ``camera_timeline``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from camfleet.coverage.core import combine
from camfleet.coverage.window import Window
from camfleet.model import CameraState, Status, Transition

V = TypeVar("V")
W = TypeVar("W")
Timeline = list[tuple[float, V]]
Cover = bool | None  # True covered, False not covered, None unknown (never checked)


@dataclass(frozen=True, slots=True)
class CameraTimeline:
    """A camera's statuses over the window; ``initial_since`` is when the first status began, if known."""

    camera_id: str
    points: list[tuple[float, Status]]
    initial_since: float | None


def _status_at_start(
    before: Transition | None,
    first_after_start: Transition | None,
    state: CameraState | None,
    start: float,
) -> tuple[Status, float | None]:
    """What the camera's status was at ``start`` and since when (None when not known)."""
    if before is not None:
        return before.to_status, before.at
    if first_after_start is not None:
        # Nothing changed between the start and this transition, so its "from" held at the start.
        return first_after_start.from_status, None
    if state is not None and state.status is not Status.UNKNOWN and state.since <= start:
        return state.status, state.since
    return Status.UNKNOWN, None


def camera_timeline(
    camera_id: str,
    transitions: Sequence[Transition],
    state: CameraState | None,
    window: Window,
) -> CameraTimeline:
    """Rebuild one camera's statuses over ``window`` from its transitions sorted by time.

    The status at the window's start is, in order of preference: the last transition at or before the start;
    the ``from_status`` of the first transition after the start (within or after the window); the current
    state when it began before the start; else unknown. Time before the first check is unknown.
    """
    before: Transition | None = None
    inside: list[Transition] = []
    after: Transition | None = None
    for tr in transitions:
        if tr.at <= window.start:
            before = tr
        elif tr.at < window.end:
            inside.append(tr)
        else:
            after = tr
            break
    first_after_start = inside[0] if inside else after
    initial, since = _status_at_start(before, first_after_start, state, window.start)
    if not inside and after is None and state is not None and window.start < state.since < window.end:
        # A state newer than the window's start with no transition recorded: trust the state from its
        # ``since`` on, and call the time before it unknown rather than guess.
        inside_points: list[tuple[float, Status]] = [(state.since, state.status)]
    else:
        inside_points = [(tr.at, tr.to_status) for tr in inside]
    points: list[tuple[float, Status]] = [(window.start, initial)]
    for at, status in inside_points:
        if status is not points[-1][1]:
            points.append((at, status))
    return CameraTimeline(camera_id, points, since)


def map_timeline(timeline: Timeline[Status], fn: Callable[[Status], V]) -> Timeline[V]:
    """Apply ``fn`` to every value, merging neighbours that become equal."""
    out: Timeline[V] = []
    for at, status in timeline:
        value = fn(status)
        if not out or out[-1][1] != value:
            out.append((at, value))
    return out


def cover_of(status: Status) -> Cover:
    """A single camera's contribution to coverage: working, unknown (never checked), or not."""
    if status.is_working:
        return True
    return None if status is Status.UNKNOWN else False


def combine_timelines(timelines: Sequence[Timeline[Cover]], start: float) -> Timeline[Cover]:
    """The ``combine`` rule applied at every instant: any covered wins, else unknown, else not covered."""
    if not timelines:
        return [(start, False)]
    if len(timelines) == 1:
        return list(timelines[0])
    return fold_timelines(timelines, start, combine)


def fold_timelines(timelines: Sequence[Timeline[V]], start: float, fn: Callable[[list[V]], W]) -> Timeline[W]:
    """``fn`` of the timelines' values at every instant (all timelines begin at ``start``), one entry per change
    of its value: the events of every timeline merged in time, those at one instant applied together."""
    current = [tl[0][1] for tl in timelines]
    out: Timeline[W] = [(start, fn(current))]
    pending: float | None = None
    for at, index, value in merged_events(timelines):
        if pending is not None and at != pending:
            append_change(out, pending, fn(current))
        current[index] = value
        pending = at
    if pending is not None:
        append_change(out, pending, fn(current))
    return out


def merged_events(timelines: Sequence[Timeline[V]]) -> Iterator[tuple[float, int, V]]:
    """Every change of the timelines after their start, as (time, timeline index, value), in time order."""
    # One C sort of (time, index, position, value): (index, position) is unique, so values are never compared.
    # heapq.merge with a key function took 1.6x as long on the district's 5,500 camera timelines.
    events = [(at, i, j, v) for i, tl in enumerate(timelines) for j, (at, v) in enumerate(tl) if j]
    events.sort()
    return ((at, i, v) for at, i, _j, v in events)


def append_change(out: Timeline[W], at: float, value: W) -> None:
    """Append ``(at, value)`` to ``out`` unless the value is the one it already ends with."""
    if out[-1][1] != value:
        out.append((at, value))


def durations(timeline: Timeline[V], end: float) -> dict[V, float]:
    """Seconds spent in each value until ``end``."""
    totals: dict[V, float] = {}
    for i, (at, value) in enumerate(timeline):
        finish = timeline[i + 1][0] if i + 1 < len(timeline) else end
        totals[value] = totals.get(value, 0.0) + max(0.0, finish - at)
    return totals


def covered_by_bucket(timeline: Timeline[Cover], buckets: Iterable[tuple[float, float]], end: float) -> list[float]:
    """Covered seconds of ``timeline`` inside each ``(start, end)`` bucket (buckets sorted, disjoint)."""
    segments = [
        (at, timeline[i + 1][0] if i + 1 < len(timeline) else end)
        for i, (at, value) in enumerate(timeline)
        if value is True
    ]
    out: list[float] = []
    j = 0
    for b_start, b_end in buckets:
        total = 0.0
        while j < len(segments) and segments[j][1] <= b_start:
            j += 1
        k = j
        while k < len(segments) and segments[k][0] < b_end:
            total += max(0.0, min(b_end, segments[k][1]) - max(b_start, segments[k][0]))
            k += 1
        out.append(total)
    return out
