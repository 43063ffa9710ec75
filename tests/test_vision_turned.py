"""A camera turned away before camfleet first looked, judged against its acceptance picture: another view, not paint.

The simulator's turned view (another landscape, tilted 9°) keeps sky above and ground below, so the paint map
finds "painted" windows where the old view had texture and the new one is flat, and the rest lines up with the
accepted view in its coarse layout (0.68-0.83). Only its fine detail tells it from paint (rule 10 of
docs/vision.md).
"""

from __future__ import annotations

import pytest

from camfleet.model import Status
from camfleet.simulator.acceptance import healthy_view, local_noon, snapshot_profile
from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.scene import BaseCache
from camfleet.simulator.spec import camera_seed
from camfleet.vision import Baseline
from camfleet.vision.lifecycle import Judging, analyze_frame
from camfleet.vision.verdict import Verdict

FLEET_SEED = 1  # SimulatedFleet's default


def _judged(camera_id: str, kind: str) -> Verdict:
    """The camera's first frame with the simulator's ``kind`` of fault, judged against its acceptance picture."""
    noon, sub = local_noon(), snapshot_profile(main_only=False)
    request = FrameRequest(
        camera_seed(FLEET_SEED, camera_id), sub.width, sub.height, noon + 60, camera_id, frozenset({kind}),
        sub.quality,
    )  # fmt: skip
    frame = render_frame(request, BaseCache(max_bytes=0))
    judging = Judging(reference=healthy_view(camera_id, FLEET_SEED, noon, sub))
    return analyze_frame(frame, Baseline(5), None, 2, 8 << 20, True, judging)[1]


@pytest.mark.parametrize("camera_id", ["D-turn-0", "D-turn-2", "D-turn-5", "D-turn-10"])
def test_turned_view_whose_layout_matches_reads_displaced(camera_id: str) -> None:
    """A turned view that matches the accepted one coarsely (structure ≥ 0.5, so not rule 9's other view; rest
    away from its "paint" ≥ 0.6) but not in its fine detail reads displaced, not spray (these four read spray)."""
    verdict = _judged(camera_id, "displaced")
    assert verdict.status is Status.DISPLACED, verdict.scores
    assert verdict.scores["structure"] >= 0.5 and verdict.scores["rest_structure"] >= 0.6, verdict.scores


def test_sprayed_view_of_the_same_scene_still_reads_spray() -> None:
    """Paint over the accepted view of one of those cameras still reads spray by rule 10's own test: the rest
    matches down to its fine detail."""
    verdict = _judged("D-turn-5", "spray")
    assert verdict.status is Status.SPRAY, verdict.scores
    assert verdict.scores["fine_rest_structure"] >= 0.3, verdict.scores
