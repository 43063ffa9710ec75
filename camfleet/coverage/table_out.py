"""``render_table``: the terminal view (rich): district KPIs, one row per town, villages without coverage.

Names from the inventory go in as ``Text`` (never markup), so a village called ``[red]x`` prints as written.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from camfleet.coverage.fmt import duration, local, pct, provisional_line, unreviewed_line
from camfleet.coverage.kpi import Kpis
from camfleet.coverage.report import ALL, CoverageReport


def _frac(num: int, den: int) -> str:
    return f"{num}/{den}"


def _kpi_table(report: CoverageReport) -> Table:
    scope = report.town or "全区 district"
    table = Table(title=f"{escape(scope)} · {report.window.label} · {local(report.generated_at)}", title_justify="left")
    for header in (
        "项目 programme",
        "村覆盖 villages",
        "覆盖率",
        "点位 规划/安装/验收/覆盖",
        "点位覆盖率",
        "摄像机",
        "在线率",
        "完好率",
    ):
        table.add_column(header, justify="left" if header.startswith("项目") else "right")
    for name, k in report.district.by_program.items():
        label = "全部 all" if name == ALL else name
        table.add_row(Text(label), *_kpi_cells(k))
    return table


def _kpi_cells(k: Kpis) -> list[str]:
    return [
        _frac(k.villages_covered, k.villages),
        pct(k.coverage_rate),
        f"{k.points_planned}/{k.points_installed}/{k.points_accepted}/{k.points_covered}",
        pct(k.point_coverage_rate),
        str(k.cameras),
        pct(k.online_rate),
        pct(k.working_rate),
    ]


def _town_table(report: CoverageReport) -> Table:
    table = Table(title="镇街 towns", title_justify="left")
    table.add_column("镇街")
    for header in (
        "村覆盖",
        "覆盖率",
        "未知村",
        "点位 规划/安装/验收/覆盖",
        "摄像机",
        "在线率",
        "完好率",
        "待审核",
        "可用率",
        "修复时长 MTTR",
    ):
        table.add_column(header, justify="right")
    for t in report.towns:
        k = t.kpis
        cov = pct(k.coverage_rate)
        table.add_row(
            Text(t.name),
            _frac(k.villages_covered, k.villages),
            Text(cov, style="green" if k.coverage_rate == 1 else "red" if (k.coverage_rate or 0) < 0.9 else ""),
            str(k.villages_unknown),
            f"{k.points_planned}/{k.points_installed}/{k.points_accepted}/{k.points_covered}",
            str(k.cameras),
            pct(k.online_rate),
            pct(k.working_rate),
            str(k.cameras_unreviewed),
            pct(t.availability.availability),
            duration(t.mttr_s),
        )
    return table


def _uncovered_table(report: CoverageReport) -> Table:
    table = Table(
        title=f"无可用摄像机的村 villages without a working camera: {len(report.uncovered_villages)}",
        title_justify="left",
    )
    for header in ("镇街", "行政村", "点位", "摄像机", "状态 statuses", "可用率"):
        table.add_column(header)
    for v in report.uncovered_villages:
        statuses = ", ".join(f"{s} {n}" for s, n in v.kpis.cameras_by_status.items()) or "无摄像机 no camera"
        table.add_row(
            Text(v.town),
            Text(v.village),
            str(v.kpis.points_planned),
            str(v.kpis.cameras),
            statuses,
            pct(v.availability.availability),
        )
    return table


def render_table(report: CoverageReport, console: Console) -> None:
    """Print the report's terminal view on ``console``."""
    console.print(_kpi_table(report))
    d = report.district
    console.print(
        f"可用率 availability {pct(d.availability.availability)} · 未知 unknown {pct(d.availability.unknown_fraction)}"
        f" · 故障 outages {d.outages} · MTTR {duration(d.mttr_s)} · 待修 repairs {len(report.repairs)}",
        highlight=False,
    )
    console.print(unreviewed_line(d.kpis), highlight=False, markup=False, soft_wrap=True)
    console.print(provisional_line(d.kpis), highlight=False, markup=False, soft_wrap=True)
    console.print(_town_table(report))
    console.print(_uncovered_table(report))
    if report.unknown_villages:
        names = "、".join(f"{v.town}/{v.village}" for v in report.unknown_villages[:30])
        more = f" … +{len(report.unknown_villages) - 30}" if len(report.unknown_villages) > 30 else ""
        console.print(
            f"未检测的村 villages not checked yet ({len(report.unknown_villages)}): {names}{more}",
            highlight=False,
            markup=False,
        )
    if report.standards:
        from camfleet.coverage.standards_table import render_standards

        render_standards(report.standards, console)
