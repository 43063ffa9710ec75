"""Coverage standards, hand-computed: each condition changes a village's and a town's verdict as the rule in
docs/coverage.md says, unknown never counts as met, and the to-do list names what closes the gap."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from coverage_helpers import DAY, NOW, district
from escaping_helpers import assert_inert, hostile
from standards_helpers import TOWN, base_village, down, ok, report, sp, standard

from camfleet.config.coverage import CoverageConfig
from camfleet.coverage import CSV_COLUMNS, render_csv, render_html, report_to_json
from camfleet.coverage.standards import judge_now
from camfleet.coverage.standards_report import BUILD, CHECK, REPAIR
from camfleet.metrics.standards import standard_families
from camfleet.model import CameraRecord, CameraState, PointRecord, PointStatus, Status, Transition

Village = tuple[list[PointRecord], list[CameraRecord], dict[str, CameraState]]


def _unplanned(v: Village) -> None:
    v[0].pop(1)
    v[1].pop(1)
    del v[2]["c11"]


def _not_built(v: Village) -> None:
    v[0][1] = sp("P11", "甲村", "学校", PointStatus.PLANNED)
    v[1].pop(1)
    del v[2]["c11"]


def _broken(v: Village) -> None:
    v[2]["c11"] = down("c11")


def _unknown(v: Village) -> None:
    del v[2]["c11"]  # never checked


def _more_cameras(v: Village, states: list[CameraState | None]) -> None:
    """Three more cameras at an 其他 point (P12): c12, c13, c14 with ``states`` (None: never checked)."""
    v[0].append(sp("P12", "甲村", "其他"))
    for i, state in enumerate(states):
        cid = f"c1{i + 2}"
        v[1].append(CameraRecord(cid, "P12", f"127.30.1.{i + 3}"))
        if state is not None:
            v[2][cid] = CameraState(cid, state.status, since=state.since)


def _rate_short(v: Village) -> None:
    # 2 ok of 5: 40 % < 50 %.
    _more_cameras(v, [down("x", NOW - 3 * DAY), down("x", NOW - 1 * DAY), down("x", NOW - 2 * DAY)])


def _rate_undecided(v: Village) -> None:
    # 2 ok, 2 down, 1 unchecked of 5: 40 % now, 60 % if the unchecked one works: undecided.
    _more_cameras(v, [down("x"), down("x"), None])


def _rate_unchecked(v: Village) -> None:
    # 2 ok, 3 unchecked of 5: 40 % now, nothing known broken to repair: only checks can decide it.
    _more_cameras(v, [None, None, None])


def _rate_enough(v: Village) -> None:
    # 2 ok of 4 (one at P12 unplaced in a type the standard needs): exactly 50 %: met.
    _more_cameras(v, [down("x"), down("x")])


CASES: list[tuple[str, Callable[[Village], None], bool | None, list[tuple[str, str]], list[tuple[str, str, str]]]] = [
    # name, change, village verdict, lacks (what, site type), to-do (action, point, camera)
    ("meets", lambda v: None, True, [], []),
    ("site type unplanned", _unplanned, False, [("unplanned", "学校")], [(BUILD, "", "")]),
    ("planned, not built", _not_built, False, [("not_built", "学校")], [(BUILD, "P11", "")]),
    ("built, not working", _broken, False, [("broken", "学校")], [(REPAIR, "P11", "c11")]),
    # Never checked: confirm the camera (if it works, the cell is met).
    ("unknown", _unknown, None, [("unknown", "学校")], [(CHECK, "P11", "c11")]),
    # The longest-broken camera first: c12 since 3 days, c14 since 2, c13 since 1; one repair reaches 3/5.
    ("working rate under the minimum", _rate_short, False, [("working_rate", "")], [(REPAIR, "P12", "c12")]),
    # Undecided, but one repair decides it whatever the unchecked camera shows (3 ok of 5 ≥ 50 %).
    ("working rate undecided", _rate_undecided, None, [("working_rate_unknown", "")], [(REPAIR, "P12", "c12")]),
    # Nothing to repair: one of the unchecked cameras working would reach 3/5; the first by id is named.
    ("working rate unchecked", _rate_unchecked, None, [("working_rate_unknown", "")], [(CHECK, "P12", "c12")]),
    ("working rate at the minimum", _rate_enough, True, [], []),
]


@pytest.mark.parametrize(("name", "change", "verdict", "lacks", "todo"), CASES, ids=[c[0] for c in CASES])
def test_each_condition_changes_the_verdict(
    name: str,
    change: Callable[[Village], None],
    verdict: bool | None,
    lacks: list[tuple[str, str]],
    todo: list[tuple[str, str, str]],
) -> None:
    """One village next to one that meets the standard: each change gives the village, and so the town, the
    verdict the rule says (unknown is never met), names what it lacks and lists what to do about it."""
    village = base_village("甲村", 1)
    change(village)
    other = base_village("乙村", 2)
    r = report(village[0] + other[0], village[1] + other[1], village[2] | other[2], [standard()])
    (result,) = r.standards
    (town,) = result.towns
    by_name = {v.village: v for v in town.villages}
    assert by_name["乙村"].met is True
    assert by_name["甲村"].met is verdict, name
    assert town.met is verdict
    assert [(lack.what, lack.site_type) for lack in by_name["甲村"].lacks] == lacks
    assert [(t.action, t.point_id, t.camera_id) for t in town.todo] == todo
    assert [v.village for v in town.short] == ([] if verdict is True else ["甲村"])


def test_no_required_site_type_is_todays_rule() -> None:
    """A standard without required site types or minimums judges every village as `covered` does (true, false
    and unknown alike) on the coverage tests' district."""
    points, cams, states = district()
    r = report(
        points, cams, states, [CoverageConfig.model_validate({"standard": [{"name": "一村一探头"}]}).standard[0]]
    )
    judged = {(t.town, v.village): v.met for t in r.standards[0].towns for v in t.villages}
    assert judged == {(v.town, v.village): v.covered for v in r.villages}
    assert set(judged.values()) == {True, False, None}


def test_todo_is_ranked_closest_village_first_repairs_before_builds() -> None:
    """乙村 needs two things (a 村口 to build, a 学校 camera to repair), 丙村 one (a repair): 丙村's repair
    ranks first, then 乙村's repair, then its build."""
    a, b, c = base_village("甲村", 1), base_village("乙村", 2), base_village("丙村", 3)
    b[0].pop(0)
    b[1].pop(0)
    del b[2]["c20"]
    b[2]["c21"] = down("c21")
    c[2]["c31"] = down("c31")
    r = report(a[0] + b[0] + c[0], a[1] + b[1] + c[1], a[2] | b[2] | c[2], [standard()])
    todo = r.standards[0].towns[0].todo
    assert [(t.rank, t.village, t.action, t.site_type, t.camera_id) for t in todo] == [
        (1, "丙村", REPAIR, "学校", "c31"),
        (2, "乙村", REPAIR, "学校", "c21"),
        (3, "乙村", BUILD, "村口", ""),
    ]


def test_checks_rank_after_every_repair_and_build() -> None:
    """甲村 needs one check (学校 never checked) and 乙村 a repair and a build, 丙村 a repair and, for 完好率 ≥ 75 %
    with its other cameras unchecked, a check beyond that repair: the repairs and builds come first (乙村's
    after 丙村's repair, by how many each village needs), then the checks by village; a check does not count as
    a village's work."""
    a, b, c = base_village("甲村", 1), base_village("乙村", 2), base_village("丙村", 3)
    del a[2]["c11"]
    b[0].pop(0)
    b[1].pop(0)
    del b[2]["c20"]
    b[2]["c21"] = down("c21")
    c[2]["c31"] = down("c31")
    c[0].append(sp("P32", "丙村", "其他"))
    c[1].extend([CameraRecord("c32", "P32", "127.30.3.3"), CameraRecord("c33", "P32", "127.30.3.4")])
    # 丙村: 4 cameras, 1 ok (c30), c31 down, c32 and c33 unchecked; 75 % needs 3 ok: repair c31, check c32.
    # 甲村: 2 cameras, c10 ok, c11 unchecked: 50 % now, 75 % needs both: the 学校 check (c11) already names it.
    r = report(a[0] + b[0] + c[0], a[1] + b[1] + c[1], a[2] | b[2] | c[2], [standard(min_working_rate=0.75)])
    todo = r.standards[0].towns[0].todo
    assert [(t.rank, t.village, t.action, t.site_type, t.camera_id) for t in todo] == [
        (1, "丙村", REPAIR, "学校", "c31"),
        (2, "乙村", REPAIR, "学校", "c21"),
        (3, "乙村", BUILD, "村口", ""),
        (4, "丙村", CHECK, "", "c32"),  # checks by village name (丙 before 甲 in code point order)
        (5, "甲村", CHECK, "学校", "c11"),
    ]
    assert todo[4].status == "unknown"
    page = render_html(r, title="t", generated_at=NOW)
    assert page.count("确认 check") == 3  # the list's title and two items


def test_since_comes_from_history_and_availability_is_a_window_condition() -> None:
    """学校's camera broke 3 days before the end of the 7-day window and was repaired 1 day before: the town
    meets the standard since that repair. Over the window the village met it 5 of 7 days (71.4 %): a minimum
    availability of 80 % makes it not met, and then "since" is not given (no run of time decides it)."""
    points, cams, states = base_village("甲村", 1)
    history = [
        Transition("c11", NOW - 3 * DAY, Status.OK, Status.OFFLINE),
        Transition("c11", NOW - 1 * DAY, Status.OFFLINE, Status.OK),
    ]
    states["c11"] = ok("c11", NOW - 1 * DAY)
    town = report(points, cams, states, [standard()], history).standards[0].towns[0]
    assert (town.met, town.since, town.since_known) == (True, NOW - 1 * DAY, True)
    assert town.villages[0].availability.availability == pytest.approx(5 / 7)

    strict = report(points, cams, states, [standard(min_availability=0.8)], history).standards[0].towns[0]
    assert (strict.met, strict.since) == (False, None)
    (lack,) = strict.villages[0].lacks
    assert (lack.what, lack.value, lack.minimum) == ("availability", pytest.approx(5 / 7), 0.8)
    assert strict.todo == []  # only time mends availability

    calm = report(points, cams, states | {"c11": ok("c11")}, [standard()]).standards[0].towns[0]
    assert (calm.met, calm.since, calm.since_known) == (True, NOW - 7 * DAY, False)  # "or earlier"


def test_only_the_standards_towns_and_unknown_town_names_reported() -> None:
    """A standard applies to its towns only; a town it names that the inventory lacks is listed, not invented."""
    a = base_village("甲村", 1)
    other = [sp("P90", "外村", "村口", town="梅街镇")]
    r = report(a[0] + other, a[1], a[2], [standard(towns=[TOWN, "不存在镇"])])
    assert [t.town for t in r.standards[0].towns] == [TOWN]
    assert r.standards[0].unknown_towns == ("不存在镇",)


def test_json_adds_standards_and_changes_nothing_else() -> None:
    """Without standards there is no `standards` key; with one, every other key is exactly as before and the
    key holds the town's verdict, the short village with its lacks and the to-do list."""
    points, cams, states = base_village("甲村", 1)
    states["c11"] = down("c11", NOW - 2 * DAY)
    plain = report_to_json(report(points, cams, states, []))
    assert "standards" not in plain
    full = report_to_json(report(points, cams, states, [standard()]))
    assert {k: v for k, v in full.items() if k != "standards"} == plain
    (std,) = full["standards"]
    assert (std["name"], std["villages"], std["villages_met"], std["met_rate"]) == ("高标准全覆盖", 1, 0, 0.0)
    (town,) = std["towns"]
    assert (town["town"], town["met"], town["since_known"]) == (TOWN, False, True)
    assert town["since"] == "2026-11-25T00:00:00+08:00"
    assert town["short"][0]["lacks"] == [{"lack": "broken", "site_type": "学校"}]
    assert town["matrix"][0]["cells"]["村口"] == "working"
    assert [(t["rank"], t["action"], t["camera_id"]) for t in town["todo"]] == [(1, "repair", "c11")]


def test_csv_adds_two_columns_per_standard() -> None:
    """The fixed columns stay first and unchanged; each standard adds 达标 (是/否/未知) and 缺项 (in Chinese)."""
    points, cams, states = base_village("甲村", 1)
    states["c11"] = down("c11")
    plain = render_csv(report(points, cams, states, []))
    assert next(csv.reader(io.StringIO(plain.decode("utf-8-sig")))) == list(CSV_COLUMNS)
    rows = list(csv.reader(io.StringIO(render_csv(report(points, cams, states, [standard()])).decode("utf-8-sig"))))
    assert rows[0] == [*CSV_COLUMNS, "高标准全覆盖·达标", "高标准全覆盖·缺项"]
    assert rows[1][-2:] == ["否", "学校故障"]
    assert rows[1][: len(CSV_COLUMNS)] == next(csv.reader(io.StringIO(plain.decode("utf-8-sig").split("\r\n")[1])))


def test_html_section_escapes_every_name() -> None:
    """A hostile standard name, site type, town and village are shown whole and inert in the matrix."""
    names = {"standard": hostile("子标准"), "site type": hostile("丑部位"), "town": hostile("寅镇")}
    names["village"] = hostile("卯村")
    points = [
        PointRecord("P1", names["town"], names["village"], "x", None, None, "一村一探头", site_type=names["site type"])
    ]
    cfg = CoverageConfig.model_validate(
        {
            "site_types": [names["site type"]],
            "standard": [{"name": names["standard"], "require_site_types": [names["site type"]]}],
        }
    )
    r = report(points, [], {}, cfg.standard)
    page = render_html(r, title="标准", generated_at=NOW)
    assert "cell-not_built" in page
    assert_inert(page, names)


def test_metrics_follow_the_verdict_and_stay_away_without_standards() -> None:
    """`camfleet_standard_met` and `camfleet_village_standard_met` are 1 only when known met, their `_known`
    twins 0 while unchecked cameras decide; no standard configured, no family at all."""
    a, b = base_village("甲村", 1), base_village("乙村", 2)
    del b[2]["c21"]  # unknown
    points, cams, states = a[0] + b[0], a[1] + b[1], a[2] | b[2]
    assert standard_families([], points, cams, states) == []
    fams = {f.name: f for f in standard_families([standard()], points, cams, states)}
    samples = {name: dict(fam.rows) for name, fam in fams.items()}
    assert samples["camfleet_standard_met"] == {("高标准全覆盖", TOWN): 0.0}
    assert samples["camfleet_standard_known"] == {("高标准全覆盖", TOWN): 0.0}
    assert samples["camfleet_village_standard_met"] == {
        ("高标准全覆盖", TOWN, "甲村"): 1.0,
        ("高标准全覆盖", TOWN, "乙村"): 0.0,
    }
    assert samples["camfleet_village_standard_known"][("高标准全覆盖", TOWN, "乙村")] == 0.0
    b[2]["c21"] = ok("c21")
    assert judge_now([standard()], points, cams, a[2] | b[2])["高标准全覆盖"][TOWN][0] is True
