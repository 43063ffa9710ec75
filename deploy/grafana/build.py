"""Build camfleet's Grafana dashboards as JSON with Grafana Labs' grafana-foundation-sdk.

Run ``python deploy/grafana/build.py`` after changing a panel: it rewrites ``deploy/grafana/dashboards/*.json``
(the committed files Grafana provisions). ``--check`` exits 1 when the committed files are out of date.

Four dashboards: "District overview" for the command centre and planners (在线率 / 完好率 / 覆盖率, cameras by
status, villages without a working camera, towns side by side), "Town and village" to drill down (chained
town / village variables), "Camera detail" for one camera (with its latest evidence picture, served by camfleet),
and "Poller health" for the engineer who runs camfleet.

Every panel links where it leads (``DEFAULT_LINKS``, unless the panel has its own): district panels to the town and
village view, its panels to the camera view, a camera's panels back up to its village, the poller's to the runbook
section of the alert on what they show; rows of tables and town bars link to their own town, village or camera.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import statetimeline, table
from grafana_foundation_sdk.builders import text as text_panel
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig
from grafana_foundation_sdk.models.text import TextMode
from panels import (  # beside this script
    CAMERA_VIEW,
    TOWN,
    TOWN_VIEW,
    VILLAGE_VIEW,
    camfleet_url,
    graph,
    link,
    quantile,
    query,
    rate_stat,
    runbook,
    status_bars,
    to_camera,
    to_village,
    town_bars,
    variables,
)

OUT_DIR = Path(__file__).resolve().parent / "dashboards"

#: Each dashboard's panel links, for every panel without links of its own: one level down the drill-down (a camera's
#: panels one level up), the poller's to the runbook.
DEFAULT_LINKS = {
    "camfleet-district": [link("镇街/行政村 Town and village", TOWN_VIEW)],
    "camfleet-village": [link("摄像机详情 Camera detail", CAMERA_VIEW)],
    "camfleet-camera": [link("所在行政村 Its village", VILLAGE_VIEW)],
    "camfleet-poller": [runbook()],
}

#: The camera's newest evidence picture, as camfleet's web service serves it (Basic auth: the browser asks once).
EVIDENCE_HTML = (
    '<a href="${camfleet_url}/cameras/${camera:percentencode}/evidence.jpg" target="_blank">'
    '<img src="${camfleet_url}/cameras/${camera:percentencode}/evidence.jpg" '
    'alt="${camera}: 尚无证据图片 no evidence picture yet" style="max-width:100%;max-height:100%"></a>'
)


def district_overview() -> db.Dashboard:
    """KPIs, cameras by status, uncovered villages, towns compared."""
    uncovered = (
        f"(camfleet_village_covered{{{TOWN}}} == 0) and on (town, village) (camfleet_village_coverage_known == 1)"
    )
    dash = db.Dashboard("camfleet — 区县总览 District overview").uid("camfleet-district").tags(["camfleet"])
    dash = variables(dash.refresh("1m").time("now-7d", "now").timezone("browser"), "town")
    return (
        dash.with_row(db.Row("关键指标 KPIs"))
        .with_panel(
            rate_stat("在线率 Online rate", "district:camfleet_online_rate:ratio", 0.98, "cameras up / cameras")
        )
        .with_panel(
            rate_stat("完好率 Working rate", "district:camfleet_working_rate:ratio", 0.98, "cameras ok / cameras")
        )
        .with_panel(
            rate_stat(
                "覆盖率 Coverage rate", "district:camfleet_coverage_rate:ratio", 1.0, "covered villages / villages"
            )
        )
        .with_panel(
            rate_stat(
                "点位覆盖率 Point coverage",
                "district:camfleet_point_coverage_rate:ratio",
                1.0,
                "points with a working camera / planned points",
            )
        )
        .with_panel(status_bars(TOWN, height=10, span=8))
        .with_panel(
            table.Panel()
            .title("无可用摄像机的行政村 Villages without a working camera")
            .with_target(
                query(
                    uncovered,
                    instant=True,
                    as_table=True,
                )
            )
            .data_links([to_village()])
            .height(10)
            .span(8)
        )
        .with_panel(
            table.Panel()
            .title("上联中断 Uplinks down")
            .with_target(query(f"camfleet_uplink_up{{{TOWN}}} == 0", instant=True, as_table=True))
            .data_links([to_village()])
            .height(10)
            .span(8)
        )
        .with_panel(recorders_down())
        .with_row(db.Row("各镇街 Towns"))
        .with_panel(town_bars("在线率 Online rate by town", f"town:camfleet_online_rate:ratio{{{TOWN}}}", 0.98))
        .with_panel(town_bars("完好率 Working rate by town", f"town:camfleet_working_rate:ratio{{{TOWN}}}", 0.98))
        .with_panel(town_bars("覆盖率 Coverage rate by town", f"town:camfleet_coverage_rate:ratio{{{TOWN}}}", 1.0))
        .with_row(db.Row("趋势 Trends"))
        .with_panel(
            graph(
                "区县指标 District KPIs",
                query("district:camfleet_online_rate:ratio", "在线率 online"),
                query("district:camfleet_working_rate:ratio", "完好率 working"),
                query("district:camfleet_coverage_rate:ratio", "覆盖率 coverage"),
                unit="percentunit",
            )
        )
        .with_panel(
            graph(
                "按项目完好率 Working rate by programme",
                query("program:camfleet_working_rate:ratio", "{{program}}"),
                query("program:camfleet_coverage_rate:ratio", "覆盖率 coverage {{program}}"),
                unit="percentunit",
            )
        )
        .with_row(db.Row("覆盖标准 Coverage standards"))
        .with_panel(
            graph(
                "达标村占比 Villages meeting each standard",
                query("standard:camfleet_villages_met:ratio", "{{standard}}"),
                unit="percentunit",
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title("镇街达标 Towns meeting their standard (1)")
            .with_target(query(f"camfleet_standard_met{{{TOWN}}}", "{{standard}} {{town}}"))
            .height(8)
            .span(12)
        )
    )


def recorders_down() -> table.Panel:
    """Recorders (NVR/DVR) that do not answer: town, village, recorder and how many channels went dark with it. A
    recorder behind a down uplink is not listed (camfleet keeps it up: the uplink is the fault, in the table above)."""
    dark = f"camfleet_recorder_channels{{{TOWN}}} and on (recorder) (camfleet_recorder_up == 0)"
    # town and village keep their names: the row's link to its village reads them as ${__data.fields.…}
    keep = DataTransformerConfig(
        id_val="organize",
        options={
            "excludeByName": {"Time": True, "job": True, "instance": True, "uplink": True, "__name__": True},
            "indexByName": {"town": 0, "village": 1, "recorder": 2, "Value": 3},
            "renameByName": {"Value": "通道 channels"},
        },
    )
    return (
        table.Panel()
        .title("录像机离线 Recorders down")
        .description("NVR/DVR that do not answer: every channel offline, reason nvr (alert CamfleetRecorderDown).")
        .with_target(query(dark, instant=True, as_table=True))
        .with_transformation(keep)
        .data_links([to_village()])
        .height(8)
        .span(24)
    )


def camera_detail() -> db.Dashboard:
    """One camera: where it is, its status over time, latency, clock and picture sharpness."""
    cam = 'camera="$camera"'
    dash = db.Dashboard("camfleet — 摄像机详情 Camera detail").uid("camfleet-camera").tags(["camfleet"])
    dash = variables(dash.refresh("1m").time("now-24h", "now").timezone("browser"), "town", "village", "camera")
    return (
        camfleet_url(dash)
        .with_panel(
            table.Panel()
            .title("位置与设备 Location and device")
            .with_target(query(f"camfleet_camera_info{{{cam}}}", instant=True, as_table=True))
            .height(8)
            .span(16)
        )
        .with_panel(
            text_panel.Panel()
            .title("最新证据图片 Latest evidence picture")
            .description("The picture camfleet kept when it last confirmed a fault of this camera (camfleet_url).")
            .mode(TextMode.HTML)
            .content(EVIDENCE_HTML)
            .height(8)
            .span(8)
        )
        .with_panel(
            statetimeline.Panel()
            .title("状态时间线 Status timeline")
            .with_target(query(f"max by (status, reason) (camfleet_camera_status{{{cam}}})", "{{status}} {{reason}}"))
            .height(8)
            .span(24)
        )
        .with_panel(graph("在线 Up", query(f"camfleet_camera_up{{{cam}}}", "up"), span=12))
        .with_panel(
            graph(
                "距上次完好 Time since last good check",
                query(f"time() - camfleet_camera_last_ok_timestamp_seconds{{{cam}}}", "last ok"),
                query(f"time() - camfleet_camera_last_frame_timestamp_seconds{{{cam}}}", "last frame"),
                unit="s",
                span=12,
            )
        )
        .with_panel(
            graph(
                "检查耗时 Check latency",
                query(f"camfleet_camera_probe_latency_seconds{{{cam}}}", "latency"),
                unit="s",
                span=8,
            )
        )
        .with_panel(
            graph(
                "时钟偏差 Clock offset",
                query(f"camfleet_camera_clock_offset_seconds{{{cam}}}", "offset"),
                unit="s",
                span=8,
            )
        )
        .with_panel(
            graph(
                "清晰度 Sharpness vs baseline",
                query(f"camfleet_camera_sharpness_ratio{{{cam}}}", "sharpness"),
                unit="percentunit",
                span=8,
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title("摄像机自报事件与 camfleet 判断 Camera's own events vs camfleet")
            .with_target(query(f'max by (agreement) (camfleet_camera_status{{{cam},agreement!=""}})', "{{agreement}}"))
            .height(5)
            .span(24)
        )
    )


def town_village() -> db.Dashboard:
    """Drill-down: the chosen towns and villages, their cameras and what is wrong with each."""
    area = 'town=~"$town", village=~"$village"'
    dash = db.Dashboard("camfleet — 镇街/行政村 Town and village").uid("camfleet-village").tags(["camfleet"])
    dash = variables(dash.refresh("1m").time("now-7d", "now").timezone("browser"), "town", "village")
    return (
        dash.with_panel(
            table.Panel()
            .title("行政村 Villages (覆盖 covered, 摄像机 cameras, 在线 up)")
            .with_target(query(f"camfleet_village_covered{{{area}}}", "covered", instant=True, as_table=True))
            .with_target(
                query(f"sum by (town, village) (camfleet_village_cameras{{{area}}})", instant=True, as_table=True)
            )
            .with_target(query(f"camfleet_village_cameras_up{{{area}}}", instant=True, as_table=True))
            .data_links(
                [
                    link(
                        "摄像机详情 Cameras of the village",
                        "/d/camfleet-camera/?var-town=${__data.fields.town}&var-village=${__data.fields.village}"
                        "&${__url_time_range}",
                    )
                ]
            )
            .height(9)
            .span(12)
        )
        .with_panel(status_bars(area, height=9, span=12))
        .with_panel(
            table.Panel()
            .title("故障摄像机 Cameras not ok")
            .with_target(
                query(
                    'max by (camera, status, reason) (camfleet_camera_status{status!="ok"})'
                    # recorder and channel: an NVR channel's row says which box and input (empty when standalone)
                    " * on (camera) group_left (town, village, point, point_name, recorder, channel)"
                    f" camfleet_camera_info{{{area}}}",
                    instant=True,
                    as_table=True,
                )
            )
            .data_links([to_camera()])
            .height(10)
            .span(24)
        )
        .with_panel(
            graph(
                "在线摄像机 Cameras up",
                query(f"sum by (village) (camfleet_village_cameras_up{{{area}}})", "{{village}}"),
                span=12,
            )
        )
        .with_panel(
            statetimeline.Panel()
            .title("村覆盖 Village covered (1) over time")
            .with_target(query(f"camfleet_village_covered{{{area}}}", "{{village}}"))
            .height(8)
            .span(12)
        )
    )


def poller_health() -> db.Dashboard:
    """The poller itself: is it keeping up, and what does it cost."""
    dash = db.Dashboard("camfleet — 巡检服务 Poller health").uid("camfleet-poller").tags(["camfleet"])
    dash = camfleet_url(variables(dash.refresh("30s").time("now-6h", "now").timezone("browser")))
    rate = "$__rate_interval"
    return (
        dash.with_panel(
            graph(
                "抓取 Scrape",
                query('up{job="camfleet"}', "up {{instance}}"),
                query('scrape_duration_seconds{job="camfleet"}', "scrape s {{instance}}"),
                span=8,
                links=[runbook("camfleetpollerdown")],
            )
        )
        .with_panel(
            graph(
                "完整巡检耗时 Sweep duration",
                query("camfleet_sweep_duration_seconds", "{{instance}}"),
                unit="s",
                span=8,
            )
        )
        .with_panel(
            graph(
                "落后计划 Lag behind schedule",
                query("camfleet_schedule_lag_seconds", "{{instance}}"),
                unit="s",
                span=8,
                links=[runbook("camfleetsweepsbehind")],
            )
        )
        .with_panel(
            graph(
                "每秒检查 Checks per second",
                query(f"sum by (kind) (rate(camfleet_probes_total[{rate}]))", "{{kind}}"),
                query(f'sum by (result) (rate(camfleet_probes_total{{result!="ok"}}[{rate}]))', "failed: {{result}}"),
                unit="ops",
                span=12,
            )
        )
        .with_panel(
            graph(
                "检查耗时 Check duration p50 / p95",
                query(
                    quantile("0.5", "camfleet_probe_duration_seconds_bucket", "kind, le"),
                    "p50 {{kind}}",
                ),
                query(
                    quantile("0.95", "camfleet_probe_duration_seconds_bucket", "kind, le"),
                    "p95 {{kind}}",
                ),
                unit="s",
                span=12,
            )
        )
        .with_panel(
            graph("事件循环延迟 Event-loop lag", query("camfleet_event_loop_lag_seconds", "loop lag"), unit="s", span=8)
        )
        .with_panel(
            graph(
                "队列与并发 Queue and in flight",
                query("camfleet_scheduler_queue_depth", "queued"),
                query("camfleet_probes_in_flight", "in flight"),
                span=8,
            )
        )
        .with_panel(
            graph(
                "数据库 Database",
                query("camfleet_db_write_backlog", "backlog rows"),
                query(
                    quantile("0.95", "camfleet_db_write_duration_seconds_bucket", "le"),
                    "write p95 s",
                ),
                span=8,
                links=[runbook("camfleetdatabasebacklog")],
            )
        )
        .with_panel(
            graph(
                "状态变化 Status changes per hour",
                query(f"sum(rate(camfleet_transitions_total[{rate}])) * 3600", "status changes"),
                span=12,
            )
        )
        .with_panel(
            graph(
                "摄像机自报事件 Camera events vs camfleet",
                query("sum by (agreement) (camfleet_events_agreement_cameras)", "{{agreement}}"),
                span=12,
            )
        )
        .with_panel(
            graph(
                "配置重载 Config reloads",
                query("camfleet_config_last_reload_successful", "last ok"),
                query(f"sum by (result) (increase(camfleet_config_reloads_total[{rate}]))", "{{result}}"),
                span=12,
                links=[runbook("camfleetconfigreloadfailed")],
            )
        )
        .with_panel(
            graph(
                "内存 Memory: resident vs the unit's limit",
                query('process_resident_memory_bytes{job="camfleet"}', "resident {{instance}}"),
                query('camfleet_cgroup_memory_max_bytes{job="camfleet"}', "MemoryMax {{instance}}"),
                unit="bytes",
                span=12,
                links=[runbook("camfleetpollermemoryhigh")],
            )
        )
        .with_panel(
            graph(
                "打开文件 Open files vs the limit",
                query('process_open_fds{job="camfleet"}', "open {{instance}}"),
                query('process_max_fds{job="camfleet"}', "LimitNOFILE {{instance}}"),
                span=12,
                links=[runbook("camfleetpollerfiledescriptorshigh")],
            )
        )
    )


def render_all() -> dict[str, str]:
    """Every dashboard's JSON, by file name, exactly as committed."""
    boards = {
        "district-overview.json": district_overview(),
        "camera-detail.json": camera_detail(),
        "town-village.json": town_village(),
        "poller-health.json": poller_health(),
    }
    return {
        name: json.dumps(_numbered(board), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for name, board in boards.items()
    }


def _json(builder: object) -> object:
    return json.loads(json.dumps(builder, cls=JSONEncoder))


def _numbered(board: db.Dashboard) -> dict[str, object]:
    """The dashboard as JSON data with unique panel ids and per-panel query refIds (A, B, …), and the dashboard's
    ``DEFAULT_LINKS`` on every panel without links of its own.

    The SDK leaves every panel id at 0 and every refId empty; Grafana then mixes up panels and queries.
    """
    data: dict[str, object] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    panels = data.get("panels")
    assert isinstance(panels, list)
    links = [_json(lk.build()) for lk in DEFAULT_LINKS[str(data["uid"])]]
    for number, panel in enumerate(panels, start=1):
        if panel.get("type") != "row" and not panel.get("links"):
            panel["links"] = links
        panel["id"] = number
        for index, target in enumerate(panel.get("targets", [])):
            target["refId"] = chr(ord("A") + index)
    return data


def main(argv: list[str]) -> int:
    """Write the dashboards, or with ``--check`` report which committed files are stale."""
    rendered = render_all()
    if "--check" in argv:
        stale = [
            n for n, text in rendered.items() if not (OUT_DIR / n).is_file() or (OUT_DIR / n).read_text("utf-8") != text
        ]
        for name in stale:
            print(f"{OUT_DIR / name} is out of date: run python deploy/grafana/build.py", file=sys.stderr)
        return 1 if stale else 0
    OUT_DIR.mkdir(exist_ok=True)
    for name, text in rendered.items():
        (OUT_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT_DIR / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
