"""The standards on the HTML page: a section per standard with its towns (met, since when), a matrix of
villages × site types (green working, amber broken, red not built, grey not planned, white unknown), what
each village lacks, and the to-do list. Every name is escaped."""

from __future__ import annotations

from html import escape

from camfleet.coverage.fmt import covered_word, local, pct
from camfleet.coverage.standards import BROKEN, CELL_ZH, NOT_BUILT, UNKNOWN, UNPLANNED, WORKING, lack_words, site_label
from camfleet.coverage.standards_report import ACTION_ZH, StandardResult, TownStanding

#: Cell colours (background, text): the legend and the tests use the same table.
CELL_STYLE = {
    WORKING: ("#2e7d32", "#fff"),
    BROKEN: ("#ef6c00", "#fff"),
    NOT_BUILT: ("#c62828", "#fff"),
    UNPLANNED: ("#9e9e9e", "#fff"),
    UNKNOWN: ("#ffffff", "#555"),
}
CSS = """
table.matrix td.c{text-align:center;font-size:12px;min-width:44px}
table.matrix th.req{background:#e3f2fd}
.std-met{color:#2e7d32;font-weight:600}.std-no{color:#c62828;font-weight:600}.std-unk{color:#777;font-weight:600}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _verdict(met: bool | None) -> str:
    css = "std-met" if met is True else "std-no" if met is False else "std-unk"
    return f'<span class="{css}">{_e(covered_word(met))}</span>'


def _cell(state: str) -> str:
    bg, fg = CELL_STYLE[state]
    return f'<td class="c cell-{state}" style="background:{bg};color:{fg}">{_e(CELL_ZH[state])}</td>'


def _legend() -> str:
    items = "".join(
        f'<span style="display:inline-block;padding:1px 6px;margin-right:6px;border:1px solid #ccc;'
        f'background:{bg};color:{fg}">{_e(CELL_ZH[state])} {_e(state)}</span>'
        for state, (bg, fg) in CELL_STYLE.items()
    )
    return f'<p class="small">{items}</p>'


def _rule(result: StandardResult) -> str:
    std = result.standard
    parts = ["必需部位 required: " + ("、".join(std.require_site_types) or "任一点位 any point")]
    if std.min_working_rate is not None:
        parts.append(f"完好率 working rate ≥ {pct(std.min_working_rate)}")
    if std.min_availability is not None:
        parts.append(f"可用率 availability ≥ {pct(std.min_availability)}")
    towns = "、".join(std.towns) or "全部镇街 every town"
    return _e(f"{towns} · " + " · ".join(parts))


def _towns(result: StandardResult) -> str:
    rows = []
    for t in result.towns:
        since = "—" if t.since is None else local(t.since) + ("" if t.since_known else " 或更早 or earlier")
        met = sum(v.met is True for v in t.villages)
        rows.append(
            f"<tr><td>{_e(t.town)}</td><td>{_verdict(t.met)}</td><td>{_e(since)}</td>"
            f'<td class="n">{met}/{len(t.villages)}</td><td class="n">{len(t.short)}</td>'
            f'<td class="n">{len(t.todo)}</td></tr>'
        )
    head = "".join(f"<th>{h}</th>" for h in ("镇街", "达标 met", "自 since", "达标村", "未达标村", "待办 to do"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _matrix(result: StandardResult, town: TownStanding) -> str:
    required = set(result.standard.require_site_types) or {""}
    head = "<th>行政村</th><th>达标</th>" + "".join(
        f'<th class="{"req" if t in required else ""}">{_e(site_label(t))}{" ★" if t in required else ""}</th>'
        for t in result.columns
    )
    head += "<th>完好率</th><th>缺项 lacks</th>"
    rows = []
    for v in town.villages:
        cells = "".join(_cell(v.now.cells[t]) for t in result.columns)
        lacks = "、".join(lack_words(lack) for lack in v.lacks)
        rows.append(
            f"<tr><td>{_e(v.village)}</td><td>{_verdict(v.met)}</td>{cells}"
            f'<td class="n">{_e(pct(v.now.working_rate))}</td><td>{_e(lacks)}</td></tr>'
        )
    return (
        f"<h3>{_e(town.town)} · {_verdict(town.met)}</h3>"
        f'<table class="matrix"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _todo(result: StandardResult) -> str:
    rows = []
    for t in result.towns:
        for item in t.todo:
            what = ACTION_ZH[item.action]
            site = site_label(item.site_type) if item.site_type else "完好率 working rate"
            since = local(item.since) if item.camera_id else ""
            rows.append(
                "<tr>"
                + "".join(
                    f"<td>{_e(c)}</td>"
                    for c in (
                        item.rank, t.town, item.village, what, site, item.point_id or "新点位 new point",
                        item.camera_id, item.status, since,
                    )
                )
                + "</tr>"
            )  # fmt: skip
    if not rows:
        return '<p class="good">无待办 nothing to do.</p>'
    head = "".join(f"<th>{h}</th>" for h in ("#", "镇街", "行政村", "做", "部位", "点位", "摄像机", "状态", "自"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def standards_sections(results: list[StandardResult]) -> str:
    """Every standard's section, with the matrix legend once."""
    if not results:
        return ""
    parts = [f"<style>{CSS}</style>"]
    for result in results:
        parts.append(f"<h2>标准 standard: {_e(result.standard.name)}</h2><p>{_rule(result)}</p>")
        if result.unknown_towns:
            parts.append(
                f'<p class="bad">不在台账中的镇街 towns not in the inventory: {_e("、".join(result.unknown_towns))}</p>'
            )
        parts.append(_towns(result))
        parts.append(_legend())
        parts.extend(_matrix(result, town) for town in result.towns)
        parts.append(f"<h3>{_e(result.standard.name)} 待办 to do (维修 repair / 建设 build / 确认 check)</h3>")
        parts.append(_todo(result))
    return '<section class="standards">' + "".join(parts) + "</section>"
