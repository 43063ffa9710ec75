"""``build_report``: inventory + states + transition history → a ``CoverageReport``. Pure: no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import tzinfo

from camfleet.config.coverage import StandardConfig
from camfleet.coverage.core import cameras_by_point, point_covered
from camfleet.coverage.history import (
    Availability,
    Outage,
    availability_of,
    daily_trend,
    mean_time_to_repair,
    outages_of,
    rank_offenders,
    total,
)
from camfleet.coverage.kpi import Kpis, Snapshot, kpis_by_program, kpis_for
from camfleet.coverage.progress import build_progress
from camfleet.coverage.report import (
    ALL,
    KNOWN_PROGRAMS,
    AreaSummary,
    CameraRow,
    CoverageReport,
    OutageRow,
    PointRow,
    RepairItem,
    UnknownAreaError,
    VillageRow,
)
from camfleet.coverage.standards import Facts
from camfleet.coverage.standards_report import History, judge_standards
from camfleet.coverage.timeline import Cover, Timeline, camera_timeline, combine_timelines, cover_of, map_timeline
from camfleet.coverage.window import Window, day_bounds
from camfleet.maintenance import MaintenanceWindow, Scope, held, holding
from camfleet.model import (
    DEFAULT_SITE_TYPES,
    CameraRecord,
    CameraState,
    PointRecord,
    PointStatus,
    Reason,
    Status,
    Transition,
)

States = Mapping[str, CameraState] | Iterable[CameraState]


def _programs(points: Iterable[PointRecord]) -> tuple[str, ...]:
    found = {p.program for p in points if p.program}
    return tuple(p for p in KNOWN_PROGRAMS if p in found) + tuple(sorted(found - set(KNOWN_PROGRAMS)))


def _scope(
    points: Sequence[PointRecord], town: str | None, program: str | None
) -> tuple[list[PointRecord], tuple[str, ...], tuple[str, ...]]:
    """The planned points selected by the filters, the known towns and programmes; unknown names fail."""
    planned = [p for p in points if p.status is not PointStatus.RETIRED]
    towns = tuple(sorted({p.town for p in planned}))
    programs = _programs(planned)
    if town is not None and town not in towns:
        raise UnknownAreaError(f"unknown town {town!r}; known towns: {', '.join(towns) or '(none)'}")
    if program is not None and program not in programs:
        raise UnknownAreaError(f"unknown program {program!r}; known programs: {', '.join(programs) or '(none)'}")
    chosen = [p for p in planned if (town is None or p.town == town) and (program is None or p.program == program)]
    return chosen, towns, (program,) if program is not None else programs


def _by_camera(transitions: Iterable[Transition], wanted: set[str]) -> dict[str, list[Transition]]:
    grouped: dict[str, list[Transition]] = defaultdict(list)
    for tr in transitions:
        if tr.camera_id in wanted:
            grouped[tr.camera_id].append(tr)
    for items in grouped.values():
        items.sort(key=lambda tr: tr.at)  # stable: same-instant transitions keep their stored order
    return grouped


def _area(
    name: str,
    points: Sequence[PointRecord],
    snap: Snapshot,
    programs: Sequence[str],
    villages: Sequence[Availability],
    outages: Sequence[Outage],
) -> AreaSummary:
    everything = kpis_for(points, snap)
    return AreaSummary(
        name=name,
        kpis=everything,
        by_program={ALL: everything, **kpis_by_program(points, snap, programs)},
        availability=total(villages),
        mttr_s=mean_time_to_repair(outages),
        outages=len(outages),
    )


def build_report(
    points: Sequence[PointRecord],
    cameras: Sequence[CameraRecord],
    states: States,
    transitions: Iterable[Transition],
    *,
    now: float,
    window: Window,
    town: str | None = None,
    program: str | None = None,
    thumbnails: Mapping[str, bytes] | None = None,
    doubtful: Collection[str] = (),
    provisional: Collection[str] = (),
    top: int = 20,
    tz: tzinfo | None = None,
    standards: Sequence[StandardConfig] = (),
    site_types: Sequence[str] = DEFAULT_SITE_TYPES,
    maintenance: Sequence[MaintenanceWindow] = (),
) -> CoverageReport:
    """Build the coverage report for the planned points (of ``town`` / ``program`` when given).

    ``states`` is the current state of each camera (a mapping by camera id, or the states themselves);
    ``transitions`` the history from at least the window's start (earlier ones sharpen outage starts).
    ``thumbnails`` maps a camera id to an evidence picture (JPEG or PNG bytes) for the repair list.
    ``doubtful`` names the cameras whose baseline is doubtful (first pictures doubtful, no person approved):
    with the cameras whose status reason is ``needs_review`` they are counted as ``cameras_unreviewed``.
    ``provisional`` names the cameras whose baseline is provisional; the ``ok`` ones are ``cameras_provisional``.
    ``standards`` are judged over the same scope and window (``site_types`` orders their matrix's columns).
    ``maintenance``: stored windows; those active at ``now`` are listed and named beside the cameras they cover in
    the repair list. A camera under maintenance still counts as not working in every KPI.
    Raises ``UnknownAreaError`` when ``town`` or ``program`` names nothing, listing the known names.
    """
    chosen, all_towns, programs = _scope(points, town, program)
    state_map = dict(states) if isinstance(states, Mapping) else {s.camera_id: s for s in states}
    cams_at = cameras_by_point(cameras)
    snap = Snapshot(
        cameras_at=cams_at,
        status_of={cid: s.status for cid, s in state_map.items()},
        point_cover={p.point_id: point_covered(cams_at.get(p.point_id, ()), state_map) for p in chosen},
        unreviewed=unreviewed(state_map, doubtful),
        provisional=frozenset(provisional),
    )
    scope_cams = [c for p in chosen for c in cams_at.get(p.point_id, ())]
    history = _by_camera(transitions, {c.camera_id for c in scope_cams})

    # Timelines: camera → point → village, each over the whole window.
    cam_outages: dict[str, list[Outage]] = {}
    cam_cover: dict[str, Timeline[Cover]] = {}
    for cam in scope_cams:
        tl = camera_timeline(cam.camera_id, history.get(cam.camera_id, []), state_map.get(cam.camera_id), window)
        cam_cover[cam.camera_id] = map_timeline(tl.points, cover_of)
        cam_outages[cam.camera_id] = outages_of(tl, window)
    point_tl = {
        p.point_id: combine_timelines([cam_cover[c.camera_id] for c in cams_at.get(p.point_id, ())], window.start)
        for p in chosen
    }
    village_points: dict[tuple[str, str], list[PointRecord]] = defaultdict(list)
    for p in chosen:
        village_points[(p.town, p.village)].append(p)
    village_tl = {
        key: combine_timelines([point_tl[p.point_id] for p in members], window.start)
        for key, members in village_points.items()
    }

    report = CoverageReport(
        generated_at=now,
        window=window,
        town=town,
        program=program,
        programs=programs,
        district=AreaSummary("", Kpis(), {}, Availability(), None, 0),
        all_towns=all_towns,
    )
    status_of = snap.status_of
    for p in sorted(chosen, key=lambda p: (p.town, p.village, p.point_id)):
        cams = tuple(
            CameraRow(
                c.camera_id,
                status_of.get(c.camera_id, Status.UNKNOWN).value,
                state_map[c.camera_id].reason.value if c.camera_id in state_map else "",
                state_map[c.camera_id].since if c.camera_id in state_map else 0.0,
            )
            for c in cams_at.get(p.point_id, ())
        )
        report.points.append(
            PointRow(
                p.point_id,
                p.town,
                p.village,
                p.point_name,
                p.program,
                p.status.value,
                p.lat,
                p.lon,
                snap.point_cover[p.point_id],
                cams,
                availability_of(point_tl[p.point_id], window),
            )
        )
    village_av: dict[tuple[str, str], Availability] = {}
    for key in sorted(village_points):
        members = village_points[key]
        kpis = kpis_for(members, snap)
        covered = True if kpis.villages_covered else (None if kpis.villages_unknown else False)
        village_av[key] = availability_of(village_tl[key], window)
        row = VillageRow(key[0], key[1], covered, kpis, village_av[key], _programs(members))
        report.villages.append(row)
        if covered is False:
            report.uncovered_villages.append(row)
        elif covered is None:
            report.unknown_villages.append(row)

    point_of = {c.camera_id: p for p in chosen for c in cams_at.get(p.point_id, ())}
    all_outages = [o for items in cam_outages.values() for o in items]
    town_points: dict[str, list[PointRecord]] = defaultdict(list)
    for p in chosen:
        town_points[p.town].append(p)
    town_outages: dict[str, list[Outage]] = defaultdict(list)
    for o in all_outages:
        town_outages[point_of[o.camera_id].town].append(o)
    for name in sorted(town_points):
        town_av = [av for k, av in village_av.items() if k[0] == name]
        report.towns.append(_area(name, town_points[name], snap, programs, town_av, town_outages[name]))
    report.district = _area(town or "", chosen, snap, programs, list(village_av.values()), all_outages)

    longest = sorted(all_outages, key=lambda o: (-o.duration_s(window.end), o.camera_id))[:top]
    report.longest_outages = [
        OutageRow(o, point_of[o.camera_id].point_id, point_of[o.camera_id].town, point_of[o.camera_id].village)
        for o in longest
    ]
    report.offenders_by_time, report.offenders_by_count = rank_offenders(cam_outages, top)
    report.trend = daily_trend([village_tl[k] for k in sorted(village_tl)], day_bounds(window, tz), window)
    report.progress = [build_progress(chosen, name, now) for name in programs]
    report.repairs = _repairs(scope_cams, point_of, state_map, thumbnails or {})
    active = [w for w in maintenance if w.active(now)]
    if active:
        _add_maintenance(report, active, scope_cams, point_of, town is None and program is None)
    if standards:
        facts = Facts(snap.cameras_at, snap.status_of, snap.point_cover)
        history_tl = History(window, point_tl, cam_cover)
        report.standards = judge_standards(
            standards, site_types, dict(sorted(village_points.items())), all_towns, facts, state_map, history_tl
        )
    return report


def _add_maintenance(
    report: CoverageReport,
    active: Sequence[MaintenanceWindow],
    cams: Sequence[CameraRecord],
    point_of: Mapping[str, PointRecord],
    everything: bool,
) -> None:
    """List the active windows touching the scope (all of them for the whole district), name the window beside
    each camera of the repair list it covers, and note the villages held."""
    now = report.generated_at
    targets = {c.camera_id: c.target(point_of[c.camera_id]) for c in cams}
    places = {(v.town, v.village) for v in report.villages}
    here = held(active, targets, now)
    touching = [
        w for w in active
        if everything or (w.place in places if w.scope is Scope.VILLAGE else any(
            holding([w], t, now) is not None for t in targets.values()))
    ]  # fmt: skip
    report.maintenance = sorted(touching, key=lambda w: (w.until, w.id))
    report.held_villages = frozenset(here.villages)
    report.repairs = [
        replace(r, maintenance=holding(active, targets[r.camera_id], now)) if r.camera_id in here.cameras else r
        for r in report.repairs
    ]


def unreviewed(states: Mapping[str, CameraState], doubtful: Collection[str] = ()) -> frozenset[str]:
    """Cameras awaiting a person: a doubtful baseline, or a status that says a person must look."""
    return frozenset(doubtful) | {cid for cid, s in states.items() if s.reason is Reason.NEEDS_REVIEW}


def _repairs(
    cams: Sequence[CameraRecord],
    point_of: Mapping[str, PointRecord],
    states: Mapping[str, CameraState],
    thumbnails: Mapping[str, bytes],
) -> list[RepairItem]:
    """Cameras known to be not working now, the longest-broken first."""
    out: list[RepairItem] = []
    for cam in cams:
        state = states.get(cam.camera_id)
        if state is None or state.status is Status.UNKNOWN or state.status.is_working:
            continue
        point = point_of[cam.camera_id]
        out.append(
            RepairItem(
                cam.camera_id,
                point.point_id,
                point.town,
                point.village,
                point.point_name,
                state.status.value,
                state.reason.value,
                state.detail,
                state.since,
                thumbnails.get(cam.camera_id),
            )
        )
    out.sort(key=lambda r: (r.since, r.camera_id))
    return out
