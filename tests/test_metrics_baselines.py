"""Baseline-state metrics: one state series per checked camera, counts per state, cameras overdue a review."""

from __future__ import annotations

from dataclasses import replace

from metrics_helpers import NOW, small_snapshot
from prometheus_client.parser import text_string_to_metric_families

from camfleet.metrics.render import render_snapshot
from camfleet.metrics.snapshot import MetricsSnapshot
from camfleet.model import BaselineState


def _samples(snapshot: MetricsSnapshot, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    text = render_snapshot(snapshot).decode("utf-8")
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def test_state_series_only_for_cameras_whose_pictures_are_checked() -> None:
    """C2 (approved) and C3 (doubtful) have one series each, value 1, labelled with their state; C1 (offline,
    no picture ever fetched, state none) has none; the per-state counts cover every state."""
    snapshot = small_snapshot()
    series = _samples(snapshot, "camfleet_camera_baseline_state")
    assert series == {
        (("camera", "C2"), ("state", "approved")): 1.0,
        (("camera", "C3"), ("state", "doubtful")): 1.0,
    }
    counts = _samples(snapshot, "camfleet_baseline_cameras")
    assert counts == {
        (("state", "none"),): 0.0,
        (("state", "provisional"),): 0.0,
        (("state", "doubtful"),): 1.0,
        (("state", "approved"),): 1.0,
    }


def test_overdue_counts_doubtful_cameras_older_than_the_review_deadline() -> None:
    """C3 has been doubtful for two days: overdue under the default 24 h, not under a 72 h deadline; a
    provisional camera is never overdue however old."""
    snapshot = small_snapshot()
    assert _samples(snapshot, "camfleet_baseline_review_overdue_cameras") == {(): 1.0}
    assert _samples(replace(snapshot, review_within_s=72 * 3600.0), "camfleet_baseline_review_overdue_cameras") == {
        (): 0.0
    }
    states = dict(snapshot.states)
    states["C3"] = replace(states["C3"], baseline=BaselineState.PROVISIONAL, baseline_since=NOW - 30 * 86400)
    assert _samples(replace(snapshot, states=states), "camfleet_baseline_review_overdue_cameras") == {(): 0.0}
