"""Day one: motion blur (a shaken mount) on a first picture, told by ``edge_aniso`` (rule 10, docs/day-one.md).

A camera swinging on its mount during the exposure smears the picture along one direction: edges across it go
soft, edges along it stay sharp. Its sharpest edges are then no softer than a healthy picture's, and before
``edge_aniso`` such a first picture read ``ok`` among sharp peers. Real photographs (scikit-image's data), the
peers of tests/test_vision_alone.py.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import vision_eval_helpers as ve
import vision_helpers as vh

from camfleet.model import Status
from camfleet.vision import PeerBook, PeerView, analyze_jpeg, peer_group
from camfleet.vision.alone import MOTION_ANISO


def motion(image: vh.Image, length: float, angle: float) -> vh.Image:
    """The picture smeared over ``length`` pixels at ``angle`` degrees (a line PSF, as a camera moving at a steady
    speed during the exposure)."""
    n = int(np.ceil(length / 2)) + 1
    kernel = np.zeros((2 * n + 1, 2 * n + 1), np.float32)
    dx, dy = np.cos(np.radians(angle)) * length / 2, np.sin(np.radians(angle)) * length / 2
    cv2.line(kernel, (round(n - dx), round(n - dy)), (round(n + dx), round(n + dy)), 1.0, 1, cv2.LINE_AA)
    smeared = cv2.filter2D(image, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)
    return np.asarray(smeared, np.uint8)


def sharp_peers() -> PeerView:
    """Ten healthy colour cameras of one model at 320 px (the peers of tests/test_vision_alone.py)."""
    book, group = PeerBook(), peer_group("M", 320)
    for k, name in enumerate(("astronaut", "coffee", "motorcycle", "rocket", "chelsea") * 2):
        book.add(group, f"S{k}", analyze_jpeg(vh.camera_jpeg(vh.scene(name), k), None, None, 4)[0])
    view = book.view(group, "X")
    assert view is not None
    return view


def _first(image: vh.Image, peers: PeerView, seed: int = 3) -> tuple[Status, str, dict[str, float]]:
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(image, seed), None, None, 4, peers=peers)
    assert verdict.basis == "alone", verdict
    return verdict.status, verdict.detail, verdict.scores


@pytest.mark.parametrize(("name", "length", "angle"), [("rocket", 16, 150), ("immunohistochemistry", 24, 0)])
def test_motion_blur_first_picture_is_defocused(name: str, length: int, angle: int) -> None:
    """A first picture smeared along one direction (16-24 px at 1280) is ``defocused``, the detail naming the
    motion: its sharpest edges' scale ratio depends on their orientation (``edge_aniso`` ≥ 0.25) and its fine
    texture is lost against its peers. It was ``ok``: the edges along the motion kept ``edge_sharp`` above the
    lens rule's 0.86 × the peers' median (or the texture above its 0.35 × theirs)."""
    status, detail, scores = _first(motion(vh.scene(name), length, angle), sharp_peers())
    assert status is Status.DEFOCUSED and "one direction" in detail, (detail, scores)
    assert scores["edge_aniso"] >= MOTION_ANISO, scores


@pytest.mark.parametrize("name", ["rocket", "immunohistochemistry", "motorcycle"])
def test_oriented_healthy_scenes_are_not_motion(name: str) -> None:
    """Healthy first pictures with an orientation of their own stay ``ok`` and under the bound: the scene as it is,
    in rain (streaks along one direction), and a 704×576 sub-stream stretched to 1280×720 by a recorder (softer
    across than down). A lens blur (σ 5 px at 1280) softens every orientation alike: far under the bound too."""
    peers = sharp_peers()
    image = vh.scene(name)
    h, w = image.shape[:2]
    stretched = cv2.resize(cv2.resize(image, (704, 576), interpolation=cv2.INTER_AREA), (w, h))
    rainy = ve.rain(image, np.random.default_rng(5), 1.0)
    for seed, picture in enumerate((image, rainy, np.asarray(stretched, np.uint8))):
        status, detail, scores = _first(picture, peers, seed)
        assert status is Status.OK and scores["edge_aniso"] < 0.2, (seed, detail, scores)
    _, _, scores = _first(vh.defocus(image, 5.0), peers)
    assert scores["edge_aniso"] < 0.15, scores
