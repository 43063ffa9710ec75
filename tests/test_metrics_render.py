"""The fast text writer: valid text format, the same samples as prometheus_client, the DESIGN contract."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_helpers import NOW, ODD_VILLAGE, small_snapshot
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from system_helpers import missing

from camfleet.metrics.client import SnapshotCollector
from camfleet.metrics.family import gauge
from camfleet.metrics.render import escape_label_value, format_value, render_families, render_snapshot

Sample = tuple[str, frozenset[tuple[str, str]], float]


def _samples(text: str) -> list[Sample]:
    """Every sample of a text document, with ``le`` normalised to a float so 1 and 1.0 compare equal."""
    out: list[Sample] = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = dict(s.labels)
            if "le" in labels:
                labels["le"] = format_value(float(labels["le"]))
            out.append((s.name, frozenset(labels.items()), float(s.value)))
    return out


def _series(text: str, name: str) -> list[dict[str, str]]:
    return [dict(labels) for n, labels, _ in _samples(text) if n == name]


def _value(text: str, name: str, **labels: str) -> float | None:
    wanted = frozenset(labels.items())
    hits = [v for n, ls, v in _samples(text) if n == name and wanted <= ls]
    assert len(hits) <= 1, f"{name}{labels} matches {len(hits)} series"
    return hits[0] if hits else None


@pytest.fixture(scope="module")
def text() -> str:
    """The small fleet rendered by the fast writer."""
    return render_snapshot(small_snapshot()).decode("utf-8")


def test_same_samples_as_prometheus_client(text: str) -> None:
    """The fast writer and prometheus_client's collector path give exactly the same samples."""
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(small_snapshot))
    reference = generate_latest(registry).decode("utf-8")
    ours = _samples(text)
    assert len(ours) == len(set(ours)), "a sample is written twice"
    assert Counter(ours) == Counter(_samples(reference))
    assert len(ours) > 100


def test_help_and_type_match_prometheus_client(text: str) -> None:
    """Every family carries the same HELP and TYPE as prometheus_client writes for it."""
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(small_snapshot))
    reference = generate_latest(registry).decode("utf-8")

    def meta(doc: str) -> list[str]:
        return [line for line in doc.splitlines() if line.startswith("#")]

    assert meta(text) == meta(reference)


def test_promtool_accepts_the_output(text: str) -> None:
    """``promtool check metrics`` (stdin) finds no error or lint problem, and rejects a broken document."""
    promtool = shutil.which("promtool")
    if promtool is None:
        missing("promtool is not installed (Debian package prometheus)")
    good = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    assert good.stdout.decode().strip() == ""
    broken = text.replace('camera="C1"}', 'camera="C1}', 1)
    bad = subprocess.run([promtool, "check", "metrics"], input=broken.encode(), capture_output=True, timeout=60)
    assert bad.returncode != 0


def test_one_status_series_per_camera_and_at_most_nine(text: str) -> None:
    """Each camera has exactly one camfleet_camera_status series and at most 9 non-info series (the ninth:
    camfleet_camera_baseline_state, what the camera's ok is worth)."""
    statuses = Counter(labels["camera"] for labels in _series(text, "camfleet_camera_status"))
    assert statuses == Counter({f"C{i}": 1 for i in range(1, 9)})
    per_camera = Counter(
        dict(labels)["camera"]
        for name, labels, _ in _samples(text)
        if name.startswith("camfleet_camera_") and name != "camfleet_camera_info"
    )
    assert max(per_camera.values()) <= 9
    assert per_camera["C2"] == 9  # the fully observed camera has all of them
    assert _value(text, "camfleet_camera_status", camera="C4") == 1.0
    assert {"status": "auth_failed", "reason": "password"}.items() <= _series(text, "camfleet_camera_status")[3].items()


def test_design_metric_names_and_labels(text: str) -> None:
    """The metric names and label sets DESIGN.md promises are present, spelled exactly."""
    info = _series(text, "camfleet_camera_info")[0]
    assert set(info) >= {"camera", "town", "village", "point", "program", "vendor", "model", "firmware"}
    assert set(_series(text, "camfleet_camera_up")[0]) == {"camera"}
    assert set(_series(text, "camfleet_camera_clock_offset_seconds")[0]) == {"camera"}
    assert set(_series(text, "camfleet_village_covered")[0]) == {"town", "village"}


def test_up_and_missing_measurements(text: str) -> None:
    """up follows Status.is_up; a never-checked camera has no timestamp, latency or offset series."""
    assert _value(text, "camfleet_camera_up", camera="C2") == 1.0
    assert _value(text, "camfleet_camera_up", camera="C3") == 1.0  # covered picture, but it answers
    assert _value(text, "camfleet_camera_up", camera="C1") == 0.0
    assert _value(text, "camfleet_camera_up", camera="C5") == 0.0
    for name in ("last_ok_timestamp_seconds", "probe_latency_seconds", "clock_offset_seconds", "sharpness_ratio"):
        assert _value(text, f"camfleet_camera_{name}", camera="C5") is None
    assert _value(text, "camfleet_camera_clock_offset_seconds", camera="C6") == -7200.0


def test_village_coverage_three_states(text: str) -> None:
    """Covered, not covered and unknown villages are told apart by covered + coverage_known."""
    cases = {
        ("城关镇", "东村"): (1.0, 1.0),  # one ok camera of three
        ("城关镇", "西村"): (0.0, 1.0),  # its only camera fails auth
        ("河口街道", "南村"): (0.0, 0.0),  # its only camera is not checked yet
        ("河口街道", "北村"): (0.0, 1.0),  # uplink down, and a planned point with no camera
        ("河口街道", ODD_VILLAGE): (1.0, 1.0),
    }
    for (town, village), (covered, known) in cases.items():
        assert _value(text, "camfleet_village_covered", town=town, village=village) == covered, village
        assert _value(text, "camfleet_village_coverage_known", town=town, village=village) == known, village
    assert len(_series(text, "camfleet_village_covered")) == len(cases)


def test_village_counts_follow_the_plan(text: str) -> None:
    """Retired points and their cameras count for nothing; stages and statuses are counted per programme."""
    north = {"town": "河口街道", "village": "北村"}
    assert _value(text, "camfleet_village_points_planned", program="一村一探头", **north) == 2.0
    assert _value(text, "camfleet_village_points_planned", program="农村小天网", **north) is None
    assert _value(text, "camfleet_village_points_installed", program="一村一探头", **north) == 1.0
    east = {"town": "城关镇", "village": "东村", "program": "一村一探头"}
    assert _value(text, "camfleet_village_cameras", status="ok", **east) == 1.0
    assert _value(text, "camfleet_village_cameras", status="offline", **east) == 1.0
    assert _value(text, "camfleet_village_cameras", status="frozen", **east) == 0.0  # zero-filled
    assert _value(text, "camfleet_village_cameras_up", **east) == 1.0
    assert _value(text, "camfleet_village_points_covered", **east) == 1.0
    assert _value(text, "camfleet_program_village_covered", town="城关镇", village="东村", program="农村小天网") == 0.0
    total = sum(v for n, _, v in _samples(text) if n == "camfleet_village_cameras")
    assert total == 8.0  # C9 sits at a retired point


def test_uplink_up(text: str) -> None:
    """An uplink is 0 when its cameras are uplink_down, 1 otherwise, absent while all are unknown."""
    assert _value(text, "camfleet_uplink_up", uplink="北村-光猫") == 0.0
    assert _value(text, "camfleet_uplink_up", uplink="城关镇/东村") == 1.0
    assert _value(text, "camfleet_uplink_up", uplink="河口街道/南村") is None


def test_poller_metrics(text: str) -> None:
    """Poller counters and the histogram come out with the right names, suffixes and cumulative buckets."""
    assert _value(text, "camfleet_probes_total", kind="liveness", result="offline") == 7.0
    assert _value(text, "camfleet_probe_duration_seconds_count", kind="liveness") == 5.0
    assert _value(text, "camfleet_probe_duration_seconds_bucket", kind="liveness", le="0.05") == 2.0
    assert _value(text, "camfleet_probe_duration_seconds_bucket", kind="liveness", le="+Inf") == 5.0
    assert _value(text, "camfleet_config_reloads_total", result="failure") == 1.0
    assert _value(text, "camfleet_config_last_reload_successful") == 0.0
    assert _value(text, "camfleet_build_info", version="0.1.0") == 1.0
    assert _value(text, "camfleet_db_write_duration_seconds_count") == 0.0
    assert _value(text, "camfleet_transitions_total") == 13.0
    assert _value(text, "camfleet_db_write_failures_total") == 1.0
    assert _value(text, "camfleet_db_write_dropped_total") == 0.0
    assert _value(text, "camfleet_sweep_duration_seconds") == 41.5
    assert _value(text, "camfleet_schedule_lag_seconds") == 0.75


def test_utf8_and_escaping(text: str) -> None:
    """Chinese stays raw UTF-8 (not escaped); quote, backslash and newline round-trip through the parser."""
    raw = render_snapshot(small_snapshot())
    assert "城关镇".encode() in raw and b"\\u" not in raw
    assert 'village="Q\\"uote\\\\back\\nline村"' in text
    villages = {labels["village"] for labels in _series(text, "camfleet_village_covered")}
    assert ODD_VILLAGE in villages
    assert escape_label_value('a\\b"c\nd') == 'a\\\\b\\"c\\nd'


def test_format_value() -> None:
    """Special floats are written the way Prometheus reads them."""
    assert [format_value(v) for v in (0, 1, 2.5, float("inf"), float("-inf"))] == ["0.0", "1.0", "2.5", "+Inf", "-Inf"]
    assert format_value(float("nan")) == "NaN"
    assert float(format_value(1_795_000_000.123)) == 1_795_000_000.123


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from('\\"\n{}=,#')),
        max_size=30,
    )
)
def test_any_label_value_round_trips(value: str) -> None:
    """Whatever a planner types as a village or town name comes back unchanged from the parser."""
    fam = gauge("camfleet_village_covered", "help", "town", "village")
    fam.add((value, value + "村"), 1.0)
    parsed = list(text_string_to_metric_families(render_families([fam])))
    assert parsed[0].samples[0].labels == {"town": value, "village": value + "村"}


def test_each_poller_value_travels_from_its_declared_source() -> None:
    """``poller_stats`` fills every declared ``PollerStats`` field from the fleet counter, service figure or fleet
    attribute its declaration names, and the declared metric carries that value: distinct values at every source
    come out under the right name (a misnamed source or a swapped field fails)."""
    from camfleet.metrics.poller import poller_families
    from camfleet.metrics.snapshot import poller_metrics, poller_sources
    from camfleet.runtime.fleet import FleetState
    from camfleet.service.views import ServiceStats, poller_stats

    fleet, svc = FleetState(), ServiceStats()
    roots = {"counters": fleet.counters, "svc": svc, "fleet": fleet}
    sources = poller_sources()
    assert {"db_write_dropped", "transitions", "loop_lag_s", "started_at"} <= set(sources)
    expected: dict[str, float] = {}
    for i, (name, source) in enumerate(sorted(sources.items()), start=2):
        root, attr = source.split(".", 1)
        value: float | bool = False if isinstance(getattr(roots[root], attr), bool) else i
        setattr(roots[root], attr, value)
        expected[name] = value
    stats = poller_stats(fleet, svc)
    assert {name: getattr(stats, name) for name in sources} == expected
    text = render_families(poller_families(stats, 0.0))
    exported = poller_metrics("gauge") + poller_metrics("counter")
    assert len(exported) >= 13
    for name, metric in exported:
        assert _value(text, metric.name) == float(expected[name]), metric.name


def test_docs_metrics_table_names_every_family() -> None:
    """docs/metrics.md's tables name exactly the metric families /metrics exports (a new metric needs its row, a
    removed one loses it)."""
    import re
    from pathlib import Path

    from camfleet.metrics import collect

    doc = (Path(__file__).resolve().parent.parent / "docs" / "metrics.md").read_text("utf-8")
    documented = set(re.findall(r"^\| `((?:camfleet|process|python)_\w+)`", doc, re.M))
    exported = {f.name for f in collect(small_snapshot())}
    assert documented == exported, sorted(documented ^ exported)


def test_maintenance_series_hold_what_the_active_windows_cover(text: str) -> None:
    """The small fleet's active windows (C1's works, 北村's uplink) give exactly these series: C1, C7 and C8 held;
    北村 held as a village (all its cameras are behind the uplink) and as an uplink; the ended window (C4) and the
    window not started yet (城关镇/西村) hold nothing. Each active window is listed with its end."""
    assert {s["camera"] for s in _series(text, "camfleet_camera_in_maintenance")} == {"C1", "C7", "C8"}
    assert _series(text, "camfleet_village_in_maintenance") == [{"town": "河口街道", "village": "北村"}]
    assert _series(text, "camfleet_uplink_in_maintenance") == [
        {"uplink": "北村-光猫", "town": "河口街道", "village": "北村"}
    ]
    windows = {s["window"]: s for s in _series(text, "camfleet_maintenance_window_end_timestamp_seconds")}
    assert set(windows) == {"1", "2"} and windows["2"] == {"window": "2", "scope": "uplink", "target": "北村-光猫"}
    assert _value(text, "camfleet_maintenance_window_end_timestamp_seconds", window="1") == NOW + 3000


def test_channels_name_their_recorder_in_the_info_series(text: str) -> None:
    """An NVR channel's camfleet_camera_info carries its recorder's host:port and its channel number; a standalone
    camera carries both labels empty (Prometheus drops empty labels), so no camera gains a series."""
    info = {s["camera"]: s for s in _series(text, "camfleet_camera_info")}
    assert info["C7"]["recorder"] == info["C8"]["recorder"] == "127.0.1.7:8000"
    assert (info["C7"]["channel"], info["C8"]["channel"]) == ("1", "2")
    assert info["C1"].get("recorder", "") == info["C1"].get("channel", "") == ""
    assert len(info) == 8


def test_recorder_up_stays_1_while_its_uplink_is_down(text: str) -> None:
    """北村's recorder, whose channels read uplink_down, is not called down (the uplink is the root cause: one page);
    it has one series per family, labelled with its channels' place and uplink, and is held by the uplink's window."""
    place = {"recorder": "127.0.1.7:8000", "town": "河口街道", "village": "北村", "uplink": "北村-光猫"}
    assert _series(text, "camfleet_recorder_up") == [place]
    assert _value(text, "camfleet_recorder_up", recorder="127.0.1.7:8000") == 1.0
    assert _series(text, "camfleet_recorder_channels") == [place]
    assert _value(text, "camfleet_recorder_channels", recorder="127.0.1.7:8000") == 2.0
    assert _series(text, "camfleet_recorder_in_maintenance") == [{"recorder": "127.0.1.7:8000"}]
