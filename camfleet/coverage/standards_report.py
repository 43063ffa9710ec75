"""The standards section of the coverage report: per standard and town, met or not since when, the villages
short of it with what each lacks, and a ranked list of what to build or repair to close the gap.

The to-do list, per village short of the standard:

* a required site type ``unplanned``: build (plan) a new point of that type;
* ``not_built``: build the first planned point of that type (by point id);
* ``broken``: repair one camera of that type, the longest broken first;
* a working rate under the minimum, or undecided: repair as many more known-broken cameras as reaching the
  minimum needs without counting on the unchecked ones, the longest broken first (those already listed count);
* an ``unknown`` cell: check (确认) the first never-checked camera of that type: if it works, the cell is met;
* a working rate that repairing every known-broken camera still leaves short or undecided: check as many
  never-checked cameras as the minimum still needs (those already listed count).

A short availability gets no item: it is no work for anyone (only time mends it, and a repair it waits on is
already listed); the village stays among those short of the standard with its 可用率不足. Items are ranked by
how many repairs and builds the village needs in all (the villages closest to the standard first), repairs
before builds, then by village and the standard's site-type order; checks come after every repair and build
(a check is no crew's work, and the poller usually settles it at its next sweep), by village and site type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from camfleet.config.coverage import StandardConfig
from camfleet.coverage.history import Availability, availability_of
from camfleet.coverage.standards import (
    AVAILABILITY,
    BROKEN,
    EPSILON,
    NOT_BUILT,
    UNKNOWN,
    UNPLANNED,
    Facts,
    Lack,
    Verdict,
    VillageNow,
    all_of,
    applies_to,
    judge_village,
    points_of_type,
    required_types,
)
from camfleet.coverage.standards_history import town_timeline, village_timeline
from camfleet.coverage.timeline import Timeline
from camfleet.coverage.window import Window
from camfleet.model import CameraState, PointRecord, Status

BUILD, REPAIR, CHECK = "build", "repair", "check"
#: How each action is shown in the table and on the page.
ACTION_ZH = {BUILD: "建设 build", REPAIR: "维修 repair", CHECK: "确认 check"}


@dataclass(frozen=True, slots=True)
class Todo:
    """One thing to build, repair or check. ``point_id`` empty: a new point; ``camera_id`` empty: a build."""

    rank: int
    action: str
    town: str
    village: str
    site_type: str  # the required type it serves; empty for a repair that only lifts the working rate
    point_id: str = ""
    camera_id: str = ""
    status: str = ""
    since: float = 0.0


@dataclass(frozen=True, slots=True)
class VillageStanding:
    """A village judged by one standard: now, over the window, and what it lacks."""

    now: VillageNow
    met: Verdict
    availability: Availability
    lacks: tuple[Lack, ...]

    @property
    def village(self) -> str:
        """The village's name."""
        return self.now.village


@dataclass(slots=True)
class TownStanding:
    """A town judged by one standard. ``since``: when its current verdict began (None when not known from
    the history, ``since_known`` False when it held all window: "or earlier")."""

    town: str
    met: Verdict
    since: float | None
    since_known: bool
    villages: list[VillageStanding] = field(default_factory=list)
    todo: list[Todo] = field(default_factory=list)

    @property
    def short(self) -> list[VillageStanding]:
        """The villages not (known to be) meeting the standard."""
        return [v for v in self.villages if v.met is not True]


@dataclass(slots=True)
class StandardResult:
    """One standard over the report's scope."""

    standard: StandardConfig
    columns: tuple[str, ...]  # the matrix's site types: the required ones, then the other configured ones
    towns: list[TownStanding] = field(default_factory=list)
    unknown_towns: tuple[str, ...] = ()  # towns the standard names that the inventory does not have

    @property
    def villages(self) -> list[VillageStanding]:
        """Every village judged, town by town."""
        return [v for t in self.towns for v in t.villages]


@dataclass(frozen=True, slots=True)
class History:
    """The timelines the report already built: per point and per camera (True working, None unknown)."""

    window: Window
    point_tl: Mapping[str, Timeline[Verdict]]
    camera_tl: Mapping[str, Timeline[Verdict]]


def _availability_lack(std: StandardConfig, av: Availability) -> tuple[Verdict, Lack | None]:
    if std.min_availability is None:
        return True, None
    value = av.availability
    if value is None:
        return None, Lack(AVAILABILITY, "", None, std.min_availability)
    if value >= std.min_availability - EPSILON:
        return True, None
    return False, Lack(AVAILABILITY, "", value, std.min_availability)


def _todo_for(
    std: StandardConfig,
    now: VillageNow,
    members: Sequence[PointRecord],
    facts: Facts,
    states: Mapping[str, CameraState],
) -> list[Todo]:
    """What would bring the village to the standard (unranked), following the module's rules."""
    items: list[Todo] = []

    def broken(points: Sequence[PointRecord]) -> list[tuple[float, str, str, str]]:
        out = []
        for p in points:
            for cam in facts.cameras_at.get(p.point_id, ()):
                status = facts.status_of.get(cam.camera_id, Status.UNKNOWN)
                if status is not Status.UNKNOWN and not status.is_working:
                    state = states.get(cam.camera_id)
                    out.append((state.since if state else 0.0, cam.camera_id, p.point_id, status.value))
        return sorted(out)

    def unchecked(points: Sequence[PointRecord]) -> list[tuple[str, str]]:
        return sorted(
            (cam.camera_id, p.point_id)
            for p in points
            for cam in facts.cameras_at.get(p.point_id, ())
            if facts.status_of.get(cam.camera_id, Status.UNKNOWN) is Status.UNKNOWN
        )

    def check(site_type: str, cam: str, point: str) -> Todo:
        state = states.get(cam)
        since = state.since if state else 0.0
        return Todo(0, CHECK, now.town, now.village, site_type, point, cam, Status.UNKNOWN.value, since)

    chosen: set[str] = set()
    checked: set[str] = set()
    for site_type in required_types(std):
        cell = now.cells[site_type]
        of_type = points_of_type(members, site_type)
        if cell == UNPLANNED:
            items.append(Todo(0, BUILD, now.town, now.village, site_type))
        elif cell == NOT_BUILT:
            first = min(p.point_id for p in of_type)
            items.append(Todo(0, BUILD, now.town, now.village, site_type, point_id=first))
        elif cell == BROKEN:
            since, cam, point, status = broken(of_type)[0]
            chosen.add(cam)
            items.append(Todo(0, REPAIR, now.town, now.village, site_type, point, cam, status, since))
        elif cell == UNKNOWN:
            cam, point = unchecked(of_type)[0]
            checked.add(cam)
            items.append(check(site_type, cam, point))
    if std.min_working_rate is not None and now.cameras:
        needed = math.ceil(std.min_working_rate * now.cameras - EPSILON) - now.cameras_ok - len(chosen)
        for since, cam, point, status in broken(members):
            if needed <= 0:
                break
            if cam not in chosen:
                items.append(Todo(0, REPAIR, now.town, now.village, "", point, cam, status, since))
                needed -= 1
        needed -= len(checked)  # with every known-broken camera repaired, only unchecked ones can still lift it
        for cam, point in unchecked(members):
            if needed <= 0:
                break
            if cam not in checked:
                items.append(check("", cam, point))
                needed -= 1
    return items


def _rank(std: StandardConfig, items: list[Todo]) -> list[Todo]:
    work: dict[str, int] = {}  # repairs and builds per village: how far it is from the standard
    for item in items:
        work[item.village] = work.get(item.village, 0) + (item.action != CHECK)
    order = {t: i for i, t in enumerate(required_types(std))}
    items.sort(
        key=lambda t: (
            t.action == CHECK,
            0 if t.action == CHECK else work[t.village],
            t.action != REPAIR,
            t.village,
            order.get(t.site_type, len(order)),
            t.camera_id,
        )
    )
    return [replace(t, rank=i + 1) for i, t in enumerate(items)]


def judge_standards(
    standards: Sequence[StandardConfig],
    site_types: Sequence[str],
    villages: Mapping[tuple[str, str], Sequence[PointRecord]],
    all_towns: Sequence[str],
    facts: Facts,
    states: Mapping[str, CameraState],
    history: History,
) -> list[StandardResult]:
    """Every standard over ``villages`` (the report's scope, non-retired points grouped by town and village)."""
    start = history.window.start
    results = []
    for std in standards:
        required = required_types(std)
        columns = tuple(dict.fromkeys((*required, *site_types)))
        result = StandardResult(std, columns, unknown_towns=tuple(t for t in std.towns if t not in all_towns))
        by_town: dict[str, list[tuple[VillageStanding, Timeline[Verdict], list[Todo]]]] = {}
        for (town, _village), members in villages.items():
            if not applies_to(std, town):
                continue
            now = judge_village(std, members, facts, site_types)
            cams = [history.camera_tl[c.camera_id] for p in members for c in facts.cameras_at.get(p.point_id, ())]
            tl = village_timeline(required, members, history.point_tl, cams, std.min_working_rate, start)
            av = availability_of(tl, history.window)
            av_met, av_lack = _availability_lack(std, av)
            met = all_of([now.met, av_met])
            lacks = now.lacks + ((av_lack,) if av_lack else ())
            todo = _todo_for(std, now, members, facts, states) if met is not True else []
            by_town.setdefault(town, []).append((VillageStanding(now, met, av, lacks), tl, todo))
        for town, rows in by_town.items():
            town_met = all_of(v.met for v, _, _ in rows)
            ttl = town_timeline([tl for _, tl, _ in rows], start)
            instant_now = all_of(v.now.met for v, _, _ in rows)
            since: float | None = None
            # The timeline says since when only when it ends in the verdict shown now and the verdict is not
            # decided by availability alone (a window condition, with no start of its own).
            if ttl[-1][1] == town_met and instant_now == town_met:
                since = ttl[-1][0]
            standing = TownStanding(town, town_met, since, since is not None and since > start)
            standing.villages = [v for v, _, _ in rows]
            standing.todo = _rank(std, [item for _, _, items in rows for item in items])
            result.towns.append(standing)
        results.append(result)
    return results


__all__ = [
    "ACTION_ZH",
    "BROKEN",
    "BUILD",
    "CHECK",
    "REPAIR",
    "History",
    "StandardResult",
    "Todo",
    "TownStanding",
    "VillageStanding",
]
