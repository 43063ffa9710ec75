"""Maintenance windows: planned works on a camera, a village or an uplink, during which alerts are held.

A window is stored by ``camfleet maintenance add`` (``inventory/store.py``), read by the service, turned into
``camfleet_*_in_maintenance`` series (``metrics/maintenance.py``) that the shipped alert rules join with
``unless``, and listed on the coverage page. This module holds the value type, the time words the command
accepts, and which cameras, villages and uplinks a set of windows covers at an instant (pure, no I/O).

Times without an offset are in the display zone (``[display] timezone``, Asia/Shanghai by default: the same
calendar as the coverage reports).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from camfleet.config.display import display_zone, iso_time, shown_time
from camfleet.errors import UsageError
from camfleet.model import CameraTarget

#: The longest window: a forgotten window would hold alerts for good, so a longer job takes a second window.
MAX_WINDOW_S = 90 * 86400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(?:\d+[smhdw])+$")
_PART = re.compile(r"(\d+)([smhdw])")
#: Between town and village in a village window's target (the same form as a village's default uplink).
VILLAGE_SEP = "/"


class Scope(enum.StrEnum):
    """What a window covers: one camera, every camera of a village, or every camera behind an uplink."""

    CAMERA = "camera"
    VILLAGE = "village"
    UPLINK = "uplink"


SCOPE_ZH = {Scope.CAMERA: "摄像机", Scope.VILLAGE: "行政村", Scope.UPLINK: "上联"}


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A stored window: ``target`` is a camera id, ``town/village``, or an uplink name. ``ended_at`` is set
    by ``maintenance end`` (the window stops then, before ``ends_at``). ``id`` is given by the store."""

    scope: Scope
    target: str
    starts_at: float
    ends_at: float
    reason: str
    created_by: str
    created_at: float
    ended_at: float | None = None
    id: int = 0

    @property
    def until(self) -> float:
        """When the window stops holding alerts: its end, or when it was ended early."""
        return self.ends_at if self.ended_at is None else min(self.ends_at, self.ended_at)

    def active(self, now: float) -> bool:
        """Whether the window holds alerts at ``now`` (started, not over, not ended)."""
        return self.starts_at <= now < self.until

    @property
    def place(self) -> tuple[str, str]:
        """(town, village) of a village window; ("", "") for the other scopes."""
        if self.scope is not Scope.VILLAGE:
            return ("", "")
        town, _, village = self.target.partition(VILLAGE_SEP)
        return (town, village)


def village_target(town: str, village: str) -> str:
    """The target of a village window: ``青石镇/下坞村``."""
    return f"{town}{VILLAGE_SEP}{village}"


def parse_time(text: str, *, base: float, option: str) -> float:
    """Unix time of ``text``: an ISO date-time (the display zone, ``[display] timezone``, unless it has an offset; a
    date alone is its
    midnight) or a duration after ``base`` (``4h``, ``2d``, ``1h30m``; units s, m, h, d, w).
    ``UsageError`` naming ``option`` and the text otherwise."""
    word = text.strip().lower()
    if _DURATION.match(word):
        return base + sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(word))
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option} {text!r}: expected a date-time like 2026-12-08T18:00 (local time unless an offset is "
            "given) or a duration like 4h, 2d, 1h30m"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=display_zone())
    return when.timestamp()


def local(ts: float) -> str:
    """``2026-12-08 18:00 CST`` in the display zone (``[display] timezone``, China Standard Time by default)."""
    return shown_time(ts, zone_name=True)


def iso(ts: float | None) -> str | None:
    """ISO 8601 with the display zone's offset (+08:00 by default), to the second (None stays None)."""
    return iso_time(ts)


def state_of(w: MaintenanceWindow, now: float) -> str:
    """``planned``, ``active``, ``ended`` (stopped early by ``maintenance end``) or ``over``."""
    if w.ended_at is not None and w.ended_at <= w.ends_at:
        return "ended"
    if w.ends_at <= now:
        return "over"
    return "active" if w.active(now) else "planned"


def window_json(w: MaintenanceWindow, now: float) -> dict[str, Any]:
    """One window for scripts (``maintenance list --format json``, ``/api/coverage``): unix times, and ISO times
    with the +08:00 offset; ``town``/``village`` of a village window, else null."""
    town, village = w.place
    return {
        "id": w.id, "scope": w.scope.value, "target": w.target, "town": town or None, "village": village or None,
        "state": state_of(w, now), "starts_at": w.starts_at, "ends_at": w.ends_at, "ended_at": w.ended_at,
        "starts": iso(w.starts_at), "ends": iso(w.ends_at), "ended": iso(w.ended_at), "reason": w.reason,
        "created_by": w.created_by, "created_at": w.created_at, "created": iso(w.created_at),
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Held:
    """What the active windows cover at one instant: camera ids, (town, village), (uplink, town, village) and
    recorders (``host:port`` of an NVR/DVR)."""

    cameras: frozenset[str]
    villages: frozenset[tuple[str, str]]
    uplinks: frozenset[tuple[str, str, str]]
    recorders: frozenset[str] = frozenset()


NOTHING_HELD = Held(frozenset(), frozenset(), frozenset())


def held(windows: Iterable[MaintenanceWindow], targets: Mapping[str, CameraTarget], now: float) -> Held:
    """Expand the windows active at ``now`` over the cameras in ``targets``.

    A camera is held by a window naming it, its village or its uplink. A village is held by a village window, or
    when every one of its cameras is held (so one camera's works never hide a village that lost its others). An
    uplink's (uplink, town, village) is held by a window on the uplink or the village, or when every camera
    behind it there is held. A recorder is held when every one of its channels is (a window on its uplink or
    village, or on each channel): a recorder has no window of its own. One pass over the cameras: the windows are
    sets, not loops.
    """
    live = [w for w in windows if w.active(now)]
    if not live:
        return NOTHING_HELD
    ids = {w.target for w in live if w.scope is Scope.CAMERA}
    places = {w.place for w in live if w.scope is Scope.VILLAGE}
    links = {w.target for w in live if w.scope is Scope.UPLINK}
    cameras: set[str] = set()
    village_all: dict[tuple[str, str], bool] = {}
    uplink_all: dict[tuple[str, str, str], bool] = {}
    recorder_all: dict[str, bool] = {}
    for cid, t in targets.items():
        place = (t.town, t.village)
        hold = cid in ids or place in places or t.uplink in links
        if hold:
            cameras.add(cid)
        village_all[place] = village_all.get(place, True) and hold
        key = (t.uplink, t.town, t.village)
        uplink_all[key] = uplink_all.get(key, True) and hold
        if t.channel is not None:
            recorder_all[t.recorder] = recorder_all.get(t.recorder, True) and hold
    villages = {p for p, every in village_all.items() if every or p in places}
    uplinks = {k for k, every in uplink_all.items() if every or k[0] in links or (k[1], k[2]) in places}
    recorders = frozenset(r for r, every in recorder_all.items() if every)
    return Held(frozenset(cameras), frozenset(villages), frozenset(uplinks), recorders)


def holding(windows: Iterable[MaintenanceWindow], target: CameraTarget, now: float) -> MaintenanceWindow | None:
    """The active window that holds this camera the longest (None: not under maintenance)."""
    found = [
        w
        for w in windows
        if w.active(now)
        and (
            (w.scope is Scope.CAMERA and w.target == target.camera_id)
            or (w.scope is Scope.VILLAGE and w.place == (target.town, target.village))
            or (w.scope is Scope.UPLINK and w.target == target.uplink)
        )
    ]
    return max(found, key=lambda w: (w.until, w.id), default=None)
