"""Build progress: points installed and accepted per month against the plan of each programme.

The plan of a programme is all its non-retired points. A point counts in the month of its ``installed_on``
and of its ``accepted_on`` date (local calendar months); a point installed or accepted without a date is
counted in ``undated`` so the totals still add up.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from camfleet.config.display import display_zone
from camfleet.model import PointRecord, PointStatus


@dataclass(frozen=True, slots=True)
class ProgressMonth:
    """One month: points installed/accepted in it, the running totals, and the plan."""

    month: str  # YYYY-MM
    installed: int
    accepted: int
    installed_total: int
    accepted_total: int
    plan: int


@dataclass(frozen=True, slots=True)
class Progress:
    """One programme's build progress month by month."""

    program: str
    plan: int
    months: list[ProgressMonth] = field(default_factory=list)
    installed_undated: int = 0
    accepted_undated: int = 0


def _month(text: str) -> str | None:
    """``YYYY-MM`` of an ISO date, or None when empty or not a date (a bad date is treated as undated)."""
    try:
        day = date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
    return f"{day.year:04d}-{day.month:02d}"


def _months_between(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out: list[str] = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def build_progress(points: Sequence[PointRecord], program: str, now: float) -> Progress:
    """Month-by-month installed and accepted counts for the points of ``program``."""
    planned = [p for p in points if p.program == program and p.status is not PointStatus.RETIRED]
    installed: Counter[str] = Counter()
    accepted: Counter[str] = Counter()
    undated_installed = undated_accepted = 0
    for point in planned:
        is_installed = point.status in (PointStatus.INSTALLED, PointStatus.ACCEPTED)
        m_inst = _month(point.installed_on) if point.installed_on else None
        if m_inst is not None:
            installed[m_inst] += 1
        elif is_installed:
            undated_installed += 1
        m_acc = _month(point.accepted_on) if point.accepted_on else None
        if m_acc is not None:
            accepted[m_acc] += 1
        elif point.status is PointStatus.ACCEPTED:
            undated_accepted += 1
    dated = set(installed) | set(accepted)
    if not dated:
        return Progress(program, len(planned), [], undated_installed, undated_accepted)
    now_month = datetime.fromtimestamp(now, display_zone()).strftime("%Y-%m")
    months: list[ProgressMonth] = []
    inst_total, acc_total = undated_installed, undated_accepted
    for month in _months_between(min(dated), max(max(dated), now_month)):
        inst_total += installed[month]
        acc_total += accepted[month]
        months.append(ProgressMonth(month, installed[month], accepted[month], inst_total, acc_total, len(planned)))
    return Progress(program, len(planned), months, undated_installed, undated_accepted)
