"""``report_to_json``: the report as one JSON-ready dict (the shape scripts rely on, see docs/coverage.md).

Rates are fractions 0..1 rounded to 4 decimals (null when undefined); times are ISO 8601 with the district's
offset; durations are seconds.
"""

from __future__ import annotations

from typing import Any

from camfleet.coverage.fmt import iso, rate
from camfleet.coverage.history import Availability, Offender
from camfleet.coverage.kpi import Kpis
from camfleet.coverage.report import AreaSummary, CoverageReport, OutageRow, PointRow, VillageRow
from camfleet.maintenance import window_json

JSON = dict[str, Any]


def kpis_json(k: Kpis) -> JSON:
    """Counts and rates of one area and programme."""
    return {
        "coverage_rate": rate(k.coverage_rate),
        "point_coverage_rate": rate(k.point_coverage_rate),
        "online_rate": rate(k.online_rate),
        "working_rate": rate(k.working_rate),
        "villages": k.villages,
        "villages_covered": k.villages_covered,
        "villages_unknown": k.villages_unknown,
        "points_planned": k.points_planned,
        "points_installed": k.points_installed,
        "points_accepted": k.points_accepted,
        "points_covered": k.points_covered,
        "points_unknown": k.points_unknown,
        "cameras": k.cameras,
        "cameras_up": k.cameras_up,
        "cameras_ok": k.cameras_ok,
        "cameras_unknown": k.cameras_unknown,
        "unreviewed_cameras": k.cameras_unreviewed,
        "provisional_cameras": k.cameras_provisional,
        "cameras_by_status": dict(k.cameras_by_status),
    }


def availability_json(a: Availability) -> JSON:
    """Share of the window covered and unknown, with the seconds behind them."""
    return {
        "availability": rate(a.availability),
        "unknown_fraction": rate(a.unknown_fraction),
        "covered_s": round(a.covered_s, 1),
        "uncovered_s": round(a.uncovered_s, 1),
        "unknown_s": round(a.unknown_s, 1),
    }


def area_json(a: AreaSummary) -> JSON:
    """The district or a town: KPIs at top level, per programme under ``by_program``."""
    return {
        "name": a.name,
        **kpis_json(a.kpis),
        **availability_json(a.availability),
        "mttr_s": None if a.mttr_s is None else round(a.mttr_s, 1),
        "outages": a.outages,
        "by_program": {name: kpis_json(k) for name, k in a.by_program.items()},
    }


def village_json(v: VillageRow) -> JSON:
    """One village; ``covered`` is true, false or null (unknown)."""
    return {
        "town": v.town,
        "village": v.village,
        "covered": v.covered,
        "programs": list(v.programs),
        **kpis_json(v.kpis),
        **availability_json(v.availability),
    }


def point_json(p: PointRow) -> JSON:
    """One planned point with its cameras' current statuses."""
    return {
        "point_id": p.point_id,
        "town": p.town,
        "village": p.village,
        "point_name": p.point_name,
        "program": p.program,
        "status": p.status,
        "lat": p.lat,
        "lon": p.lon,
        "covered": p.covered,
        "cameras": [
            {"camera_id": c.camera_id, "status": c.status, "reason": c.reason, "since": iso(c.since)} for c in p.cameras
        ],
        **availability_json(p.availability),
    }


def _outage_json(row: OutageRow, window_end: float) -> JSON:
    o = row.outage
    return {
        "camera_id": o.camera_id,
        "point_id": row.point_id,
        "town": row.town,
        "village": row.village,
        "status": o.status.value,
        "start": iso(o.start),
        "start_known": o.start_known,
        "end": iso(o.end),
        "duration_s": round(o.duration_s(window_end), 1),
        "in_window_s": round(o.in_window_s, 1),
    }


def _offender_json(o: Offender) -> JSON:
    return {"camera_id": o.camera_id, "outage_s": round(o.outage_s, 1), "outages": o.outages}


def report_to_json(report: CoverageReport) -> JSON:
    """The whole report; ``json.dumps(report_to_json(r), ensure_ascii=False)`` is the CLI's output. The
    ``standards`` key is there only when standards are configured (otherwise the output is as before)."""
    w = report.window
    out = {
        "generated_at": iso(report.generated_at),
        "window": {"label": w.label, "start": iso(w.start), "end": iso(w.end), "seconds": round(w.seconds, 1)},
        "scope": {"town": report.town, "program": report.program},
        "programs": list(report.programs),
        "district": area_json(report.district),
        "towns": [area_json(t) for t in report.towns],
        "villages": [village_json(v) for v in report.villages],
        "points": [point_json(p) for p in report.points],
        "uncovered_villages": [village_json(v) for v in report.uncovered_villages],
        "unknown_villages": [village_json(v) for v in report.unknown_villages],
        "repairs": [
            {
                "camera_id": r.camera_id,
                "point_id": r.point_id,
                "town": r.town,
                "village": r.village,
                "point_name": r.point_name,
                "status": r.status,
                "reason": r.reason,
                "detail": r.detail,
                "since": iso(r.since),
                "has_thumbnail": r.thumbnail is not None,
                "maintenance_window": r.maintenance.id if r.maintenance is not None else None,
            }
            for r in report.repairs
        ],
        "maintenance": [window_json(m, report.generated_at) for m in report.maintenance],
        "held_villages": [{"town": t, "village": v} for t, v in sorted(report.held_villages)],
        "longest_outages": [_outage_json(o, w.end) for o in report.longest_outages],
        "offenders": {
            "by_outage_time": [_offender_json(o) for o in report.offenders_by_time],
            "by_outages": [_offender_json(o) for o in report.offenders_by_count],
        },
        "trend": [
            {"day": d.day, "availability": rate(d.availability), "unknown_fraction": rate(d.unknown_fraction)}
            for d in report.trend
        ],
        "progress": [
            {
                "program": p.program,
                "plan": p.plan,
                "installed_undated": p.installed_undated,
                "accepted_undated": p.accepted_undated,
                "months": [
                    {
                        "month": m.month,
                        "installed": m.installed,
                        "accepted": m.accepted,
                        "installed_total": m.installed_total,
                        "accepted_total": m.accepted_total,
                        "plan": m.plan,
                    }
                    for m in p.months
                ],
            }
            for p in report.progress
        ],
    }
    if report.standards:
        from camfleet.coverage.standards_json import standards_json

        out["standards"] = standards_json(report.standards)
    return out
