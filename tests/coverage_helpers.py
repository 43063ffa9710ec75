"""A small hand-built district for the coverage tests; every expected number is worked out in the tests."""

from __future__ import annotations

from camfleet.model import CameraRecord, CameraState, PointRecord, PointStatus, Reason, Status, Transition

NEW = "一村一探头"
LEGACY = "农村小天网"
HOUR = 3600.0
DAY = 86400.0
#: 2026-11-27 00:00 in the district's calendar (UTC+8).
NOW = 1_795_708_800.0


def point(pid: str, town: str, village: str, program: str, status: PointStatus, **kw: object) -> PointRecord:
    """A point with coordinates spread by its id, so the map has something to draw."""
    n = int(pid[1:])
    return PointRecord(pid, town, village, f"点{n}", 30.0 + n / 100, 120.0 + n / 100, program, status, **kw)  # type: ignore[arg-type]


def cam(cid: str, pid: str) -> CameraRecord:
    """A camera on a loopback address."""
    return CameraRecord(cid, pid, f"127.20.0.{int(cid[1:])}")


def district() -> tuple[list[PointRecord], list[CameraRecord], dict[str, CameraState]]:
    """Two towns, five villages (one only retired), seven planned points, eight cameras.

    城关镇/东村   P1 new, accepted   c1 ok, c2 offline           → covered
    城关镇/西村   P2 new, installed  c3 covered (image fault)     → not covered
                 P3 legacy, accepted c4 never checked           → unknown ⇒ village unknown
    河口镇/南村   P4 legacy, accepted c5 ok, c6 auth_failed       → covered
                 P5 new, planned, no camera                     → not covered
    河口镇/北村   P6 new, installed  c7 offline                   → not covered ⇒ village not covered
    河口镇/旧村   P7 retired          c8 ok                        → ignored
    """
    points = [
        point("P1", "城关镇", "东村", NEW, PointStatus.ACCEPTED, installed_on="2026-09-10", accepted_on="2026-10-05"),
        point("P2", "城关镇", "西村", NEW, PointStatus.INSTALLED, installed_on="2026-10-20"),
        point("P3", "城关镇", "西村", LEGACY, PointStatus.ACCEPTED),
        point("P4", "河口镇", "南村", LEGACY, PointStatus.ACCEPTED),
        point("P5", "河口镇", "南村", NEW, PointStatus.PLANNED),
        point("P6", "河口镇", "北村", NEW, PointStatus.INSTALLED, installed_on="2026-11-02"),
        point("P7", "河口镇", "旧村", LEGACY, PointStatus.RETIRED),
    ]
    cams = [
        cam("c1", "P1"),
        cam("c2", "P1"),
        cam("c3", "P2"),
        cam("c4", "P3"),
        cam("c5", "P4"),
        cam("c6", "P4"),
        cam("c7", "P6"),
        cam("c8", "P7"),
    ]
    day_ago = NOW - 2 * DAY
    states = {
        "c1": CameraState("c1", Status.OK, since=day_ago),
        "c2": CameraState("c2", Status.OFFLINE, Reason.TIMEOUT, since=NOW - 5 * HOUR),
        "c3": CameraState("c3", Status.COVERED, detail="镜头被遮挡", since=NOW - 30 * HOUR),
        "c5": CameraState("c5", Status.OK, since=day_ago),
        "c6": CameraState("c6", Status.AUTH_FAILED, Reason.PASSWORD, since=day_ago),
        "c7": CameraState("c7", Status.OFFLINE, Reason.REFUSED, since=NOW - 3 * DAY),
        "c8": CameraState("c8", Status.OK, since=day_ago),
    }
    return points, cams, states


def tr(cid: str, at: float, frm: Status, to: Status, reason: Reason = Reason.NONE) -> Transition:
    """A transition."""
    return Transition(cid, at, frm, to, reason)
