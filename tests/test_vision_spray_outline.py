"""Day one: a made thing's flat faces, bounded by straight lines, are a scene, not paint (``features.coat_free``,
rule 7 of docs/day-one.md).

Real photographs (scikit-image's) with flat, framed panels drawn over them — signs, wall panels between window
frames, as a village camera sees them — and with paint blotches, through real JPEG encoding, judged with no
baseline.
"""

from __future__ import annotations

import cv2
import numpy as np
import vision_helpers as vh

from camfleet.model import Status
from camfleet.vision import analyze_jpeg
from camfleet.vision.alone import SPRAY_COAT_FREE, SPRAY_REPEAT
from camfleet.vision.features import COAT_FREE_FROM

PAINTS = ((40, 40, 200), (120, 120, 120), (225, 230, 235), (30, 30, 40))


def _panels(image: vh.Image, seed: int, count: int = 6) -> vh.Image:
    """``image`` with ``count`` flat panels of one colour each, framed by a light line, tilted up to 20° and placed
    at random (a facade's panels, a sign's face, a noticeboard: nothing repeating at one spacing)."""
    rng = np.random.default_rng(seed)
    out = image.copy()
    h, w = out.shape[:2]
    for _ in range(count):
        centre = (float(rng.uniform(0.1, 0.9) * w), float(rng.uniform(0.15, 0.85) * h))
        size = (float(rng.uniform(0.08, 0.16) * w), float(rng.uniform(0.1, 0.25) * h))
        box = cv2.boxPoints((centre, size, float(rng.uniform(-20, 20)))).astype(np.int32)
        cv2.fillPoly(out, [box], tuple(int(c) for c in rng.integers(30, 200, 3)))
        cv2.polylines(out, [box], True, (230, 230, 230), max(2, w // 300), cv2.LINE_AA)
    return out


def _first(image: vh.Image, seed: int) -> tuple[Status, dict[str, float], dict[str, float]]:
    """The first picture's verdict status, its scores and the picture's features (``stats.extra``)."""
    stats, verdict, _ = analyze_jpeg(vh.camera_jpeg(image, seed), None, None, 4)
    assert verdict.basis == "alone", verdict
    return verdict.status, verdict.scores, stats.extra


def test_framed_flat_panels_are_no_paint() -> None:
    """Flat panels with straight frames over a photograph put flat blocks beside texture, scattered, as paint
    does: read on ``coat_blotch`` at rule 7's bound, every one of these first pictures would be ``spray``
    (astronaut and coffee, four layouts each; fresh9's park signpost, its dark face between frame and letters, was
    on 7 of 44 healthy samples). Their flat blocks face straight edges, which paint's outline never does:
    ``coat_free`` leaves them out and the pictures are ``ok``."""
    for name in ("astronaut", "coffee"):
        for seed in range(4):
            status, scores, extra = _first(_panels(vh.scene(name), seed), seed)
            assert extra["coat_blotch"] >= SPRAY_COAT_FREE and extra["coat_repeat"] < SPRAY_REPEAT, (name, extra)
            assert extra["coat_free"] < SPRAY_COAT_FREE, (name, seed, extra)
            assert status is Status.OK, (name, seed, scores)


def test_paint_keeps_its_blotches_beside_straight_edges() -> None:
    """Paint over a scene full of straight edges (the same framed panels) still reads ``spray``: its blotches are
    curved, and only the flat blocks facing a long straight edge are left out of ``coat_free``."""
    for name in ("astronaut", "coffee", "motorcycle"):
        for seed, colour in enumerate(PAINTS):
            image = vh.spray(_panels(vh.scene(name), seed), seed=seed, coverage=0.35, colour=colour)
            status, scores, extra = _first(image, seed)
            assert extra["coat_free"] >= SPRAY_COAT_FREE, (name, colour, extra)
            assert status is Status.SPRAY, (name, colour, scores)


def test_the_line_detector_runs_only_where_rule_7_could_fire() -> None:
    """``coat_free`` is computed only from ``COAT_FREE_FROM`` of ``coat_blotch`` (below it, it is ``coat_blotch``):
    that start must be under rule 7's bound, or a picture between the two would be judged on the wrong value."""
    assert COAT_FREE_FROM < SPRAY_COAT_FREE
    _, _, extra = _first(vh.scene("chelsea"), 0)
    assert extra["coat_blotch"] < COAT_FREE_FROM and extra["coat_free"] == extra["coat_blotch"], extra
