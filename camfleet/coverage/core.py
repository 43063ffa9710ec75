"""The coverage rule, the programme's promise in code.

A point is covered when at least one of its cameras is online with an ok picture. A village meets
"一村一探头" when at least one of its points is covered. Unknown (not checked yet) is its own state, never
counted as covered: ``None`` below. Retired points count for nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from camfleet.model import CameraRecord, CameraState, PointRecord, PointStatus, Status

VillageKey = tuple[str, str]  # (town, village)


def point_covered(cameras: Iterable[CameraRecord], states: Mapping[str, CameraState]) -> bool | None:
    """True if a camera works; None if none works but one is not checked yet; False otherwise."""
    unknown = False
    for cam in cameras:
        state = states.get(cam.camera_id)
        status = state.status if state is not None else Status.UNKNOWN
        if status is Status.OK:
            return True
        if status is Status.UNKNOWN:
            unknown = True
    return None if unknown else False


def combine(values: Iterable[bool | None]) -> bool | None:
    """Any True wins; else None if any is unknown; else False (also for nothing at all)."""
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


def cameras_by_point(cameras: Iterable[CameraRecord]) -> dict[str, list[CameraRecord]]:
    """Cameras grouped by their point id."""
    grouped: dict[str, list[CameraRecord]] = defaultdict(list)
    for cam in cameras:
        grouped[cam.point_id].append(cam)
    return grouped


def points_covered(
    points: Iterable[PointRecord], cameras: Iterable[CameraRecord], states: Mapping[str, CameraState]
) -> dict[str, bool | None]:
    """Coverage of every non-retired point, by point id."""
    grouped = cameras_by_point(cameras)
    return {
        p.point_id: point_covered(grouped.get(p.point_id, ()), states)
        for p in points
        if p.status is not PointStatus.RETIRED
    }


def villages_covered(
    points: Iterable[PointRecord],
    cameras: Iterable[CameraRecord],
    states: Mapping[str, CameraState],
    program: str | None = None,
) -> dict[VillageKey, bool | None]:
    """Coverage of every village that has a point (optionally only points of one ``program``)."""
    point_list = [p for p in points if program is None or p.program == program]
    per_point = points_covered(point_list, cameras, states)
    per_village: dict[VillageKey, list[bool | None]] = defaultdict(list)
    for p in point_list:
        key = (p.town, p.village)
        per_village.setdefault(key, [])
        if p.point_id in per_point:
            per_village[key].append(per_point[p.point_id])
    return {key: combine(values) for key, values in per_village.items()}
