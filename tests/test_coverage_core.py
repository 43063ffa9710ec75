"""The coverage rule: a village is covered by one working camera; unknown is never covered."""

from __future__ import annotations

from camfleet.coverage.core import combine, point_covered, villages_covered
from camfleet.model import CameraRecord, CameraState, PointRecord, PointStatus, Status


def _cam(cid: str, point: str) -> CameraRecord:
    return CameraRecord(camera_id=cid, point_id=point, host="127.10.0.1")


def test_point_needs_one_working_camera() -> None:
    """One ok camera covers a point even when its twin is offline; all offline is not covered."""
    cams = [_cam("a", "P1"), _cam("b", "P1")]
    assert point_covered(cams, {"a": CameraState("a", Status.OFFLINE), "b": CameraState("b", Status.OK)}) is True
    assert point_covered(cams, {"a": CameraState("a", Status.OFFLINE), "b": CameraState("b", Status.COVERED)}) is False


def test_unknown_is_not_covered() -> None:
    """A camera never checked makes the point unknown (None), not covered, unless another works."""
    cams = [_cam("a", "P1"), _cam("b", "P1")]
    assert point_covered(cams, {"a": CameraState("a", Status.OFFLINE)}) is None
    assert combine([None, False]) is None
    assert combine([None, True]) is True
    assert combine([]) is False


def test_village_rule_and_retired_points() -> None:
    """A village with one covered point is covered; a planned point without cameras is not; retired is ignored."""
    points = [
        PointRecord("P1", "城关镇", "东村", status=PointStatus.ACCEPTED),
        PointRecord("P2", "城关镇", "东村", status=PointStatus.PLANNED),
        PointRecord("P3", "城关镇", "西村", status=PointStatus.PLANNED),
        PointRecord("P4", "城关镇", "南村", status=PointStatus.RETIRED),
    ]
    cams = [_cam("a", "P1"), _cam("r", "P4")]
    states = {"a": CameraState("a", Status.OK), "r": CameraState("r", Status.OK)}
    result = villages_covered(points, cams, states)
    assert result[("城关镇", "东村")] is True
    assert result[("城关镇", "西村")] is False
    assert result[("城关镇", "南村")] is False
