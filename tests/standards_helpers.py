"""A small district for the coverage-standard tests; every expected verdict is worked out in the tests."""

from __future__ import annotations

from typing import Any

from coverage_helpers import DAY, NOW

from camfleet.config.coverage import StandardConfig
from camfleet.coverage import CoverageReport, build_report, parse_window
from camfleet.model import CameraRecord, CameraState, PointRecord, PointStatus, Status, Transition

TOWN = "殷汇镇"
LONG_AGO = NOW - 30 * DAY  # before any window the tests use: the state held all window


def sp(
    pid: str, village: str, site_type: str, status: PointStatus = PointStatus.ACCEPTED, town: str = TOWN
) -> PointRecord:
    """A point of ``site_type`` in ``village``."""
    return PointRecord(
        pid, town, village, f"{village}{site_type}", None, None, "一村一探头", status, site_type=site_type
    )


def ok(cid: str, since: float = LONG_AGO) -> CameraState:
    """A working camera."""
    return CameraState(cid, Status.OK, since=since)


def down(cid: str, since: float = LONG_AGO) -> CameraState:
    """An offline camera."""
    return CameraState(cid, Status.OFFLINE, since=since)


def standard(**kw: Any) -> StandardConfig:
    """The pilot towns' standard: 村口 and 学校 covered, 完好率 at least 50 % (overridable)."""
    values: dict[str, Any] = {"name": "高标准全覆盖", "towns": [TOWN], "require_site_types": ["村口", "学校"]}
    values |= {"min_working_rate": 0.5} | kw
    return StandardConfig.model_validate(values)


def base_village(
    village: str = "甲村", n: int = 1
) -> tuple[list[PointRecord], list[CameraRecord], dict[str, CameraState]]:
    """A village that meets the standard: 村口 P{n}0 with camera c{n}0 ok, 学校 P{n}1 with c{n}1 ok."""
    points = [sp(f"P{n}0", village, "村口"), sp(f"P{n}1", village, "学校")]
    cams = [CameraRecord(f"c{n}0", f"P{n}0", f"127.30.{n}.1"), CameraRecord(f"c{n}1", f"P{n}1", f"127.30.{n}.2")]
    return points, cams, {f"c{n}0": ok(f"c{n}0"), f"c{n}1": ok(f"c{n}1")}


def report(
    points: list[PointRecord],
    cams: list[CameraRecord],
    states: dict[str, CameraState],
    standards: list[StandardConfig],
    transitions: list[Transition] | None = None,
) -> CoverageReport:
    """The report over a 7-day window ending at NOW."""
    window = parse_window("7d", now=NOW)
    return build_report(points, cams, states, transitions or [], now=NOW, window=window, standards=standards)
