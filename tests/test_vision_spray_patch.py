"""Day one: one patch of paint inside the view is ``spray`` (``features.paint_blob``, rule 7b of docs/day-one.md).

A can sprayed once, close to the dome, leaves one flat patch of one colour with the scene all round it. The blotch
rule counts only flat blocks beside texture, so one large patch (all interior) was ``ok`` on day one. Real
photographs through real JPEG encoding, judged with no baseline; each case below tests one condition of the rule.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import vision_helpers as vh

from camfleet.model import Status
from camfleet.vision import analyze_jpeg
from camfleet.vision.alone import SPRAY_PATCH

SCENES = ("astronaut", "motorcycle", "coffee")
PAINTS = ((40, 40, 200), (120, 120, 120), (225, 230, 235), (30, 30, 40))


def _first(image: vh.Image, seed: int) -> tuple[Status, dict[str, float], dict[str, float]]:
    """The first picture's verdict status, its scores and the picture's features (``stats.extra``)."""
    stats, verdict, _ = analyze_jpeg(vh.camera_jpeg(image, seed), None, None, 4)
    assert verdict.basis == "alone", verdict
    return verdict.status, verdict.scores, stats.extra


def _patch(image: vh.Image, colour: tuple[int, int, int], share: float, shade: float = 0.0) -> vh.Image:
    """``image`` with an ellipse of ``share`` of the view in ``colour`` in its middle, rim softened over 2 px;
    ``shade``: levels of light falling off across it from left to right (a lit surface, not a coat)."""
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.float32)
    a = float(np.sqrt(share * h * w / np.pi * 1.4))
    cv2.ellipse(mask, (w // 2, h // 2), (int(a), int(share * h * w / np.pi / a)), 15, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 2.0)[..., None]
    ramp = np.linspace(shade / 2, -shade / 2, w, dtype=np.float32)[None, :, None]
    paint = np.array(colour, np.float32) + ramp
    return np.clip(image * (1 - mask) + paint * mask, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", SCENES)
def test_one_patch_of_paint_is_spray(name: str) -> None:
    """A patch of paint over a fifth of the view, in any of four colours (black and white included), is ``spray``
    on the first picture, named by the patch rule; the same scene with no patch is ``ok``."""
    scene = vh.scene(name)
    assert _first(scene, 0)[0] is Status.OK
    for seed, colour in enumerate(PAINTS):
        status, scores, extra = _first(_patch(scene, colour, 0.2), seed)
        assert status is Status.SPRAY and extra["paint_blob"] >= SPRAY_PATCH, (colour, scores)


def test_a_lit_surface_or_a_clipped_one_is_no_paint() -> None:
    """What tells a coat from a flat part of the scene: a flat region with light falling off across it (40
    levels: a lit wall) and one clipped white (a lit window, a bright sky seen through a gap) are not paint; a
    patch under a tenth of the view is not judged paint either (healthy scenes have flat parts that small)."""
    scene = vh.scene("motorcycle")
    for seed, (colour, share, shade) in enumerate(
        (((120, 120, 120), 0.2, 40.0), ((255, 255, 255), 0.2, 0.0), ((120, 120, 120), 0.05, 0.0))
    ):
        status, scores, extra = _first(_patch(scene, colour, share, shade), seed)
        assert extra["paint_blob"] < SPRAY_PATCH, (colour, share, shade, scores)
        assert status is not Status.SPRAY or "patch" not in scores, scores


def test_a_sky_is_no_paint() -> None:
    """A flat sky runs to the frame's edge: the rocket's dusk sky and the cameraman's grey sky, day and IR night,
    are ``ok`` however flat and even (a patch is inside the view, the scene all round it)."""
    for name in ("rocket", "camera"):
        scene = vh.scene(name)
        for seed, image in enumerate((scene, vh.ir_night(scene))):
            status, scores, extra = _first(image, seed)
            assert status is Status.OK and extra["paint_blob"] < SPRAY_PATCH, (name, scores)
