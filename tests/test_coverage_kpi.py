"""Snapshot KPIs on the hand-built district of ``coverage_helpers`` (every expected number worked out below)."""

from __future__ import annotations

import pytest
from coverage_helpers import DAY, LEGACY, NEW, NOW, district

from camfleet.coverage import UnknownAreaError, build_report, parse_window
from camfleet.coverage.report import ALL, CoverageReport
from camfleet.model import CameraState, Reason, Status


def _report(**kw: object) -> CoverageReport:
    points, cams, states = district()
    return build_report(points, cams, states, [], now=NOW, window=parse_window("24h", now=NOW), **kw)  # type: ignore[arg-type]


def test_district_kpis_all_programmes() -> None:
    """Villages 东村 and 南村 covered of 4 (旧村 only retired: not counted) → 覆盖率 2/4; 西村 unknown.

    Points: P1–P6 planned (P7 retired); installed = P1 P2 P3 P4 P6 (accepted counts as installed);
    accepted = P1 P3 P4; covered = P1 P4; unknown = P3. Cameras c1–c7 (c8 sits on the retired point):
    up = c1 ok, c3 covered-lens (answers, so up), c5 ok → 3/7; ok = c1, c5 → 2/7.
    """
    k = _report().district.kpis
    assert (k.villages, k.villages_covered, k.villages_unknown) == (4, 2, 1)
    assert k.coverage_rate == pytest.approx(2 / 4)
    assert (k.points_planned, k.points_installed, k.points_accepted, k.points_covered, k.points_unknown) == (
        6,
        5,
        3,
        2,
        1,
    )
    assert k.point_coverage_rate == pytest.approx(2 / 6)
    assert (k.cameras, k.cameras_up, k.cameras_ok, k.cameras_unknown) == (7, 3, 2, 1)
    assert k.online_rate == pytest.approx(3 / 7)
    assert k.working_rate == pytest.approx(2 / 7)
    assert k.cameras_by_status == {"auth_failed": 1, "covered": 1, "offline": 2, "ok": 2, "unknown": 1}


def test_kpis_split_by_programme() -> None:
    """一村一探头 alone: P1 P2 P5 P6 in all four villages, only 东村 covered (P5 has no camera); 农村小天网:
    P3 (unknown) in 西村 and P4 (covered) in 南村."""
    by = _report().district.by_program
    assert list(by) == [ALL, NEW, LEGACY]
    new, legacy = by[NEW], by[LEGACY]
    assert (new.villages, new.villages_covered, new.villages_unknown) == (4, 1, 0)
    assert (new.points_planned, new.points_installed, new.points_accepted, new.points_covered) == (4, 3, 1, 1)
    assert (new.cameras, new.cameras_up, new.cameras_ok) == (4, 2, 1)
    assert (legacy.villages, legacy.villages_covered, legacy.villages_unknown) == (2, 1, 1)
    assert (legacy.cameras, legacy.cameras_up, legacy.cameras_ok) == (3, 1, 1)


def test_towns_and_villages() -> None:
    """Each town has one covered village of two; 西村 is unknown (None), 北村 uncovered, listed as such."""
    report = _report()
    towns = {t.name: t.kpis for t in report.towns}
    assert towns["城关镇"].coverage_rate == pytest.approx(0.5) and towns["城关镇"].villages_unknown == 1
    assert towns["河口镇"].coverage_rate == pytest.approx(0.5) and towns["河口镇"].cameras == 3
    covered = {(v.town, v.village): v.covered for v in report.villages}
    assert covered == {
        ("城关镇", "东村"): True,
        ("城关镇", "西村"): None,
        ("河口镇", "北村"): False,
        ("河口镇", "南村"): True,
    }
    assert [v.village for v in report.uncovered_villages] == ["北村"]
    assert [v.village for v in report.unknown_villages] == ["西村"]


def test_unknown_never_counts_as_covered_or_up() -> None:
    """With every state removed, nothing is covered, up or ok, and every village is unknown — not covered."""
    points, cams, _ = district()
    report = build_report(points, cams, {}, [], now=NOW, window=parse_window("24h", now=NOW))
    k = report.district.kpis
    assert (k.villages_covered, k.points_covered, k.cameras_up, k.cameras_ok) == (0, 0, 0, 0)
    # Every village has at least one camera never checked, so each is unknown (南村's P5 has no camera: False,
    # but its P4 is unknown, and unknown beats not covered).
    assert k.villages_unknown == 4
    assert report.uncovered_villages == []
    assert report.district.availability.availability is None  # all of the window unknown: "—", not 0 %
    assert report.district.availability.unknown_fraction == pytest.approx(1.0)


def test_repair_list_is_known_faults_oldest_first() -> None:
    """The repair list holds cameras known to be not working (never unknown, never retired), oldest first."""
    report = _report()
    assert [r.camera_id for r in report.repairs] == ["c7", "c6", "c3", "c2"]
    c3 = next(r for r in report.repairs if r.camera_id == "c3")
    assert (c3.status, c3.detail, c3.village) == ("covered", "镜头被遮挡", "西村")


def test_town_and_programme_filters() -> None:
    """--town keeps one town's villages and totals; an unknown town or programme fails listing the known ones."""
    report = _report(town="河口镇")
    assert {v.town for v in report.villages} == {"河口镇"}
    assert report.district.kpis.villages == 2 and [t.name for t in report.towns] == ["河口镇"]
    assert report.all_towns == ("城关镇", "河口镇")
    with pytest.raises(UnknownAreaError, match="城关镇, 河口镇"):
        _report(town="不存在镇")
    with pytest.raises(UnknownAreaError, match="一村一探头"):
        _report(program="雪亮工程")
    new_only = _report(program=NEW)
    assert new_only.district.kpis.points_planned == 4 and new_only.programs == (NEW,)


def test_state_flip_changes_coverage() -> None:
    """Turning 北村's only camera ok makes all four non-retired villages known and three of them covered."""
    points, cams, states = district()
    states["c7"] = CameraState("c7", Status.OK, since=NOW - DAY)
    report = build_report(points, cams, states, [], now=NOW, window=parse_window("24h", now=NOW))
    assert report.district.kpis.villages_covered == 3
    assert report.uncovered_villages == []


def test_unreviewed_cameras_are_counted_and_not_working() -> None:
    """c3 (covered) has a doubtful baseline and c4 shows cannot_judge/needs_review: both are unreviewed in
    城关镇/西村, counted in the district, the town, the village and the programme, and neither counts as
    working; a doubtful id on the retired point (c8) counts nowhere."""
    points, cams, states = district()
    states["c4"] = CameraState("c4", Status.CANNOT_JUDGE, Reason.NEEDS_REVIEW, since=NOW - DAY)
    report = build_report(points, cams, states, [], now=NOW, window=parse_window("24h", now=NOW),
                          doubtful=["c3", "c8"])  # fmt: skip
    d = report.district.kpis
    assert (d.cameras_unreviewed, d.cameras_ok) == (2, 2)
    assert {t.name: t.kpis.cameras_unreviewed for t in report.towns} == {"城关镇": 2, "河口镇": 0}
    assert {v.village: v.kpis.cameras_unreviewed for v in report.villages}["西村"] == 2
    assert report.district.by_program[NEW].cameras_unreviewed == 1  # c3 on the new P2; c4 is legacy
    assert _report().district.kpis.cameras_unreviewed == 0
