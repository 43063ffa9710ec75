"""The per-camera baseline: learns per mode, ignores faults, drifts slowly, survives a JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import vision_helpers as vh

from camfleet.model import Status
from camfleet.vision import Baseline, analyze_jpeg


def _features(data: bytes):  # type: ignore[no-untyped-def]
    stats, _, signature = analyze_jpeg(data, None, None, 4)
    return stats, signature


def test_modes_learn_separately_and_round_trip() -> None:
    """Day and IR frames feed their own mode; to_dict is JSON and from_dict restores the same judgement."""
    image = vh.scene("astronaut")
    baseline = vh.day_and_night_baseline(image, samples=3)
    assert {m: mb.count for m, mb in baseline.modes.items()} == {"day": 3, "ir": 3}
    restored = Baseline.from_dict(json.loads(json.dumps(baseline.to_dict())))
    assert np.allclose(restored.modes["day"].thumb, baseline.modes["day"].thumb, atol=1 / 256)
    frame = vh.camera_jpeg(vh.defocus(image), 5)
    assert analyze_jpeg(frame, restored.to_dict(), None, 4)[1].status is Status.DEFOCUSED


def test_faults_are_not_learned() -> None:
    """A frame judged as a fault never moves the baseline; ok and cannot_judge frames do."""
    baseline = Baseline(samples=1)
    stats, signature = _features(vh.camera_jpeg(vh.scene("coffee"), 1))
    assert baseline.learn(stats, signature, Status.CANNOT_JUDGE)
    before = baseline.to_dict()
    assert not baseline.learn(stats, signature, Status.COVERED)
    assert baseline.to_dict() == before
    assert baseline.learn(stats, signature, Status.OK) and baseline.modes["day"].count == 2


def test_slow_seasonal_drift_is_followed() -> None:
    """A scene dimming 1 % per sample (autumn evenings) stays ok all the way to −40 % as the baseline follows."""
    image = vh.scene("motorcycle")
    baseline = vh.learn_baseline([vh.camera_jpeg(image, s) for s in range(5)], samples=5)
    baseline.alpha = 0.1
    start = baseline.modes["day"].values["brightness"]
    statuses = []
    for step in range(1, 41):
        frame = vh.camera_jpeg(vh.exposure(image, 1.0 - 0.01 * step), 100 + step)
        stats, verdict, signature = analyze_jpeg(frame, baseline.to_dict(), None, 4)
        baseline.learn(stats, signature, verdict.status)
        statuses.append(verdict.status)
    assert set(statuses) == {Status.OK}
    assert baseline.modes["day"].values["brightness"] < 0.75 * start


def test_resolution_change_relearns() -> None:
    """A camera reconfigured to another resolution is judged with no baseline (the day-one rules, basis
    ``alone``, saying why) until its baseline is learned again (before the day-one rules: cannot_judge)."""
    image = vh.scene("chelsea")
    baseline = vh.learn_baseline([vh.camera_jpeg(image, s) for s in range(3)])
    small = vh.camera_jpeg(vh.scene("chelsea", (640, 360)), 9)
    verdict = analyze_jpeg(small, baseline.to_dict(), None, 4)[1]
    assert (verdict.status, verdict.basis) == (Status.OK, "alone") and "size changed" in verdict.detail
    stats, signature = _features(small)
    baseline.learn(stats, signature, verdict.status)
    assert baseline.modes["day"].count == 1


@pytest.mark.parametrize(
    "broken", [{}, {"version": 99}, {"version": 2, "samples": 5, "alpha": 0.1, "modes": {"day": {}}}]
)
def test_malformed_baseline(broken: dict[str, object]) -> None:
    """A malformed stored baseline is a ValueError from from_dict, and analyze_jpeg treats it as none: the
    frame is judged with no baseline (basis ``alone``), the detail naming the ignored baseline."""
    with pytest.raises(ValueError, match="malformed baseline"):
        Baseline.from_dict(broken)
    verdict = analyze_jpeg(vh.camera_jpeg(vh.scene("coffee"), 1), broken, None, 4)[1]
    assert verdict.basis == "alone" and "ignored" in verdict.detail
