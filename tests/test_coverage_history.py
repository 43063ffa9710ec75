"""Availability, outages, repair times and trends rebuilt from the transition history."""

from __future__ import annotations

import pytest
from coverage_helpers import DAY, HOUR, NEW, NOW, cam, point, tr

from camfleet.coverage import Window, WindowError, build_report, parse_window, window_between
from camfleet.coverage.history import outages_of
from camfleet.coverage.timeline import camera_timeline
from camfleet.model import CameraState, PointStatus, Status

START = NOW - DAY
WINDOW = Window(START, NOW, "24h")
ONE_POINT = [point("P1", "城关镇", "东村", NEW, PointStatus.ACCEPTED)]
OK, OFF, UNK = Status.OK, Status.OFFLINE, Status.UNKNOWN


def _one(transitions: list, states: dict | None = None, cams: tuple[str, ...] = ("c1",)):  # type: ignore[no-untyped-def, type-arg]
    """Build the report for one village with one point and the given cameras."""
    return build_report(ONE_POINT, [cam(c, "P1") for c in cams], states or {}, transitions, now=NOW, window=WINDOW)


def test_six_hours_down_of_24_is_75_percent() -> None:
    """Checked ok before the window, offline from 01:00 to 07:00: covered 18 of 24 h; one outage of 6 h = MTTR."""
    report = _one(
        [tr("c1", START - 1000, UNK, OK), tr("c1", START + HOUR, OK, OFF), tr("c1", START + 7 * HOUR, OFF, OK)]
    )
    assert report.points[0].availability.availability == pytest.approx(0.75)
    assert report.villages[0].availability.availability == pytest.approx(0.75)
    assert report.district.availability.unknown_fraction == 0.0
    assert report.district.mttr_s == pytest.approx(6 * HOUR)
    [longest] = report.longest_outages
    assert (longest.outage.start, longest.outage.end) == (START + HOUR, START + 7 * HOUR)
    assert report.offenders_by_time[0].outage_s == pytest.approx(6 * HOUR)


def test_time_before_first_check_is_unknown_not_covered() -> None:
    """First checked (ok) at 12:00: half the window unknown, reported separately; availability only 50 %."""
    report = _one([tr("c1", START + 12 * HOUR, UNK, OK)], {"c1": CameraState("c1", OK, since=START + 12 * HOUR)})
    av = report.villages[0].availability
    assert av.availability == pytest.approx(0.5)
    assert av.unknown_fraction == pytest.approx(0.5)
    assert report.district.outages == 0  # unknown is not an outage


def test_state_at_start_comes_from_first_transition_in_window() -> None:
    """With no history before the window, the first transition's from_status held since the start."""
    report = _one([tr("c1", START + 6 * HOUR, OK, OFF)], {"c1": CameraState("c1", OFF, since=START + 6 * HOUR)})
    assert report.villages[0].availability.availability == pytest.approx(0.25)
    [outage] = report.longest_outages
    assert outage.outage.end is None and outage.outage.start_known
    assert report.district.mttr_s is None  # not repaired yet


def test_quiet_camera_takes_its_state_and_later_history() -> None:
    """No transition in the window: the current state (since before it) holds all window; so does the
    from_status of a transition after the window, which wins over the state."""
    ok_all_along = _one([], {"c1": CameraState("c1", OK, since=START - DAY)})
    assert ok_all_along.villages[0].availability.availability == pytest.approx(1.0)
    past = Window(START - DAY, START, "past")
    later = build_report(
        ONE_POINT,
        [cam("c1", "P1")],
        {"c1": CameraState("c1", OK, since=START + HOUR)},
        [tr("c1", START + HOUR, OFF, OK)],
        now=NOW,
        window=past,
    )
    assert later.villages[0].availability.availability == 0.0
    assert later.villages[0].availability.unknown_fraction == 0.0


def test_outage_started_before_window_keeps_its_true_start() -> None:
    """Offline from 2 h before the window to 01:00: 1 h inside the window, 3 h long, MTTR 3 h."""
    report = _one([tr("c1", START - 2 * HOUR, OK, OFF), tr("c1", START + HOUR, OFF, OK)])
    [row] = report.longest_outages
    assert row.outage.start == START - 2 * HOUR and row.outage.in_window_s == pytest.approx(HOUR)
    assert report.district.mttr_s == pytest.approx(3 * HOUR)
    assert report.villages[0].availability.availability == pytest.approx(23 / 24)


def test_outage_with_unknown_start_is_left_out_of_mttr() -> None:
    """Offline already at the window's start with no earlier history: its start is unknown, so no MTTR."""
    report = _one([tr("c1", START + HOUR, OFF, OK)])
    assert not report.longest_outages[0].outage.start_known
    assert report.district.mttr_s is None


def test_status_changes_inside_an_outage_do_not_split_it() -> None:
    """offline → auth_failed → ok is one outage of 5 h, counted once."""
    tl = camera_timeline(
        "c1",
        [
            tr("c1", START - 10, UNK, OK),
            tr("c1", START + HOUR, OK, OFF),
            tr("c1", START + 3 * HOUR, OFF, Status.AUTH_FAILED),
            tr("c1", START + 6 * HOUR, Status.AUTH_FAILED, OK),
        ],
        None,
        WINDOW,
    )
    [outage] = outages_of(tl, WINDOW)
    assert outage.duration_s(NOW) == pytest.approx(5 * HOUR) and outage.status is OFF


def test_second_camera_covers_the_point() -> None:
    """Two cameras: c1 down 00–06, c2 down 03–09: the point is uncovered only 03–06 → 21/24 covered."""
    history = [
        tr("c1", START - 1, UNK, OK),
        tr("c2", START - 1, UNK, OK),
        tr("c1", START, OK, OFF),
        tr("c1", START + 6 * HOUR, OFF, OK),
        tr("c2", START + 3 * HOUR, OK, OFF),
        tr("c2", START + 9 * HOUR, OFF, OK),
    ]
    report = _one(history, cams=("c1", "c2"))
    assert report.points[0].availability.availability == pytest.approx(21 / 24)
    assert [o.camera_id for o in report.offenders_by_time] == ["c1", "c2"]
    assert report.district.outages == 2


def test_offenders_ranked_by_time_and_by_count() -> None:
    """c1: three short outages (3 h); c2: one long one (10 h): c2 tops the time list, c1 the count list."""
    history = [tr("c1", START - 1, UNK, OK), tr("c2", START - 1, UNK, OK)]
    for k in range(3):
        history += [tr("c1", START + (2 * k + 1) * HOUR, OK, OFF), tr("c1", START + (2 * k + 2) * HOUR, OFF, OK)]
    history += [tr("c2", START + 10 * HOUR, OK, OFF), tr("c2", START + 20 * HOUR, OFF, OK)]
    report = _one(sorted(history, key=lambda t: t.at), cams=("c1", "c2"))
    assert [(o.camera_id, o.outages) for o in report.offenders_by_time] == [("c2", 1), ("c1", 3)]
    assert [o.camera_id for o in report.offenders_by_count] == ["c1", "c2"]
    assert report.district.mttr_s == pytest.approx((3 * HOUR + 10 * HOUR) / 4)


def test_daily_trend_over_two_days() -> None:
    """A 48 h window over two local days: down all of the first day, up all of the second."""
    window = Window(NOW - 2 * DAY, NOW, "48h")
    report = build_report(
        ONE_POINT,
        [cam("c1", "P1")],
        {},
        [tr("c1", NOW - 3 * DAY, UNK, OFF), tr("c1", NOW - DAY, OFF, OK)],
        now=NOW,
        window=window,
    )
    assert [(d.day, d.availability) for d in report.trend] == [("2026-11-25", 0.0), ("2026-11-26", 1.0)]


def test_windows() -> None:
    """24h/7d/30d parse to their length ending now; dates are whole local days; nonsense is a clear error."""
    assert parse_window("7d", now=NOW).seconds == 7 * DAY
    assert parse_window("24h", now=NOW) == Window(NOW - DAY, NOW, "24h")
    w = window_between("2026-11-01", "2026-11-02", now=NOW)
    assert (w.start, w.seconds) == (NOW - 26 * DAY, 2 * DAY)
    assert window_between("2026-11-20", None, now=NOW).end == NOW
    for bad in ("7", "7y", "-1d", "0h"):
        with pytest.raises(WindowError, match="window"):
            parse_window(bad, now=NOW)
    with pytest.raises(WindowError, match="before"):
        window_between("2026-11-02", "2026-11-01", now=NOW)
    with pytest.raises(WindowError, match="2026-13-01"):
        window_between("2026-13-01", None, now=NOW)


def test_build_progress_per_month_against_plan() -> None:
    """一村一探头 plan = 3 non-retired points; installs in Sep, Oct, Oct; one acceptance in Nov; months to now."""
    points = [
        point("P1", "城关镇", "东村", NEW, PointStatus.ACCEPTED, installed_on="2026-09-03", accepted_on="2026-11-01"),
        point("P2", "城关镇", "西村", NEW, PointStatus.INSTALLED, installed_on="2026-10-20"),
        point("P3", "城关镇", "南村", NEW, PointStatus.INSTALLED, installed_on="2026-10-21"),
        point("P4", "城关镇", "北村", NEW, PointStatus.RETIRED, installed_on="2026-08-21"),
    ]
    report = build_report(points, [], {}, [], now=NOW, window=WINDOW)
    [progress] = report.progress
    assert progress.plan == 3
    rows = [(m.month, m.installed, m.accepted, m.installed_total, m.accepted_total) for m in progress.months]
    assert rows == [("2026-09", 1, 0, 1, 0), ("2026-10", 2, 0, 3, 0), ("2026-11", 0, 1, 3, 1)]
