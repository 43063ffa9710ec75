"""Coverage standards: the rule a village and a town are judged by, now (no history needed).

A standard (``[[coverage.standard]]``) names the site types (部位类型) every village of its towns must have
covered, and a minimum 完好率. For each required site type a village's *cell* is one of:

* ``working``: a point of that type is covered (a camera ``ok``);
* ``unknown``: none is covered and a camera there was never checked (never counted as met);
* ``broken``: points of that type have cameras, all known not working;
* ``not_built``: points of that type are planned but carry no camera;
* ``unplanned``: no (non-retired) point of that type at all.

Only ``working`` meets the requirement. With no required site type the one requirement is "any point"
(today's 一村一探头 rule). The working-rate condition is three-valued too: met when the cameras ``ok``
reach the minimum, not met when even the unchecked ones could not lift it there, else unknown. A village
meets the standard when every condition is met; any condition not met makes it not met; otherwise it is
unknown. A town meets it when every village does, with the same three values. ``standards_history`` adds
the availability condition and "since when"; ``standards_todo`` the list of what to build or repair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from camfleet.config.coverage import StandardConfig
from camfleet.coverage.core import cameras_by_point, point_covered
from camfleet.model import CameraRecord, CameraState, PointRecord, PointStatus, Status

Verdict = bool | None
#: The pseudo site type of a standard that requires no particular one: any point (一村一探头).
ANY = ""
WORKING, UNKNOWN, BROKEN, NOT_BUILT, UNPLANNED = "working", "unknown", "broken", "not_built", "unplanned"
CELL_ZH = {WORKING: "完好", UNKNOWN: "未检测", BROKEN: "故障", NOT_BUILT: "未建设", UNPLANNED: "未规划"}
#: Lacks that are not a site type's cell.
WORKING_RATE, WORKING_RATE_UNKNOWN, AVAILABILITY = "working_rate", "working_rate_unknown", "availability"
LACK_ZH = CELL_ZH | {WORKING_RATE: "完好率不足", WORKING_RATE_UNKNOWN: "完好率未知", AVAILABILITY: "可用率不足"}
EPSILON = 1e-9  # rates are compared as counts: ok >= min * cameras, without float noise


def all_of(values: Iterable[Verdict]) -> Verdict:
    """Three-valued AND: any False wins; else None if any is unknown; else True (also for nothing)."""
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def lack_words(lack: Lack) -> str:
    """A lack in Chinese for CSV, tables and pages: 村口未规划, 完好率不足 90.5% < 95.0%."""
    if lack.minimum is None:
        return f"{lack.site_type or '任一点位'}{LACK_ZH[lack.what]}"
    value = "—" if lack.value is None else f"{lack.value * 100:.1f}%"
    return f"{LACK_ZH[lack.what]} {value} < {lack.minimum * 100:.1f}%"


def site_label(site_type: str) -> str:
    """How a required site type is shown: its name, or 任一点位 for "any point"."""
    return site_type or "任一点位 any point"


def required_types(std: StandardConfig) -> tuple[str, ...]:
    """The standard's required site types, or the one pseudo type ``ANY``."""
    return tuple(std.require_site_types) or (ANY,)


def rate_verdict(ok: int, unknown: int, cameras: int, minimum: float | None) -> Verdict:
    """Is the working rate at least ``minimum``? None when the unchecked cameras decide it."""
    if minimum is None:
        return True
    if cameras == 0:
        return False  # no camera: no 完好率 to speak of, and nothing works
    if ok >= minimum * cameras - EPSILON:
        return True
    if ok + unknown < minimum * cameras - EPSILON:
        return False
    return None


@dataclass(frozen=True, slots=True)
class Lack:
    """One thing a village lacks: a site type's cell (``unplanned`` …), or a rate below its minimum."""

    what: str
    site_type: str = ""
    value: float | None = None  # the working rate or availability, for those lacks
    minimum: float | None = None


@dataclass(frozen=True, slots=True)
class VillageNow:
    """A village judged now, before the availability condition: its cells, its rate, its verdict."""

    town: str
    village: str
    cells: dict[str, str]  # site type (or ANY) -> cell state, for the required types and every configured one
    met: Verdict
    cameras: int
    cameras_ok: int
    cameras_unknown: int
    lacks: tuple[Lack, ...]

    @property
    def working_rate(self) -> float | None:
        """完好率 of the village's cameras (None without a camera or with none checked)."""
        if not self.cameras or self.cameras_unknown == self.cameras:
            return None
        return self.cameras_ok / self.cameras


@dataclass(frozen=True, slots=True)
class Facts:
    """What judging needs, computed once per report: cameras per point, statuses, each point's coverage."""

    cameras_at: Mapping[str, Sequence[CameraRecord]]
    status_of: Mapping[str, Status]
    point_cover: Mapping[str, Verdict]

    @classmethod
    def of(
        cls, points: Iterable[PointRecord], cameras: Iterable[CameraRecord], states: Mapping[str, CameraState]
    ) -> Facts:
        """Facts for the non-retired ``points``."""
        cams_at = cameras_by_point(cameras)
        return cls(
            cams_at,
            {cid: s.status for cid, s in states.items()},
            {
                p.point_id: point_covered(cams_at.get(p.point_id, ()), states)
                for p in points
                if p.status is not PointStatus.RETIRED
            },
        )


def cell_of(points: Sequence[PointRecord], facts: Facts) -> str:
    """The cell of one site type in one village, from its points of that type (see the module's list)."""
    if not points:
        return UNPLANNED
    covers = [facts.point_cover.get(p.point_id, False) for p in points]
    if True in covers:
        return WORKING
    if None in covers:
        return UNKNOWN
    if any(facts.cameras_at.get(p.point_id) for p in points):
        return BROKEN
    return NOT_BUILT


def points_of_type(members: Sequence[PointRecord], site_type: str) -> list[PointRecord]:
    """The village's points of ``site_type`` (every point for ``ANY``)."""
    return list(members) if site_type == ANY else [p for p in members if p.site_type == site_type]


def judge_village(
    std: StandardConfig, members: Sequence[PointRecord], facts: Facts, site_types: Sequence[str] = ()
) -> VillageNow:
    """Judge one village's non-retired ``members`` now. ``site_types``: extra columns for the matrix."""
    required = required_types(std)
    cells = {t: cell_of(points_of_type(members, t), facts) for t in dict.fromkeys((*required, *site_types))}
    statuses = [
        facts.status_of.get(c.camera_id, Status.UNKNOWN) for p in members for c in facts.cameras_at.get(p.point_id, ())
    ]
    ok = sum(s.is_working for s in statuses)
    unknown = sum(s is Status.UNKNOWN for s in statuses)
    rate = rate_verdict(ok, unknown, len(statuses), std.min_working_rate)
    lacks = [Lack(cells[t], t) for t in required if cells[t] != WORKING]
    if rate is not True:
        value = ok / len(statuses) if statuses and unknown < len(statuses) else None
        lacks.append(Lack(WORKING_RATE if rate is False else WORKING_RATE_UNKNOWN, "", value, std.min_working_rate))
    met = all_of([*(True if cells[t] == WORKING else None if cells[t] == UNKNOWN else False for t in required), rate])
    town, village = members[0].town, members[0].village
    return VillageNow(town, village, cells, met, len(statuses), ok, unknown, tuple(lacks))


def applies_to(std: StandardConfig, town: str) -> bool:
    """Whether the standard judges ``town`` (no towns listed: every town)."""
    return not std.towns or town in std.towns


def villages_of(points: Iterable[PointRecord]) -> dict[tuple[str, str], list[PointRecord]]:
    """Non-retired points grouped by (town, village), sorted by key."""
    grouped: dict[tuple[str, str], list[PointRecord]] = defaultdict(list)
    for p in points:
        if p.status is not PointStatus.RETIRED:
            grouped[(p.town, p.village)].append(p)
    return dict(sorted(grouped.items()))


def judge_now(
    standards: Sequence[StandardConfig],
    points: Sequence[PointRecord],
    cameras: Sequence[CameraRecord],
    states: Mapping[str, CameraState],
) -> dict[str, dict[str, tuple[Verdict, list[VillageNow]]]]:
    """Every standard's verdict now, by standard name and town: (town verdict, its villages). No history:
    the availability condition is left out (the metrics layer's view; the report adds it)."""
    facts = Facts.of(points, cameras, states)
    grouped = villages_of(points)
    out: dict[str, dict[str, tuple[Verdict, list[VillageNow]]]] = {}
    for std in standards:
        towns: dict[str, list[VillageNow]] = defaultdict(list)
        for (town, _village), members in grouped.items():
            if applies_to(std, town):
                towns[town].append(judge_village(std, members, facts))
        out[std.name] = {town: (all_of(v.met for v in vs), vs) for town, vs in towns.items()}
    return out
