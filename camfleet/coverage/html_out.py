"""``render_html``: one self-contained HTML page (inline CSS and SVG, no script, nothing fetched).

Served live by the web layer at ``/coverage`` and written by ``camfleet coverage --format html``. Every
name and detail comes from the inventory or from cameras and is escaped; thumbnails become ``data:`` URIs
only when their bytes really are JPEG or PNG.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape
from urllib.parse import quote

from camfleet.coverage.fmt import covered_word, duration, local, pct, provisional_line, unreviewed_line
from camfleet.coverage.report import ALL, CoverageReport, RepairItem
from camfleet.coverage.svg import point_map, town_bars, trend_chart
from camfleet.maintenance import SCOPE_ZH
from camfleet.model import status_words

MAX_THUMBNAIL_BYTES = 256 * 1024
CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Zen Hei",sans-serif;
margin:0;padding:16px 24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.muted{color:#777}.small{font-size:11px}svg text{font-size:12px;fill:#333}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:6px;padding:10px 14px;min-width:130px}
.card .v{font-size:24px;font-weight:600}.card .l{font-size:12px;color:#666}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:4px 0}
th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f0f0}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:24px}.grid>div{flex:1 1 560px;min-width:0;max-width:680px}
.chart{max-width:660px;width:100%;background:#fff}
.bad{color:#c62828;font-weight:600}.good{color:#2e7d32}.unk{color:#777}
nav a{margin-right:10px}img.thumb{max-width:160px;max-height:90px}
.bar{background:#eee;width:160px;height:10px;display:inline-block}
.bar span{background:#2e7d32;height:10px;display:block}.maint{color:#8d6e00}
"""
MAINT_SPAN = ' <span class="maint">维护中 under maintenance</span>'
_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def thumbnail_uri(data: bytes | None) -> str | None:
    """A ``data:`` URI for JPEG or PNG bytes (checked by their magic number), else None."""
    if not data or len(data) > MAX_THUMBNAIL_BYTES:
        return None
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return None


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: frozenset[int] = frozenset()) -> str:
    """A table; cells are already-escaped HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cards(report: CoverageReport) -> str:
    d = report.district
    k = d.kpis
    cards = [
        ("覆盖率 villages covered", pct(k.coverage_rate), f"{k.villages_covered}/{k.villages} 村"),
        ("点位覆盖率 points covered", pct(k.point_coverage_rate), f"{k.points_covered}/{k.points_planned} 点位"),
        ("在线率 online", pct(k.online_rate), f"{k.cameras_up}/{k.cameras} 摄像机"),
        ("完好率 working", pct(k.working_rate), f"{k.cameras_ok}/{k.cameras} 摄像机"),
        (
            f"可用率 availability ({report.window.label})",
            pct(d.availability.availability),
            f"未知 unknown {pct(d.availability.unknown_fraction)}",
        ),
        ("平均修复 MTTR", duration(d.mttr_s), f"{d.outages} 次故障 outages"),
        ("无覆盖村 uncovered villages", str(len(report.uncovered_villages)), f"未检测 {len(report.unknown_villages)}"),
        ("待修 repairs", str(len(report.repairs)), "摄像机 cameras"),
        ("待审核 unreviewed", str(k.cameras_unreviewed), "首批画面存疑 doubtful first pictures"),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="l">{_e(label)}</div><div class="v">{_e(value)}</div>'
            f'<div class="l">{_e(note)}</div></div>'
            for label, value, note in cards
        )
        + "</div>"
    )


def _programs(report: CoverageReport) -> str:
    rows = []
    for name, k in report.district.by_program.items():
        rows.append(
            [
                _e("全部 all" if name == ALL else name),
                f"{k.villages_covered}/{k.villages}",
                pct(k.coverage_rate),
                str(k.points_planned),
                str(k.points_installed),
                str(k.points_accepted),
                str(k.points_covered),
                pct(k.point_coverage_rate),
                str(k.cameras),
                pct(k.online_rate),
                pct(k.working_rate),
            ]
        )
    return _table(
        [
            "项目",
            "村覆盖",
            "覆盖率",
            "规划",
            "已安装",
            "已验收",
            "覆盖点位",
            "点位覆盖率",
            "摄像机",
            "在线率",
            "完好率",
        ],
        rows,
        frozenset(range(1, 11)),
    )


def _towns(report: CoverageReport) -> str:
    rows = [
        [
            _e(t.name),
            f"{t.kpis.villages_covered}/{t.kpis.villages}",
            pct(t.kpis.coverage_rate),
            str(t.kpis.villages_unknown),
            f"{t.kpis.points_covered}/{t.kpis.points_planned}",
            str(t.kpis.cameras),
            pct(t.kpis.online_rate),
            pct(t.kpis.working_rate),
            str(t.kpis.cameras_unreviewed),
            pct(t.availability.availability),
            _e(duration(t.mttr_s)),
        ]
        for t in report.towns
    ]
    return _table(
        ["镇街", "村覆盖", "覆盖率", "未检测村", "覆盖点位", "摄像机", "在线率", "完好率", "待审核", "可用率", "MTTR"],
        rows,
        frozenset(range(1, 11)),
    )


def _villages(report: CoverageReport) -> str:
    if not report.uncovered_villages and not report.unknown_villages:
        return '<p class="good">每个村都有可用的摄像机。Every village has a working camera.</p>'
    rows = []
    for v in report.uncovered_villages + report.unknown_villages:
        statuses = (
            ", ".join(f"{status_words(s)} {n}" for s, n in v.kpis.cameras_by_status.items()) or "无摄像机 no camera"
        )
        css = "bad" if v.covered is False else "unk"
        held = (
            ' <span class="maint">维护中 under maintenance</span>'
            if (v.town, v.village) in report.held_villages
            else ""
        )
        rows.append(
            [
                _e(v.town),
                _e(v.village),
                f'<span class="{css}">{_e(covered_word(v.covered))}</span>{held}',
                str(v.kpis.points_planned),
                str(v.kpis.cameras),
                _e(statuses),
                pct(v.availability.availability),
            ]
        )
    return _table(["镇街", "行政村", "覆盖", "点位", "摄像机", "状态", "可用率"], rows, frozenset({3, 4, 6}))


def _repair_row(r: RepairItem) -> list[str]:
    uri = thumbnail_uri(r.thumbnail)
    thumb = f'<img class="thumb" alt="{_e(r.camera_id)}" src="{uri}">' if uri else ""
    what = _e(status_words(r.status, r.reason))
    if r.maintenance is not None:
        until = local(r.maintenance.until)
        what += f'<br><span class="maint">维护中 under maintenance, 至 until {_e(until)} (#{r.maintenance.id})</span>'
    return [
        _e(r.camera_id),
        _e(r.town),
        _e(r.village),
        _e(f"{r.point_name} ({r.point_id})"),
        what,
        _e(r.detail),
        _e(local(r.since)),
        thumb,
    ]


def _history(report: CoverageReport) -> str:
    end = report.window.end
    longest = [
        [
            _e(o.outage.camera_id),
            _e(o.town),
            _e(o.village),
            _e(status_words(o.outage.status)),
            _e(local(o.outage.start) + ("" if o.outage.start_known else " 或更早 or earlier")),
            _e(local(o.outage.end) if o.outage.end is not None else "未恢复 ongoing"),
            _e(duration(o.outage.duration_s(end))),
        ]
        for o in report.longest_outages
    ]
    offenders = [[_e(o.camera_id), _e(duration(o.outage_s)), str(o.outages)] for o in report.offenders_by_time]
    return (
        "<h3>最长故障 longest outages</h3>"
        + _table(["摄像机", "镇街", "行政村", "状态", "开始", "结束", "时长"], longest, frozenset({6}))
        + "<h3>故障最多 chronic offenders</h3>"
        + _table(["摄像机", "故障时长", "故障次数"], offenders, frozenset({1, 2}))
    )


def _progress(report: CoverageReport) -> str:
    parts = []
    for prog in report.progress:
        rows = [
            [
                _e(m.month),
                str(m.installed),
                str(m.accepted),
                f"{m.installed_total}/{m.plan}",
                f'<span class="bar"><span style="width:{100 * m.accepted_total / max(1, m.plan):.0f}%"></span></span>'
                f" {m.accepted_total}/{m.plan}",
            ]
            for m in prog.months
        ]
        undated = f"（无日期 undated: 安装 {prog.installed_undated}, 验收 {prog.accepted_undated}）"
        parts.append(
            f"<h3>{_e(prog.program)} · 规划 plan {prog.plan} {_e(undated)}</h3>"
            + (
                _table(["月份", "安装", "验收", "累计安装", "累计验收"], rows, frozenset({1, 2, 3}))
                if rows
                else '<p class="muted">没有日期 no dates</p>'
            )
        )
    return "".join(parts)


def _maintenance(report: CoverageReport) -> str:
    """The active maintenance windows: their alerts are held; their cameras still count as not working."""
    head = f"<h2>维护窗口 maintenance windows ({len(report.maintenance)})</h2>"
    if not report.maintenance:
        return head + '<p class="muted">没有生效的维护窗口。No maintenance window is active.</p>'
    rows = [
        [str(w.id), _e(f"{SCOPE_ZH[w.scope]} {w.scope.value}"), _e(w.target), _e(local(w.until)), _e(w.reason),
         _e(w.created_by)]
        for w in report.maintenance
    ]  # fmt: skip
    note = (
        '<p class="small muted">维护期间告警暂停; 摄像机仍按实际状态计入在线率和完好率。'
        "Alerts are held during a window; its cameras still count as they are in the online and working rates.</p>"
    )
    return head + _table(["#", "范围 scope", "对象 target", "至 until", "原因 reason", "登记 by"], rows) + note


def _town_links(report: CoverageReport) -> str:
    links = ['<a href="?">全区 all</a>'] + [f'<a href="?town={_e(quote(t))}">{_e(t)}</a>' for t in report.all_towns]
    return "<nav>" + " ".join(links) + "</nav>"


def _standards(report: CoverageReport) -> str:
    if not report.standards:
        return ""  # the page stays exactly as before without standards
    from camfleet.coverage.standards_html import standards_sections

    return standards_sections(report.standards)


def render_html(report: CoverageReport, *, title: str, generated_at: float, town_filter_links: bool = False) -> str:
    """The report as one HTML document. ``town_filter_links`` adds ``?town=…`` links (for the live page)."""
    scope = report.town or "全区 district"
    if report.program:
        scope += f" · {report.program}"
    sections = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">{_e(scope)} · 窗口 window {_e(report.window.label)} · '
        f"生成 generated {_e(local(generated_at))}</p>",
        _town_links(report) if town_filter_links else "",
        _cards(report),
        f'<p class="unrev">{_e(unreviewed_line(report.district.kpis))}'
        + (' <a href="/review">审核 review</a>' if town_filter_links else "")
        + "</p>",
        f'<p class="muted">{_e(provisional_line(report.district.kpis))}</p>',
        _programs(report),
        '<div class="grid"><div><h2>镇街 towns</h2>',
        town_bars(report.towns),
        "</div>",
        "<div><h2>每日可用率 daily availability</h2>",
        trend_chart(report.trend),
        '<p class="small muted">绿线: 村覆盖时间占比; 灰线: 未检测时间占比</p></div></div>',
        _towns(report),
        "<h2>点位地图 map of points</h2>",
        point_map(report.points),
        '<p class="small"><span class="good">● 覆盖 covered</span> <span class="bad">● 未覆盖 not covered</span> '
        '<span class="unk">● 未检测 unknown</span></p>',
        _standards(report),
        _maintenance(report),
        f"<h2>无可用摄像机的村 villages without a working camera ({len(report.uncovered_villages)}"
        f" + 未检测 not checked {len(report.unknown_villages)})</h2>",
        _villages(report),
        f"<h2>待修 repair list ({len(report.repairs)})</h2>",
        _table(
            ["摄像机", "镇街", "行政村", "点位", "故障", "详情", "自", "截图"], (_repair_row(r) for r in report.repairs)
        ),
        "<h2>故障历史 outage history</h2>",
        _history(report),
        "<h2>建设进度 build progress</h2>",
        _progress(report),
    ]
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>" + "".join(sections) + "</body></html>\n"
    )
