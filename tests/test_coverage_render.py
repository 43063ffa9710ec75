"""The renderers: JSON contract, CSV for Excel/WPS, the self-contained HTML page, the terminal table."""

from __future__ import annotations

import csv
import io
import json
import re

from coverage_helpers import NEW, NOW, district, point
from rich.console import Console

from camfleet.coverage import (
    CSV_COLUMNS,
    build_report,
    parse_window,
    render_csv,
    render_html,
    render_table,
    report_to_json,
)
from camfleet.coverage.html_out import thumbnail_uri
from camfleet.coverage.report import CoverageReport
from camfleet.model import PointStatus

EVIL = "<script>alert(1)</script>"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _report(**kw: object) -> CoverageReport:
    points, cams, states = district()
    points.append(point("P9", "河口镇", EVIL, NEW, PointStatus.PLANNED))  # no camera: an uncovered village
    return build_report(points, cams, states, [], now=NOW, window=parse_window("7d", now=NOW), **kw)  # type: ignore[arg-type]


def test_json_contract() -> None:
    """One object with district/towns/villages/points/uncovered_villages; rates on district and towns;
    each village has town, village and covered as true/false/null; it survives json.dumps."""
    data = json.loads(json.dumps(report_to_json(_report()), ensure_ascii=False))
    for key in ("district", "towns", "villages", "points", "uncovered_villages"):
        assert key in data
    for area in [data["district"], *data["towns"]]:
        for rate in ("coverage_rate", "online_rate", "working_rate"):
            assert rate in area
    assert data["district"]["coverage_rate"] == 0.4  # 2 of 5 villages (the evil one has no camera)
    covered = {(v["town"], v["village"]): v["covered"] for v in data["villages"]}
    assert covered[("城关镇", "西村")] is None and covered[("城关镇", "东村")] is True
    assert covered[("河口镇", EVIL)] is False
    assert {v["village"] for v in data["uncovered_villages"]} == {"北村", EVIL}
    assert data["district"]["by_program"][NEW]["points_planned"] == 5


def test_csv_has_bom_and_round_trips_chinese() -> None:
    """The CSV starts with the UTF-8 BOM, reads back with utf-8-sig into the documented header and one row per
    village with the names intact."""
    raw = render_csv(_report())
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_village = {r[1]: r for r in rows[1:]}
    assert len(rows) - 1 == 5 and by_village["西村"][3] == "未知" and by_village["东村"][3] == "是"
    assert by_village[EVIL][0] == "河口镇"
    assert by_village["东村"][CSV_COLUMNS.index("在线率(%)")] == "50.0"


def test_html_is_self_contained_and_escaped() -> None:
    """No http(s) src/href, no <script> at all (the evil village is escaped), the uncovered villages listed,
    and a JPEG thumbnail inlined as a data: URI."""
    points, cams, states = district()
    points.append(point("P9", "河口镇", EVIL, NEW, PointStatus.PLANNED))
    report = build_report(
        points,
        cams,
        states,
        [],
        now=NOW,
        window=parse_window("7d", now=NOW),
        thumbnails={"c3": JPEG, "c7": b"GIF89a not allowed"},
    )
    page = render_html(report, title="覆盖 <b>", generated_at=NOW)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "覆盖 &lt;b&gt;" in page
    assert "北村" in page and "镜头被遮挡" in page
    assert page.count("data:image/jpeg;base64,") == 1 and "GIF89a" not in page
    assert "<svg" in page and "<circle" in page


def test_html_town_links_are_relative_and_encoded() -> None:
    """The live page's town links stay on the page (?town=…), URL-encoded and escaped; it links the review
    page beside the unreviewed count, which a written file (no server behind it) does not."""
    page = render_html(_report(), title="t", generated_at=NOW, town_filter_links=True)
    assert 'href="?town=%E5%9F%8E%E5%85%B3%E9%95%87"' in page  # 城关镇
    assert 'href="/review"' in page
    written = render_html(_report(), title="t", generated_at=NOW)
    assert written.count("?town=") == 0 and "/review" not in written


def test_thumbnail_only_for_real_images() -> None:
    """JPEG and PNG magic numbers become data: URIs; anything else (or nothing) does not."""
    assert thumbnail_uri(JPEG) is not None and thumbnail_uri(JPEG).startswith("data:image/jpeg;base64,")  # type: ignore[union-attr]
    assert thumbnail_uri(b"\x89PNG\r\n\x1a\n....") is not None
    assert thumbnail_uri(b"<svg onload=alert(1)>") is None and thumbnail_uri(None) is None


def test_table_prints_names_verbatim() -> None:
    """The terminal table shows towns and the uncovered villages; a name with rich markup prints as written."""
    points, cams, states = district()
    points.append(point("P9", "河口镇", "[red]红村[/red]", NEW, PointStatus.PLANNED))
    report = build_report(points, cams, states, [], now=NOW, window=parse_window("7d", now=NOW))
    console = Console(file=io.StringIO(), width=200, color_system=None)
    render_table(report, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "城关镇" in text and "北村" in text and "[red]红村[/red]" in text


def test_nothing_known_is_a_dash_and_faults_read_in_chinese() -> None:
    """Before any camera is checked the rates are null in JSON and "—" on the page, never 0.0 %; once checked,
    the repair list says each status and reason in Chinese (离线（超时）), keeping the machine words after them.
    (A planned point with no camera is known to be uncovered, so point coverage can be a true 0 %.)"""
    points, cams, states = district()
    unchecked = build_report(points, cams, {}, [], now=NOW, window=parse_window("7d", now=NOW))
    doc = report_to_json(unchecked)
    assert (doc["district"]["online_rate"], doc["district"]["working_rate"]) == (None, None)
    assert unchecked.district.availability.availability is None
    text = re.sub(r"<[^>]+>", " ", render_html(unchecked, title="t", generated_at=NOW))
    for card in ("在线率 online", "完好率 working", "可用率 availability (7d)"):
        assert text.split(card, 1)[1].split()[0] == "—", card
    report = build_report(points, cams, states, [], now=NOW, window=parse_window("7d", now=NOW))
    checked = render_html(report, title="t", generated_at=NOW)
    repairs = checked.split("待修 repair list", 1)[1]
    assert "离线（超时） offline/timeout" in repairs and "认证失败（密码错误） auth_failed/password" in repairs
    assert " / refused" not in checked and " / malformed" not in checked
