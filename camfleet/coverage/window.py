"""Report windows: "the last 7 days" or "from one date to another", as unix-time bounds.

Days and months are the district's local calendar (``[display] timezone``, China Standard Time by default) so
a daily trend or a monthly progress row means the same day to every reader, whatever the server's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from camfleet.config.display import DISTRICT_TZ, display_zone
from camfleet.errors import UsageError

__all__ = ["DISTRICT_TZ", "Window", "WindowError", "day_bounds", "parse_window", "window_between"]

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_WINDOW_RE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
MAX_WINDOW_S = 400 * 86400


class WindowError(UsageError):
    """A report window could not be understood (names the text that was given)."""


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open time span ``[start, end)`` in unix seconds, with a label for reports."""

    start: float
    end: float
    label: str

    @property
    def seconds(self) -> float:
        """Length of the window in seconds."""
        return self.end - self.start


def parse_window(text: str, *, now: float) -> Window:
    """``"24h"``, ``"7d"``, ``"30d"``, ``"2w"``, ``"90m"`` → the window of that length ending at ``now``."""
    match = _WINDOW_RE.match(text)
    if match is None:
        raise WindowError(f"window {text!r}: expected a number and a unit m, h, d or w, e.g. 24h, 7d or 30d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0 or seconds > MAX_WINDOW_S:
        raise WindowError(f"window {text!r}: must be longer than 0 and at most {MAX_WINDOW_S // 86400} days")
    return Window(start=now - seconds, end=now, label=text.strip())


def _parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise WindowError(f"{option} {text!r}: expected a date like 2026-11-01") from None


def window_between(from_day: str, to_day: str | None, *, now: float, tz: tzinfo | None = None) -> Window:
    """From the start of ``from_day`` to the end of ``to_day`` (both inclusive, local days: ``tz``, else the
    display zone).

    Without ``to_day`` the window ends ``now``; an end in the future is cut at ``now`` because the
    future has no history yet.
    """
    tz = tz or display_zone()
    first = _parse_day(from_day, "--from")
    start = datetime(first.year, first.month, first.day, tzinfo=tz).timestamp()
    if to_day is None:
        end, label = now, f"{first.isoformat()} – now"
    else:
        last = _parse_day(to_day, "--to")
        if last < first:
            raise WindowError(f"--to {to_day!r} is before --from {from_day!r}")
        end = (datetime(last.year, last.month, last.day, tzinfo=tz) + timedelta(days=1)).timestamp()
        label = f"{first.isoformat()} – {last.isoformat()}"
    end = min(end, now)
    if end <= start:
        raise WindowError(f"--from {from_day!r} is not in the past")
    return Window(start=start, end=end, label=label)


def day_bounds(window: Window, tz: tzinfo | None = None) -> list[tuple[str, float, float]]:
    """The local days (``tz``, else the display zone) a window touches: ``(iso_day, start, end)`` each clipped
    to the window."""
    tz = tz or display_zone()
    day = datetime.fromtimestamp(window.start, tz).date()
    out: list[tuple[str, float, float]] = []
    while True:
        begin = datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
        if begin >= window.end:
            break
        finish = (datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(days=1)).timestamp()
        out.append((day.isoformat(), max(begin, window.start), min(finish, window.end)))
        day += timedelta(days=1)
    return out
