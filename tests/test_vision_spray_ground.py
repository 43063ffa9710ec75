"""Day one: objects on a flat, darker ground are a scene, not paint (``features.blotch_mask``, rule 7 of
docs/day-one.md).

Real photographs (scikit-image's star field and coin tray, as the unseen split shows them) through real JPEG
encoding, judged with no baseline.
"""

from __future__ import annotations

import pytest
import vision_helpers as vh

from camfleet.model import Status
from camfleet.vision import analyze_jpeg
from camfleet.vision.alone import SPRAY_COAT_FREE

GROUNDS = ("hubble_deep_field", "coins")
PAINTS = ((40, 40, 200), (120, 120, 120), (225, 230, 235), (30, 30, 40))


def _first(image: vh.Image, seed: int) -> tuple[Status, dict[str, float], dict[str, float]]:
    """The first picture's verdict status, its scores and the picture's features (``stats.extra``)."""
    stats, verdict, _ = analyze_jpeg(vh.camera_jpeg(image, seed), None, None, 4)
    assert verdict.basis == "alone", verdict
    return verdict.status, verdict.scores, stats.extra


@pytest.mark.parametrize("name", GROUNDS)
def test_objects_on_a_dark_ground_are_no_paint(name: str) -> None:
    """Stars on a black sky and coins on a dark tray put flat blocks right beside texture all over the picture,
    scattered rather than repeating: rule 7 read every star field picture and every IR coin tray as ``spray``
    (``coat_edge`` 0.11-0.25). The flat part is a ground threading between many small, brighter objects, not a
    hole in the scene: their first pictures, day and IR night, are ``ok`` now."""
    scene = vh.scene(name)
    for seed in range(4):
        for image in (scene, vh.ir_night(scene)):
            status, scores, _ = _first(image, seed)
            assert status is Status.OK, scores


def test_coat_blotch_leaves_out_only_the_ground() -> None:
    """``coat_blotch`` is ``coat_edge`` without the ground: on the star field the flat blocks beside texture are
    above the spray threshold (``coat_edge``) and the blotches are not; paint over a textured scene (a third or
    most of it, in the tuning generator's colours, black included) keeps its blotches above the threshold, those
    facing a straight edge left out too (``coat_free``, what rule 7 reads)."""
    _, _, extra = _first(vh.scene("hubble_deep_field"), 1)
    assert extra["coat_edge"] >= SPRAY_COAT_FREE > extra["coat_blotch"] >= extra["coat_free"], extra
    for name in ("astronaut", "coffee", "motorcycle"):
        for coverage in (0.35, 0.7):
            for seed, colour in enumerate(PAINTS):
                image = vh.spray(vh.scene(name), seed=seed, coverage=coverage, colour=colour)
                _, scores, extra = _first(image, seed)
                assert extra["coat_free"] >= SPRAY_COAT_FREE, (name, coverage, colour, scores)
