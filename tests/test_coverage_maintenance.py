"""Maintenance windows on the coverage report: listed (page and JSON), named beside the broken cameras they cover,
escaped, and without changing a single KPI (a camera under works still counts as not working)."""

from __future__ import annotations

import json

from coverage_helpers import NOW, district
from escaping_helpers import assert_inert, hostile

from camfleet.coverage import build_report, parse_window, render_html, report_to_json
from camfleet.coverage.report import CoverageReport
from camfleet.maintenance import MaintenanceWindow, Scope

HOUR = 3600.0


def _window(scope: Scope, target: str, wid: int, **kw: object) -> MaintenanceWindow:
    values: dict[str, object] = {"starts_at": NOW - HOUR, "ends_at": NOW + 4 * HOUR, "reason": "立杆更换",
                                 "created_by": "王工", "created_at": NOW - HOUR, "id": wid} | kw  # fmt: skip
    return MaintenanceWindow(scope, target, **values)  # type: ignore[arg-type]


def _report(windows: list[MaintenanceWindow], town: str | None = None) -> CoverageReport:
    points, cams, states = district()
    return build_report(
        points, cams, states, [], now=NOW, window=parse_window("7d", now=NOW), town=town, maintenance=windows
    )


def test_windows_are_listed_and_named_beside_their_cameras_with_kpis_unchanged() -> None:
    """c7 (offline, 北村's only camera) under a camera window and c2 under a village window on 东村: both stay in
    the repair list, each with its window; 东村 (its window) and 北村 (every camera held) are held; the ended and
    the future window are not listed; every KPI equals the report without windows."""
    windows = [
        _window(Scope.CAMERA, "c7", 1),
        _window(Scope.VILLAGE, "城关镇/东村", 2, ends_at=NOW + HOUR),
        _window(Scope.CAMERA, "c6", 3, ended_at=NOW - 60),
        _window(Scope.CAMERA, "c3", 4, starts_at=NOW + 60),
    ]
    with_windows, without = _report(windows), _report([])
    data, plain = report_to_json(with_windows), report_to_json(without)
    assert [w["id"] for w in data["maintenance"]] == [2, 1]  # the one ending first first
    assert (
        data["maintenance"][0] | {"town": "城关镇", "village": "东村", "scope": "village", "state": "active"}
        == (data["maintenance"][0])
    )
    assert data["maintenance"][1]["ends"].endswith("+08:00") and data["maintenance"][1]["created_by"] == "王工"
    held = {r["camera_id"]: r["maintenance_window"] for r in data["repairs"]}
    assert held == {"c2": 2, "c3": None, "c6": None, "c7": 1}
    assert data["held_villages"] == [{"town": "城关镇", "village": "东村"}, {"town": "河口镇", "village": "北村"}]
    for key in ("district", "towns", "villages", "uncovered_villages"):
        assert data[key] == plain[key], key
    assert plain["maintenance"] == [] and plain["held_villages"] == []
    page = render_html(with_windows, title="覆盖", generated_at=NOW)
    assert "维护窗口 maintenance windows (2)" in page and page.count("维护中 under maintenance") == 3
    assert "No maintenance window is active" in render_html(without, title="覆盖", generated_at=NOW)


def test_a_town_report_lists_only_the_windows_touching_the_town() -> None:
    """Filtered to 河口镇: c7's window is listed, 东村's (城关镇) is not; an uplink window counts where its cameras
    are (南村's cameras use the village as their uplink)."""
    windows = [_window(Scope.CAMERA, "c7", 1), _window(Scope.VILLAGE, "城关镇/东村", 2),
               _window(Scope.UPLINK, "河口镇/南村", 3)]  # fmt: skip
    assert [w.id for w in _report(windows, town="河口镇").maintenance] == [1, 3]
    assert [w.id for w in _report(windows, town="城关镇").maintenance] == [2]


def test_hostile_reason_target_and_author_are_inert_on_the_page() -> None:
    """A reason, a camera id and an author carrying markup are shown whole and as text: no script, no handler."""
    points, cams, states = district()
    windows = [_window(Scope.UPLINK, hostile("光交箱"), 1, reason=hostile("事由"), created_by=hostile("登记人")),
               _window(Scope.CAMERA, "c7", 2, reason=hostile("理由"))]  # fmt: skip
    report = build_report(points, cams, states, [], now=NOW, window=parse_window("7d", now=NOW), maintenance=windows)
    page = render_html(report, title="覆盖", generated_at=NOW)
    assert_inert(page, {"target": hostile("光交箱"), "reason": hostile("事由"), "author": hostile("登记人"),
                        "camera reason": hostile("理由")})  # fmt: skip
    assert json.loads(json.dumps(report_to_json(report)))["maintenance"][0]["reason"] == hostile("事由")
