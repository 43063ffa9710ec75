"""The standards over time: each village's and town's verdict as a timeline over the window.

A village's timeline is the three-valued AND, instant by instant, of its required site types' coverage
(the points of that type combined with the coverage rule) and of its working-rate condition (counted from
its cameras' timelines). A town's is the AND of its villages'. From them come the availability condition
(the share of the window a village met the standard; unknown time counts against it) and "since when" a
town has been in its current verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from camfleet.coverage.standards import ANY, Verdict, all_of, rate_verdict
from camfleet.coverage.timeline import Timeline, append_change, combine_timelines, fold_timelines, merged_events
from camfleet.model import PointRecord


def rate_timeline(cameras: Sequence[Timeline[Verdict]], start: float, minimum: float | None) -> Timeline[Verdict]:
    """The working-rate condition over time, from the cameras' coverage timelines (True ok, None unknown).

    Counts are updated per change, not recounted: a village has up to ~100 cameras and thousands of changes.
    """
    if minimum is None:
        return [(start, True)]
    current = [tl[0][1] for tl in cameras]
    ok, unknown, n = current.count(True), current.count(None), len(current)
    out: Timeline[Verdict] = [(start, rate_verdict(ok, unknown, n, minimum))]
    pending: float | None = None
    for at, index, value in merged_events(cameras):
        if pending is not None and at != pending:
            append_change(out, pending, rate_verdict(ok, unknown, n, minimum))
        old = current[index]
        ok += (value is True) - (old is True)
        unknown += (value is None) - (old is None)
        current[index] = value
        pending = at
    if pending is not None:
        append_change(out, pending, rate_verdict(ok, unknown, n, minimum))
    return out


def village_timeline(
    required: Sequence[str],
    members: Sequence[PointRecord],
    point_tl: Mapping[str, Timeline[Verdict]],
    camera_tls: Sequence[Timeline[Verdict]],
    minimum: float | None,
    start: float,
) -> Timeline[Verdict]:
    """The village's verdict over the window (before the availability condition)."""
    parts: list[Timeline[Verdict]] = []
    for site_type in required:
        of_type = [point_tl[p.point_id] for p in members if site_type == ANY or p.site_type == site_type]
        parts.append(combine_timelines(of_type, start) if of_type else [(start, False)])
    parts.append(rate_timeline(camera_tls, start, minimum))
    return fold_timelines(parts, start, all_of)


def town_timeline(villages: Sequence[Timeline[Verdict]], start: float) -> Timeline[Verdict]:
    """The town's verdict over the window: every village's, ANDed."""
    return fold_timelines(villages, start, all_of)
