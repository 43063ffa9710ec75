"""Baseline states: how much of the fleet's ``ok`` rests on a baseline a person approved (docs/baselines.md).

``camfleet_camera_baseline_state{camera,state}`` is one series per camera whose pictures are checked, value 1,
labelled with its state (``provisional``, ``doubtful``, ``approved``; ``none`` after a reset until a frame is
judged); a camera whose picture was never fetched (pictures not checked) has none. It is the ninth
per-camera series: the state is what Grafana needs to show how much of the fleet is still unreviewed.
``camfleet_baseline_review_overdue_cameras`` counts the cameras doubtful for longer than
``vision.review_within_h`` (the alert ``CamfleetBaselineReviewOverdue`` fires on it);
``camfleet_baseline_cameras{state}`` counts the cameras per state, every state present.
``camfleet_cannot_judge_alert_after_seconds`` is ``vision.cannot_judge_alert_h``: the alert
``CamfleetCameraCannotJudge`` compares each camera's time in ``cannot_judge`` with it, so the time is configured
in camfleet.toml, not in the rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from camfleet.metrics.family import Family, gauge
from camfleet.model import BaselineState, CameraState, CameraTarget


def baseline_families(
    targets: Mapping[str, CameraTarget], states: Mapping[str, CameraState], now: float, review_within_s: float
) -> list[Family]:
    """The per-camera state series, the per-state counts and the overdue count, in camera id order."""
    per_camera = gauge(
        "camfleet_camera_baseline_state",
        "What the camera's picture baseline is worth: one series per camera, value 1, labelled with its state.",
        "camera",
        "state",
    )
    counts: Counter[BaselineState] = Counter()
    overdue = 0
    for camera_id in sorted(targets):
        st = states.get(camera_id)
        if st is None or (st.baseline is BaselineState.NONE and not st.last_frame_at):
            continue
        per_camera.add((camera_id, st.baseline.value), 1.0)
        counts[st.baseline] += 1
        if st.baseline is BaselineState.DOUBTFUL and now - st.baseline_since > review_within_s:
            overdue += 1
    totals = gauge(
        "camfleet_baseline_cameras", "Cameras whose pictures are checked, by the state of their baseline.", "state"
    )
    for state in BaselineState:
        totals.add((state.value,), float(counts[state]))
    late = gauge(
        "camfleet_baseline_review_overdue_cameras",
        "Cameras whose first pictures were doubtful and that no person has reviewed within vision.review_within_h.",
    )
    late.add((), float(overdue))
    return [per_camera, totals, late]


def judging_families(cannot_judge_alert_s: float) -> list[Family]:
    """The configured time a camera may stay ``cannot_judge`` before the alert rule names it."""
    after = gauge(
        "camfleet_cannot_judge_alert_after_seconds",
        "How long a camera may stay cannot_judge before CamfleetCameraCannotJudge fires (vision.cannot_judge_alert_h).",
    )
    after.add((), cannot_judge_alert_s)
    return [after]
