"""Snapshot KPIs for any set of points: counts, 覆盖率, 在线率, 完好率 and cameras by status.

Definitions (also in docs/coverage.md):

* the plan is every non-retired point; ``points_installed`` counts installed *and* accepted points
  (acceptance comes after installation); retired points and their cameras count for nothing;
* ``coverage_rate`` (覆盖率) = covered villages / villages with at least one planned point;
* ``point_coverage_rate`` = covered points / planned points;
* ``online_rate`` (在线率) = cameras up (``Status.is_up``) / cameras; ``working_rate`` (完好率) = cameras ok /
  cameras. Every camera at a planned point is in the denominator, unknown ones too (never counted up).
* ``cameras_unreviewed``: cameras whose first pictures were doubtful and that no person has approved yet
  (baseline ``doubtful``, or status ``cannot_judge``/``needs_review``). Their status is not ``ok``, so they
  already count as not working; the count says how much of "not working" is waiting for a person to look.
* ``cameras_provisional``: cameras ``ok`` whose baseline is still provisional: judged on their own first
  pictures and their peers' (docs/day-one.md), nobody has approved them and no acceptance picture vouches for
  the view. They count as working; the count says how much of "working" rests on the no-baseline rules alone
  (mild defocus and a small turn are not seen by them).

Rates are fractions 0..1, or None when the denominator is 0 or nothing in it is known yet (every camera
unchecked: the report shows "—", not 0 %).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from camfleet.coverage.core import combine
from camfleet.model import CameraRecord, PointRecord, PointStatus, Status

Cover = bool | None


def ratio(num: int | float, den: int | float) -> float | None:
    """``num / den``, or None when there is nothing to divide by."""
    return num / den if den else None


@dataclass(slots=True)
class Kpis:
    """Counts and rates for one area (village, town, district) and one programme (or all)."""

    villages: int = 0
    villages_covered: int = 0
    villages_unknown: int = 0
    points_planned: int = 0
    points_installed: int = 0
    points_accepted: int = 0
    points_covered: int = 0
    points_unknown: int = 0
    cameras: int = 0
    cameras_up: int = 0
    cameras_ok: int = 0
    cameras_unknown: int = 0
    cameras_unreviewed: int = 0
    cameras_provisional: int = 0
    cameras_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def coverage_rate(self) -> float | None:
        """覆盖率: covered villages / villages; None while every village is unknown."""
        return ratio(self.villages_covered, self.villages) if self.villages_unknown < self.villages else None

    @property
    def point_coverage_rate(self) -> float | None:
        """Covered points / planned (non-retired) points; None while every point is unknown."""
        return ratio(self.points_covered, self.points_planned) if self.points_unknown < self.points_planned else None

    @property
    def online_rate(self) -> float | None:
        """在线率: cameras up / cameras; None while no camera has been checked (nothing is known, not 0 %)."""
        return ratio(self.cameras_up, self.cameras) if self.cameras_unknown < self.cameras else None

    @property
    def working_rate(self) -> float | None:
        """完好率: cameras ok / cameras; None while no camera has been checked."""
        return ratio(self.cameras_ok, self.cameras) if self.cameras_unknown < self.cameras else None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the KPIs need, computed once: each planned point's cameras, statuses and coverage."""

    cameras_at: Mapping[str, Sequence[CameraRecord]]
    status_of: Mapping[str, Status]
    point_cover: Mapping[str, Cover]
    unreviewed: frozenset[str] = frozenset()  # camera ids awaiting a person's review (doubtful baseline)
    provisional: frozenset[str] = frozenset()  # camera ids whose baseline is provisional (nobody looked)


def kpis_for(points: Iterable[PointRecord], snap: Snapshot) -> Kpis:
    """The KPIs of ``points`` (retired ones are skipped)."""
    out = Kpis()
    statuses: Counter[str] = Counter()
    villages: dict[tuple[str, str], list[Cover]] = {}
    for point in points:
        if point.status is PointStatus.RETIRED:
            continue
        cover = snap.point_cover.get(point.point_id, False)
        villages.setdefault((point.town, point.village), []).append(cover)
        out.points_planned += 1
        out.points_installed += point.status in (PointStatus.INSTALLED, PointStatus.ACCEPTED)
        out.points_accepted += point.status is PointStatus.ACCEPTED
        out.points_covered += cover is True
        out.points_unknown += cover is None
        for cam in snap.cameras_at.get(point.point_id, ()):
            status = snap.status_of.get(cam.camera_id, Status.UNKNOWN)
            statuses[status.value] += 1
            out.cameras += 1
            out.cameras_up += status.is_up
            out.cameras_ok += status.is_working
            out.cameras_unknown += status is Status.UNKNOWN
            out.cameras_unreviewed += cam.camera_id in snap.unreviewed
            out.cameras_provisional += status.is_working and cam.camera_id in snap.provisional
    for covers in villages.values():
        village = combine(covers)
        out.villages += 1
        out.villages_covered += village is True
        out.villages_unknown += village is None
    out.cameras_by_status = dict(sorted(statuses.items()))
    return out


def kpis_by_program(points: Sequence[PointRecord], snap: Snapshot, programs: Sequence[str]) -> dict[str, Kpis]:
    """KPIs for every programme in ``programs`` (points of other programmes ignored), keyed by programme."""
    grouped: dict[str, list[PointRecord]] = {name: [] for name in programs}
    for point in points:
        if point.program in grouped:
            grouped[point.program].append(point)
    return {name: kpis_for(members, snap) for name, members in grouped.items()}
