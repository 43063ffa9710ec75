"""A small, hand-made fleet for the metrics tests: every coverage case and awkward label on purpose."""

from __future__ import annotations

import functools
from dataclasses import replace

from camfleet.config.coverage import StandardConfig
from camfleet.maintenance import MaintenanceWindow, Scope
from camfleet.metrics import PROBE_BUCKETS
from camfleet.metrics.process import read_process
from camfleet.metrics.snapshot import Histogram, MetricsSnapshot, PollerStats, ProcessStats
from camfleet.model import (
    BaselineState,
    CameraRecord,
    CameraState,
    DeviceIdentity,
    PointRecord,
    PointStatus,
    Reason,
    Status,
)

NOW = 1_795_000_000.0

#: Village names with the characters text format must escape (a quote, a backslash, a newline).
ODD_VILLAGE = 'Q"uote\\back\nline村'


def small_snapshot() -> MetricsSnapshot:
    """Three villages in two towns: one covered (1 of 3 cameras ok), one uncovered, one unknown.

    Plus a village behind a down uplink (its two cameras are channels of one recorder), a retired point, a planned
    point with no camera, and a village name that needs escaping.
    """
    points = [
        PointRecord("P1", "城关镇", "东村", "村口", program="一村一探头", status=PointStatus.ACCEPTED),
        PointRecord("P2", "城关镇", "东村", "学校", program="农村小天网", status=PointStatus.INSTALLED),
        PointRecord("P3", "城关镇", "西村", "河塘", program="一村一探头", status=PointStatus.INSTALLED),
        PointRecord("P4", "河口街道", "南村", "主路口", program="一村一探头", status=PointStatus.ACCEPTED),
        PointRecord("P5", "河口街道", ODD_VILLAGE, "村口", program="一村一探头", status=PointStatus.ACCEPTED),
        PointRecord("P6", "河口街道", "北村", "村口", program="一村一探头", status=PointStatus.ACCEPTED),
        PointRecord("P7", "河口街道", "北村", "旧址", program="农村小天网", status=PointStatus.RETIRED),
        PointRecord("P8", "河口街道", "北村", "桥头", program="一村一探头", status=PointStatus.PLANNED),
    ]
    cameras = [
        CameraRecord("C1", "P1", "127.0.1.1"),
        CameraRecord("C2", "P1", "127.0.1.2"),
        CameraRecord("C3", "P2", "127.0.1.3"),
        CameraRecord("C4", "P3", "127.0.1.4"),
        CameraRecord("C5", "P4", "127.0.1.5"),
        CameraRecord("C6", "P5", "127.0.1.6"),
        # 北村's two cameras are channels 1 and 2 of one recorder (NVR) at 127.0.1.7:8000, behind the down uplink
        CameraRecord("C7", "P6", "127.0.1.7", 8000, uplink="北村-光猫", channel=1),
        CameraRecord("C8", "P6", "127.0.1.7", 8000, uplink="北村-光猫", channel=2),
        CameraRecord("C9", "P7", "127.0.1.9"),
    ]
    by_id = {p.point_id: p for p in points}
    targets = {c.camera_id: c.target(by_id[c.point_id]) for c in cameras if c.point_id != "P7"}
    hik = DeviceIdentity(vendor="HIKVISION", model="DS-2CD3T46", firmware="V5.7.3 build 220112")
    states = {
        "C1": CameraState(
            "C1",
            Status.OFFLINE,
            Reason.TIMEOUT,
            since=NOW - 900,
            last_probe_at=NOW - 10,
            last_ok_at=NOW - 1000,
            latency_s=5.0,
        ),
        "C2": CameraState(
            "C2",
            Status.OK,
            since=NOW - 86400,
            last_probe_at=NOW - 5,
            last_ok_at=NOW - 5,
            last_frame_at=NOW - 60,
            latency_s=0.042,
            clock_offset_s=-1.5,
            identity=hik,
            scores={"sharpness_ratio": 0.93},
            baseline=BaselineState.APPROVED,
            baseline_since=NOW - 86400,
        ),
        "C3": CameraState(
            "C3",
            Status.COVERED,
            since=NOW - 3600,
            last_probe_at=NOW - 5,
            last_ok_at=NOW - 4000,
            last_frame_at=NOW - 30,
            latency_s=0.2,
            clock_offset_s=12.0,
            identity=hik,
            baseline=BaselineState.DOUBTFUL,  # since two days: overdue for a review
            baseline_since=NOW - 2 * 86400,
        ),
        "C4": CameraState(
            "C4",
            Status.AUTH_FAILED,
            Reason.PASSWORD,
            since=NOW - 600,
            last_probe_at=NOW - 5,
            latency_s=0.1,
            clock_offset_s=0.25,
        ),
        "C5": CameraState("C5"),  # never checked: 南村 coverage unknown
        "C6": CameraState(
            "C6",
            Status.OK,
            since=NOW - 100,
            last_probe_at=NOW - 3,
            last_ok_at=NOW - 3,
            latency_s=0.05,
            clock_offset_s=-7200.0,
        ),
        "C7": CameraState(
            "C7", Status.UPLINK_DOWN, Reason.UPLINK, since=NOW - 1200, last_probe_at=NOW - 5, latency_s=3.0
        ),
        "C8": CameraState(
            "C8", Status.UPLINK_DOWN, Reason.UPLINK, since=NOW - 1200, last_probe_at=NOW - 5, latency_s=3.0
        ),
    }
    poller = PollerStats(
        probes={("liveness", "ok"): 120, ("liveness", "offline"): 7, ("frame", "covered"): 3},
        probe_duration={"liveness": Histogram.of(PROBE_BUCKETS, [0.02, 0.04, 0.3, 5.5, 40.0])},
        sweep_duration_s=41.5,
        schedule_lag_s=0.75,
        queue_depth=3,
        in_flight=17,
        loop_lag_s=0.004,
        db_backlog=2,
        config_reloads_ok=2,
        config_reloads_failed=1,
        config_last_reload_ok=False,
        config_last_reload_at=NOW - 3600,
        web_write_refused={"cross_site": 2, "token": 0, "wrong_credentials": 1},
        transitions=13,
        gc_full_collections=4,
        gc_full_last_s=0.035,
        db_write_failures=1,
        started_at=NOW - 7200,
        version="0.1.0",
        python="3.11.2",
    )
    # One standard over both towns (村口 covered): 东村 (P1 村口, C1 ok) meets it, 西村 has no 村口.
    points = [replace(p, site_type=p.point_name) for p in points]
    standards = (StandardConfig(name="村口全覆盖", require_site_types=["村口"]),)
    # Works on C1 (its alerts held) and on 北村's uplink (C7, C8: the uplink and, every camera held, the village);
    # a window ended early and one yet to start hold nothing.
    maintenance = (
        MaintenanceWindow(Scope.CAMERA, "C1", NOW - 600, NOW + 3000, "立杆更换", "王工", NOW - 600, id=1),
        MaintenanceWindow(Scope.UPLINK, "北村-光猫", NOW - 60, NOW + 7200, "换光猫", "李工", NOW - 60, id=2),
        MaintenanceWindow(Scope.CAMERA, "C4", NOW - 600, NOW + 600, "x", "王工", NOW - 600, NOW - 300, id=3),
        MaintenanceWindow(Scope.VILLAGE, "城关镇/西村", NOW + 60, NOW + 600, "x", "王工", NOW - 600, id=4),
    )
    return MetricsSnapshot(
        targets,
        states,
        points,
        cameras,
        poller,
        taken_at=NOW,
        standards=standards,
        maintenance=maintenance,
        process=_process(),
    )


@functools.cache
def _process() -> ProcessStats:
    """The test process's own series, read once (every snapshot shows the same values), under a 1 GiB limit."""
    return replace(read_process(), memory_max_bytes=float(2**30))


def exposed_metric_names() -> set[str]:
    """Every sample name /metrics can expose (histograms with their suffixes) — from the real collector."""
    from camfleet.metrics.collect import collect
    from camfleet.metrics.family import HistogramFamily

    names: set[str] = set()
    for fam in collect(small_snapshot()):
        if isinstance(fam, HistogramFamily):
            names |= {fam.name + suffix for suffix in ("_bucket", "_sum", "_count")}
        else:
            names.add(fam.name)
    return names


def recorded_metric_names(rules_text: str) -> set[str]:
    """The series names a recording-rules file defines."""
    import re

    return set(re.findall(r"^\s+- record: (\S+)$", rules_text, re.M))


def referenced_metric_names(promql: str) -> set[str]:
    """camfleet and process metric names (and recording-rule names) a PromQL expression mentions."""
    import re

    return set(re.findall(r"\b(?:[a-z_]+:)?(?:camfleet|process)_[a-z_]+(?::[a-z_]+)?\b", promql))
