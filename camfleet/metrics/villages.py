"""Village, programme and uplink series, following the coverage rule of ``camfleet.coverage``.

Counts are exported per village and programme, zero-filled for every status, so that town and district
figures are plain ``sum by (town)`` in the recording rules and never vanish when a count drops to 0.
Definitions match ``camfleet coverage``: the plan is every non-retired point; cameras are those at
planned points (unknown ones included in the denominators, never counted up).

Coverage is three-valued (covered, not covered, not known yet). Prometheus series are numbers, so it is
split in two: ``camfleet_village_covered`` is 1 only when known covered, and
``camfleet_village_coverage_known`` is 0 while no camera has been checked enough to tell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from camfleet.coverage.core import combine, points_covered
from camfleet.metrics.family import Family, gauge
from camfleet.model import CameraRecord, CameraState, CameraTarget, PointRecord, PointStatus, Status

_STATUS_WORDS = tuple(s.value for s in Status)
_VP = ("town", "village", "program")


def village_families(
    points: Sequence[PointRecord], cameras: Sequence[CameraRecord], states: Mapping[str, CameraState]
) -> list[Family]:
    """Cameras by status, points by stage and coverage, per village (and per programme)."""
    planned = [p for p in points if p.status is not PointStatus.RETIRED]
    cover = points_covered(planned, cameras, states)
    by_point: dict[str, list[CameraRecord]] = defaultdict(list)
    for cam in cameras:
        by_point[cam.point_id].append(cam)

    status_counts: dict[tuple[str, str, str], dict[str, int]] = {}
    up_counts: dict[tuple[str, str, str], int] = {}
    stages: dict[tuple[str, str, str], list[int]] = {}  # planned, installed, accepted, covered
    village_cover: dict[tuple[str, str], list[bool | None]] = defaultdict(list)
    program_cover: dict[tuple[str, str, str], list[bool | None]] = defaultdict(list)
    for p in sorted(planned, key=lambda p: (p.town, p.village, p.program, p.point_id)):
        key = (p.town, p.village, p.program)
        counts = status_counts.setdefault(key, dict.fromkeys(_STATUS_WORDS, 0))
        up_counts.setdefault(key, 0)
        stage = stages.setdefault(key, [0, 0, 0, 0])
        stage[0] += 1
        stage[1] += p.status in (PointStatus.INSTALLED, PointStatus.ACCEPTED)
        stage[2] += p.status is PointStatus.ACCEPTED
        stage[3] += cover[p.point_id] is True
        village_cover[(p.town, p.village)].append(cover[p.point_id])
        program_cover[key].append(cover[p.point_id])
        for cam in by_point.get(p.point_id, ()):
            state = states.get(cam.camera_id)
            status = state.status if state is not None else Status.UNKNOWN
            counts[status.value] += 1
            up_counts[key] += status.is_up

    by_status = gauge(
        "camfleet_village_cameras", "Cameras at the village's planned points, by current status.", *_VP, "status"
    )
    up = gauge("camfleet_village_cameras_up", "Cameras at the village's planned points that are up.", *_VP)
    for key, counts in status_counts.items():
        for word, n in counts.items():
            by_status.add((*key, word), n)
        up.add(key, up_counts[key])

    stage_families = [
        gauge("camfleet_village_points_planned", "Planned (non-retired) camera points in the village.", *_VP),
        gauge("camfleet_village_points_installed", "Points installed or accepted.", *_VP),
        gauge("camfleet_village_points_accepted", "Points accepted.", *_VP),
        gauge("camfleet_village_points_covered", "Points with at least one working camera.", *_VP),
    ]
    for key, stage in stages.items():
        for fam, n in zip(stage_families, stage, strict=True):
            fam.add(key, n)

    covered = gauge(
        "camfleet_village_covered",
        "1 when the village has a working camera (0 when not, or not known yet).",
        "town",
        "village",
    )
    known = gauge(
        "camfleet_village_coverage_known",
        "0 while the village's coverage is not known yet (cameras unchecked).",
        "town",
        "village",
    )
    _add_cover(covered, known, village_cover.items())
    p_covered = gauge(
        "camfleet_program_village_covered", "1 when the programme's points in the village have a working camera.", *_VP
    )
    p_known = gauge(
        "camfleet_program_village_coverage_known", "0 while the programme's coverage of the village is unknown.", *_VP
    )
    _add_cover(p_covered, p_known, program_cover.items())
    return [by_status, up, *stage_families, covered, known, p_covered, p_known]


def _add_cover(covered: Family, known: Family, covers: Iterable[tuple[tuple[str, ...], Sequence[bool | None]]]) -> None:
    for key, values in covers:
        verdict = combine(values)
        covered.add(key, 1.0 if verdict is True else 0.0)
        known.add(key, 0.0 if verdict is None else 1.0)


def uplink_families(targets: Mapping[str, CameraTarget], states: Mapping[str, CameraState]) -> list[Family]:
    """``camfleet_uplink_up{uplink,town,village}``: one series per uplink and village it serves.

    0 when the poller concluded the uplink itself is down (its cameras are ``uplink_down``), 1 otherwise;
    left out while every camera behind it is still unknown.
    """
    groups: dict[tuple[str, str, str], list[Status]] = defaultdict(list)
    for camera_id, target in targets.items():
        state = states.get(camera_id)
        groups[(target.uplink, target.town, target.village)].append(
            state.status if state is not None else Status.UNKNOWN
        )
    fam = gauge(
        "camfleet_uplink_up",
        "0 when the network uplink serving the village is down, else 1.",
        "uplink",
        "town",
        "village",
    )
    for key in sorted(groups):
        statuses = groups[key]
        if all(s is Status.UNKNOWN for s in statuses):
            continue
        fam.add(key, 0.0 if Status.UPLINK_DOWN in statuses else 1.0)
    return [fam]
