"""A flat view a person approved (a cloth over the lens, vouched for by `camfleet baseline approve`) keeps reading ok.

Nothing in such a picture but sensor noise and the OSD: the turn fit finds an angle in them, and with one noise
offset for both halves the simulator repeated a flat picture pixel for pixel. Both read as faults of the camera
(`displaced`, `frozen`) where nothing changed; the day-one fleet test's approved camera failed on the first.
"""

from __future__ import annotations

import itertools
from collections import Counter

from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.scene import BaseCache
from camfleet.simulator.spec import camera_seed
from camfleet.vision.analyze import analyze_jpeg
from camfleet.vision.baseline import Baseline
from camfleet.vision.features import FrameSignature

NOON = 1796558400.0 + 12 * 3600  # a local noon: day pictures
CACHE = BaseCache()


def _cloth(camera_id: str, at: float, width: int = 640, height: int = 360) -> bytes:
    """The simulated camera's picture under a grey cloth at local time ``at``."""
    request = FrameRequest(camera_seed(0, camera_id), width, height, at, camera_id, frozenset({"covered"}), 70,
                           material="grey_cloth")  # fmt: skip
    return render_frame(request, CACHE)


def test_approved_cloth_reads_ok_sample_after_sample() -> None:
    """Twenty grey-cloth cameras learn their first five pictures as vouched for, then judge twenty more each
    against that baseline: every one reads ok. Before the turned rule asked the turned picture to match better
    than the picture as it is, 11 of these 400 read displaced (angle ~3°, matching 0.999 against 1.0 unturned)."""
    seen: Counter[str] = Counter()
    for n in range(20, 40):
        camera_id, baseline = f"D-cov-{n}", Baseline()
        previous: FrameSignature | None = None
        for k in range(25):
            stats, verdict, signature = analyze_jpeg(_cloth(camera_id, NOON + 13 * k + n * 0.37), baseline, previous)
            previous = signature
            if baseline.ready(verdict.mode) is None:
                baseline.learn(stats, signature, None, verdict.mode)
                continue
            seen[f"{verdict.status}: {verdict.detail}"] += 1
    assert seen == Counter({"ok: ": 400}), seen


def test_flat_pictures_never_repeat_their_noise() -> None:
    """3,000 pictures of a grey cloth drawn within one OSD second (same clock text, fresh noise draws) never
    repeat the one before byte for byte, as a frozen encoder's would: a sensor's noise does not repeat. With one
    offset for both noise halves, 2 of these pairs repeated and only 979 pictures were distinct."""
    frames = [_cloth("C", NOON + k / 4096, 160, 90) for k in range(3000)]
    assert sum(a == b for a, b in itertools.pairwise(frames)) == 0
    assert len(set(frames)) >= 2990
