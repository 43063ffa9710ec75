"""``render_csv``: one row per village, for Excel and WPS.

UTF-8 with a byte-order mark (without it Excel on Chinese Windows reads the file as GBK and garbles every
name), CRLF line ends, Chinese headers as planners' spreadsheets use them. Percentages are plain numbers
(one decimal) so the spreadsheet can sort and chart them; an empty cell means "undefined" (no cameras).
"""

from __future__ import annotations

import csv
import io

from camfleet.coverage.fmt import covered_word
from camfleet.coverage.report import CoverageReport
from camfleet.coverage.standards import lack_words

#: The header row, in order (documented in docs/coverage.md with the meaning of each column).
CSV_COLUMNS = (
    "镇街",  # town
    "行政村",  # village
    "项目",  # programmes with points in the village
    "是否覆盖",  # covered now: 是 / 否 / 未知
    "规划点位",  # planned (non-retired) points
    "已安装点位",  # installed or accepted
    "已验收点位",  # accepted
    "覆盖点位",  # points with a working camera now
    "点位覆盖率(%)",  # covered points / planned points
    "摄像机",  # cameras at planned points
    "在线",  # cameras up
    "完好",  # cameras ok
    "未检测",  # cameras never checked
    "在线率(%)",
    "完好率(%)",
    "可用率(%)",  # share of the window the village was covered
    "未知时间(%)",  # share of the window before the first check
    "待审核",  # cameras with doubtful first pictures no person has approved (counted as not working)
    "待确认",  # working cameras judged on their first pictures alone (provisional baseline; counted as working)
)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}"


def _standard_cells(report: CoverageReport) -> tuple[list[str], dict[tuple[str, str], list[str]]]:
    """Two columns per standard (达标: 是/否/未知; 缺项: what the village lacks), empty where it does not apply."""
    headers: list[str] = []
    cells: dict[tuple[str, str], list[str]] = {}
    for i, result in enumerate(report.standards):
        name = result.standard.name
        headers += [f"{name}·达标", f"{name}·缺项"]
        for town in result.towns:
            for v in town.villages:
                row = cells.setdefault((town.town, v.village), [""] * (2 * len(report.standards)))
                row[2 * i] = covered_word(v.met)
                row[2 * i + 1] = "、".join(lack_words(lack) for lack in v.lacks)
    return headers, cells


def render_csv(report: CoverageReport) -> bytes:
    """The villages of the report as CSV bytes: UTF-8 with BOM, CRLF, header row first. With standards
    configured, two columns per standard follow the fixed ones."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    extra_headers, extra = _standard_cells(report)
    blank = [""] * len(extra_headers)
    writer.writerow([*CSV_COLUMNS, *extra_headers])
    for v in report.villages:
        k = v.kpis
        writer.writerow(
            [
                v.town,
                v.village,
                "、".join(v.programs),
                covered_word(v.covered),
                k.points_planned,
                k.points_installed,
                k.points_accepted,
                k.points_covered,
                _pct(k.point_coverage_rate),
                k.cameras,
                k.cameras_up,
                k.cameras_ok,
                k.cameras_unknown,
                _pct(k.online_rate),
                _pct(k.working_rate),
                _pct(v.availability.availability),
                _pct(v.availability.unknown_fraction),
                k.cameras_unreviewed,
                k.cameras_provisional,
                *extra.get((v.town, v.village), blank),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
