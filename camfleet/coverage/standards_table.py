"""The standards in the terminal view: per standard, its towns (met since when) and the villages short of it
with what each lacks, then the first items of the to-do list. Names go in as ``Text``, never markup."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from camfleet.coverage.fmt import covered_word, local, pct
from camfleet.coverage.standards import lack_words, site_label
from camfleet.coverage.standards_report import ACTION_ZH, StandardResult

TODO_SHOWN = 20


def _since(since: float | None, known: bool) -> str:
    if since is None:
        return "—"
    return local(since) + ("" if known else " 或更早 or earlier")


def _rule(result: StandardResult) -> str:
    std = result.standard
    parts = ["、".join(site_label(t) for t in std.require_site_types) or "任一点位 any point"]
    if std.min_working_rate is not None:
        parts.append(f"完好率 ≥ {pct(std.min_working_rate)}")
    if std.min_availability is not None:
        parts.append(f"可用率 ≥ {pct(std.min_availability)}")
    return " · ".join(parts)


def render_standards(results: list[StandardResult], console: Console) -> None:
    """Print every standard's section on ``console``."""
    for result in results:
        std = result.standard
        towns = Table(title=escape(f"标准 standard {std.name}: {_rule(result)}"), title_justify="left")
        for header in ("镇街", "达标 met", "自 since", "达标村", "未知村", "待办 to do"):
            towns.add_column(header)
        for t in result.towns:
            met = sum(v.met is True for v in t.villages)
            unknown = sum(v.met is None for v in t.villages)
            style = "green" if t.met is True else "red" if t.met is False else ""
            towns.add_row(
                Text(t.town),
                Text(covered_word(t.met), style=style),
                _since(t.since, t.since_known),
                f"{met}/{len(t.villages)}",
                str(unknown),
                str(len(t.todo)),
            )
        console.print(towns)
        if result.unknown_towns:
            console.print(
                f"不在台账中的镇街 towns not in the inventory: {'、'.join(result.unknown_towns)}",
                highlight=False,
                markup=False,
            )
        short = Table(title=escape(f"{std.name} 未达标的村 villages short of it"), title_justify="left")
        for header in ("镇街", "行政村", "达标", "缺项 lacks"):
            short.add_column(header)
        for t in result.towns:
            for v in t.short:
                short.add_row(
                    Text(t.town),
                    Text(v.village),
                    covered_word(v.met),
                    Text("、".join(lack_words(lack) for lack in v.lacks)),
                )
        console.print(short)
        todo = Table(
            title=escape(f"{std.name} 待办 to do (维修 repair / 建设 build / 确认 check)"), title_justify="left"
        )
        for header in ("#", "镇街", "行政村", "做 action", "部位", "点位", "摄像机"):
            todo.add_column(header)
        items = [item for t in result.towns for item in t.todo]
        for item in items[:TODO_SHOWN]:
            todo.add_row(
                str(item.rank),
                Text(item.town),
                Text(item.village),
                ACTION_ZH[item.action],
                Text(site_label(item.site_type) if item.site_type else "完好率 working rate"),
                Text(item.point_id or "新点位 new point"),
                Text(item.camera_id),
            )
        console.print(todo)
        if len(items) > TODO_SHOWN:
            console.print(f"… +{len(items) - TODO_SHOWN} (--format json/csv/html)", highlight=False, markup=False)
