"""Small formatting helpers shared by the renderers (times for people in the display zone, for machines ISO
with the district's fixed +08:00 offset)."""

from __future__ import annotations

from camfleet.config.display import DISTRICT_TZ, iso_time, shown_time
from camfleet.coverage.kpi import Kpis


def iso(ts: float | None) -> str | None:
    """ISO 8601 with the district's offset, to the second; None stays None (and 0 means never)."""
    return iso_time(ts, DISTRICT_TZ)


def local(ts: float | None) -> str:
    """``2026-11-27 18:02`` in the display zone (``[display] timezone``), or an em dash."""
    return shown_time(ts)


def pct(value: float | None, digits: int = 1) -> str:
    """``87.5%``, or an em dash when undefined."""
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def rate(value: float | None) -> float | None:
    """A rate for machines: a fraction rounded to 4 decimals."""
    return None if value is None else round(value, 4)


def duration(seconds: float | None) -> str:
    """``3 d 4 h``, ``5 h 12 min``, ``7 min``; an em dash when undefined."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"


def unreviewed_line(k: Kpis) -> str:
    """The sentence that says how many cameras wait for a person to look at their first pictures."""
    n, cameras = k.cameras_unreviewed, k.cameras
    return (
        f"待审核 unreviewed: {n} 台摄像机首批画面存疑, 尚未人工审核, 计为不完好 "
        f"({n} of {cameras} cameras have doubtful first pictures nobody has reviewed; counted as not working)"
    )


def provisional_line(k: Kpis) -> str:
    """The sentence that says how many working cameras were judged on their first pictures alone."""
    n, ok = k.cameras_provisional, k.cameras_ok
    return (
        f"待确认 provisional: {n} 台完好摄像机仅凭首批画面判定, 尚无验收照片或人工确认; "
        f"轻微虚焦、小角度偏移需确认基线后才能发现 "
        f"({n} of {ok} working cameras were judged on their first pictures alone, with no acceptance picture and "
        f"nobody's approval; mild defocus and small turns show only against an approved baseline)"
    )


def covered_word(value: bool | None) -> str:
    """是 / 否 / 未知 for covered, not covered, unknown."""
    return "未知" if value is None else ("是" if value else "否")
