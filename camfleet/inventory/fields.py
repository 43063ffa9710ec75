"""Parsers for single inventory cells. Each returns the value, or raises ``ValueError`` with a message
that never repeats a value that might be a secret (hosts and credentials are described, not echoed)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Sequence

from camfleet.model import ACCESS_ALIASES, POINT_STATUS_ALIASES, Access, PointStatus

CREDENTIAL_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_DATE_SEPARATED = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_RTSP_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,499}$")
#: Channels a recorder may have: the largest NVRs sold have 256.
MAX_CHANNEL = 256
# China's extent in WGS-84 degrees, generous at the edges; catches swapped or projected coordinates.
LAT_RANGE = (18.0, 54.0)
LON_RANGE = (73.0, 136.0)


def parse_host(text: str) -> str:
    """An IPv4/IPv6 literal or an RFC 1123 host name."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    labels = text.split(".")
    if (
        not text
        or len(text) > 253
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()  # all-numeric top label: a mistyped IPv4 such as 192.168.1.300
    ):
        raise ValueError("not an IPv4/IPv6 address or an RFC 1123 host name (value not shown)")
    return text.lower()


def parse_port(text: str) -> int:
    """A TCP port 1–65535; empty means 80 (the ONVIF device service's HTTP default)."""
    if not text:
        return 80
    try:
        port = int(text)
    except ValueError:
        raise ValueError(f"port {text!r} is not a whole number") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} is outside 1–65535")
    return port


def check_credential(text: str) -> str:
    """A credential group name; anything else may be a password, so it is never repeated."""
    if text and not CREDENTIAL_GROUP.match(text):
        raise ValueError(
            "does not look like a credential group name (letters, digits, '.', '_', '-'; at most 64) and may "
            "be a password: keep passwords in the credentials file and put only the group name here "
            "(value not shown)"
        )
    return text


def parse_status(text: str) -> PointStatus | None:
    """A point status in English or Chinese (None when empty)."""
    if not text:
        return None
    if text in POINT_STATUS_ALIASES:
        return POINT_STATUS_ALIASES[text]
    try:
        return PointStatus(text.lower())
    except ValueError:
        words = ", ".join([s.value for s in PointStatus] + list(POINT_STATUS_ALIASES))
        raise ValueError(f"unknown point status {text!r} (expected one of {words})") from None


def parse_date(text: str) -> dt.date | None:
    """2025-03-05, 2025/3/5, 2025.03.05, 20250305 or 2025年3月5日 (None when empty)."""
    if not text:
        return None
    match = _DATE_SEPARATED.match(text) or _DATE_COMPACT.match(text)
    if match is None and len(text) > 10 and text[10] in " T":  # a date-time from a spreadsheet
        match = _DATE_SEPARATED.match(text[:10])
    if match is None:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)")
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None


def parse_coordinate(text: str, column: str) -> float | None:
    """A latitude or longitude inside China (None when empty)."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number of degrees") from None
    low, high = LAT_RANGE if column == "lat" else LON_RANGE
    if not low <= value <= high:
        hint = " (latitude and longitude swapped?)" if _swapped(value, column) else ""
        raise ValueError(f"{value} is outside China ({low}–{high}){hint}")
    return value


def _swapped(value: float, column: str) -> bool:
    other_low, other_high = LON_RANGE if column == "lat" else LAT_RANGE
    return other_low <= value <= other_high


def parse_site_type(text: str, allowed: Sequence[str]) -> str:
    """A key-location type (部位类型) from the configured list; empty when not given."""
    if text and text not in allowed:
        raise ValueError(f"unknown site type {text!r} (expected one of {', '.join(allowed)})")
    return text


def parse_channel(text: str) -> int | None:
    """An NVR/DVR channel number 1–256 (通道号; None when empty: a standalone camera)."""
    if not text:
        return None
    try:
        channel = int(text)
    except ValueError:
        raise ValueError(f"channel {text!r} is not a whole number") from None
    if not 1 <= channel <= MAX_CHANNEL:
        raise ValueError(f"channel {channel} is outside 1–{MAX_CHANNEL} (channels count from 1)")
    return channel


def parse_access(text: str) -> Access:
    """onvif (the default when empty) or rtsp (ONVIF switched off), in any case."""
    if not text:
        return Access.ONVIF
    found = ACCESS_ALIASES.get(text.upper()) or ACCESS_ALIASES.get(text)
    if found is None:
        raise ValueError(f"unknown access {text!r} (expected onvif or rtsp)")
    return found


def parse_rtsp_path(text: str) -> str:
    """An RTSP stream path such as /Streaming/Channels/101 (empty when not given). A whole URL, which may carry a
    user and password, is refused without repeating it."""
    if not text:
        return ""
    if "://" in text or not text.startswith("/"):
        raise ValueError("rtsp_path must be the path alone, starting with '/' (no scheme, host or user; not shown)")
    if not _RTSP_PATH.match(text):
        raise ValueError("rtsp_path has characters a URL path cannot hold, or is longer than 500 (value not shown)")
    return text
