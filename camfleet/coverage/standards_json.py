"""The ``standards`` key of the JSON report (present only when standards are configured)."""

from __future__ import annotations

from typing import Any

from camfleet.coverage.fmt import iso, rate
from camfleet.coverage.standards import Lack
from camfleet.coverage.standards_report import StandardResult, Todo, TownStanding, VillageStanding

JSON = dict[str, Any]


def lack_json(lack: Lack) -> JSON:
    """``{"lack": "unplanned"|"not_built"|"broken"|"unknown"|"working_rate"|…, "site_type", …}``."""
    out: JSON = {"lack": lack.what, "site_type": lack.site_type or None}
    if lack.minimum is not None:
        out |= {"value": rate(lack.value), "min": lack.minimum}
    return out


def village_json(v: VillageStanding) -> JSON:
    """One village: met (true/false/null), its matrix cells, rates and lacks."""
    return {
        "village": v.village,
        "met": v.met,
        "cells": {t or "*": cell for t, cell in v.now.cells.items()},
        "working_rate": rate(v.now.working_rate),
        "availability": rate(v.availability.availability),
        "lacks": [lack_json(lack) for lack in v.lacks],
    }


def todo_json(t: Todo) -> JSON:
    """One item of the to-do list."""
    return {
        "rank": t.rank,
        "action": t.action,
        "village": t.village,
        "site_type": t.site_type or None,
        "point_id": t.point_id or None,
        "camera_id": t.camera_id or None,
        "status": t.status or None,
        "since": iso(t.since) if t.camera_id else None,
    }


def town_json(t: TownStanding) -> JSON:
    """A town under one standard: met since when, its villages, those short of it, the to-do list."""
    return {
        "town": t.town,
        "met": t.met,
        "since": iso(t.since),
        "since_known": t.since_known,
        "villages": len(t.villages),
        "villages_met": sum(v.met is True for v in t.villages),
        "villages_unknown": sum(v.met is None for v in t.villages),
        "short": [village_json(v) for v in t.short],
        "matrix": [
            {"village": v.village, "met": v.met, "cells": {k or "*": c for k, c in v.now.cells.items()}}
            for v in t.villages
        ],
        "todo": [todo_json(item) for item in t.todo],
    }


def standards_json(results: list[StandardResult]) -> list[JSON]:
    """Every standard: its definition, the share of villages meeting it, and per town."""
    out = []
    for r in results:
        std = r.standard
        villages = r.villages
        met = sum(v.met is True for v in villages)
        out.append(
            {
                "name": std.name,
                "towns_configured": list(std.towns),
                "require_site_types": list(std.require_site_types),
                "min_working_rate": std.min_working_rate,
                "min_availability": std.min_availability,
                "site_types": [t or "*" for t in r.columns],
                "unknown_towns": list(r.unknown_towns),
                "villages": len(villages),
                "villages_met": met,
                "met_rate": rate(met / len(villages)) if villages else None,
                "towns": [town_json(t) for t in r.towns],
            }
        )
    return out
