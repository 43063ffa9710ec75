"""NVR channels count as cameras in every KPI, and a channel offline (reason nvr or video_loss) is neither online nor
working: in `camfleet coverage`'s report and in the per-village series the recording rules sum."""

from __future__ import annotations

import pytest
from coverage_helpers import LEGACY, NOW, point

from camfleet.coverage import build_report, parse_window
from camfleet.metrics.villages import village_families
from camfleet.model import CameraRecord, CameraState, PointRecord, PointStatus, Reason, Status

ACCEPTED = PointStatus.ACCEPTED


def _fleet() -> tuple[list[PointRecord], list[CameraRecord], dict[str, CameraState]]:
    """Two villages of 青石镇 recorded by NVRs.

    西河村: P1 a standalone camera s1 (ok); P2 channel 1 of recorder A (ok); P3 channel 2 of A (offline/video_loss:
    the recorder answers, the camera is dark) → covered; 4 cameras with P4's channel 3 of A (offline/timeout).
    东岭村: P5 and P6 channels 1 and 2 of recorder B, which does not answer (both offline/nvr) → not covered.
    6 cameras: up and ok = s1, a1 → 在线率 and 完好率 2/6; 覆盖率 1/2; points covered P1, P2 → 2/6.
    """
    points = [point(f"P{n}", "青石镇", "西河村" if n <= 4 else "东岭村", LEGACY, ACCEPTED) for n in range(1, 7)]
    cameras = [
        CameraRecord("s1", "P1", "127.20.1.1"),
        CameraRecord("a1", "P2", "127.20.1.2", 8000, channel=1),
        CameraRecord("a2", "P3", "127.20.1.2", 8000, channel=2),
        CameraRecord("a3", "P4", "127.20.1.2", 8000, channel=3),
        CameraRecord("b1", "P5", "127.20.1.3", 8000, channel=1),
        CameraRecord("b2", "P6", "127.20.1.3", 8000, channel=2),
    ]
    states = {
        "s1": CameraState("s1", Status.OK),
        "a1": CameraState("a1", Status.OK),
        "a2": CameraState("a2", Status.OFFLINE, Reason.VIDEO_LOSS),
        "a3": CameraState("a3", Status.OFFLINE, Reason.TIMEOUT),
        "b1": CameraState("b1", Status.OFFLINE, Reason.NVR),
        "b2": CameraState("b2", Status.OFFLINE, Reason.NVR),
    }
    return points, cameras, states


def test_channels_count_in_the_report_kpis() -> None:
    """The report counts every channel as a camera: 6 cameras, 2 up, 2 ok (在线率 and 完好率 1/3); 西河村 covered by
    channel a1, 东岭村 (its recorder dead) not covered: 覆盖率 1/2, point coverage 2/6; offline counts 4."""
    points, cameras, states = _fleet()
    report = build_report(points, cameras, states, [], now=NOW, window=parse_window("24h", now=NOW))
    k = report.district.kpis
    assert (k.cameras, k.cameras_up, k.cameras_ok, k.cameras_unknown) == (6, 2, 2, 0)
    assert k.online_rate == pytest.approx(2 / 6) and k.working_rate == pytest.approx(2 / 6)
    assert k.coverage_rate == pytest.approx(1 / 2) and k.point_coverage_rate == pytest.approx(2 / 6)
    assert k.cameras_by_status == {"ok": 2, "offline": 4}
    assert {v.village: v.covered for v in report.villages} == {"西河村": True, "东岭村": False}


def test_channels_count_in_the_village_series() -> None:
    """The per-village series the KPI recording rules sum count the same: 西河村 4 cameras (2 up, 2 offline), 东岭村 2
    cameras (0 up, 2 offline); 西河村 covered, 东岭村 known and not covered."""
    points, cameras, states = _fleet()
    families = {f.name: f for f in village_families(points, cameras, states)}

    def value(name: str, *key: str) -> float:
        fam = families[name]
        return fam.values[fam.keys.index(key)]

    for village, (cameras_n, up, offline) in {"西河村": (4, 2, 2), "东岭村": (2, 0, 2)}.items():
        key = ("青石镇", village, LEGACY)
        by_status = families["camfleet_village_cameras"]
        total = sum(v for k, v in zip(by_status.keys, by_status.values, strict=True) if k[:3] == key)
        assert total == cameras_n, village
        assert value("camfleet_village_cameras_up", *key) == up, village
        assert value("camfleet_village_cameras", *key, "offline") == offline, village
        assert value("camfleet_village_cameras", *key, "ok") == up, village
    assert value("camfleet_village_covered", "青石镇", "西河村") == 1.0
    assert value("camfleet_village_covered", "青石镇", "东岭村") == 0.0
    assert value("camfleet_village_coverage_known", "青石镇", "东岭村") == 1.0
