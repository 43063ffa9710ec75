"""[display]: how people are shown times (reports, pages, the CLI); machines get UTC/epoch regardless."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta, timezone, tzinfo

from pydantic import Field, field_validator

from camfleet.config.base import Section

#: China Standard Time as a fixed offset: the zone until a config says otherwise (China has kept UTC+8 with no
#: daylight saving since 1991, so it equals Asia/Shanghai for every time camfleet shows).
DISTRICT_TZ: tzinfo = timezone(timedelta(hours=8), "CST")

_shown: list[tzinfo] = [DISTRICT_TZ]


class DisplayConfig(Section):
    """The time zone human-facing times are written in."""

    timezone: str = Field(
        "Asia/Shanghai",
        title="Time zone",
        description="IANA name (Asia/Shanghai, Asia/Urumqi, …) for times in reports, pages and CLI output; "
        "JSON and metrics stay epoch / ISO with offset.",
    )

    @field_validator("timezone")
    @classmethod
    def _known(cls, value: str) -> str:
        zone_of(value)
        return value

    def zone(self) -> tzinfo:
        """The configured zone."""
        return zone_of(self.timezone)


def zone_of(name: str) -> tzinfo:
    """The IANA zone called ``name``, or ``ValueError`` saying it is not one."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone name (e.g. Asia/Shanghai)") from None


def set_display_zone(zone: tzinfo) -> None:
    """Make ``zone`` the one people are shown times in (the CLI after reading the config; the service at start
    and reload). One process shows one district, so this is process-wide rather than threaded through every
    renderer."""
    _shown[0] = zone


def display_zone() -> tzinfo:
    """The zone people are shown times in (China Standard Time until a config sets another)."""
    return _shown[0]


def shown_time(ts: float | None, *, zone_name: bool = False) -> str:
    """``2026-11-27 18:02`` (``… CST`` with ``zone_name``) in the display zone; an em dash for never (None, 0)."""
    if not ts:
        return "—"
    return datetime.fromtimestamp(ts, display_zone()).strftime("%Y-%m-%d %H:%M %Z" if zone_name else "%Y-%m-%d %H:%M")


def iso_time(ts: float | None, zone: tzinfo | None = None) -> str | None:
    """ISO 8601 with ``zone``'s offset (default the display zone), to the second; None for never (None, 0)."""
    if not ts:
        return None
    return datetime.fromtimestamp(ts, zone or display_zone()).isoformat(timespec="seconds")
