"""``edge_sharp`` (vision/features.py) reads the lens, not the OSD a camera draws sharp over its picture."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.vision import compute_features


def scene(blur: float, osd: bool) -> npt.NDArray[np.uint8]:
    """A 320×180 picture of random blocks and lines (a scene with edges everywhere), Gaussian-blurred by ``blur``
    px, with a white-on-black clock and name drawn sharp over it as a camera's OSD."""
    rng = np.random.default_rng(7)
    img = np.full((180, 320, 3), 110, np.uint8)
    for _ in range(120):
        x, y = int(rng.integers(0, 300)), int(rng.integers(0, 170))
        colour = tuple(int(c) for c in rng.integers(20, 235, 3))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(4, 40)), y + int(rng.integers(4, 30))), colour, -1)
    if blur:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    if osd:
        for text, org in (("2026-12-06 12:00:00 Sun", (10, 20)), ("D-blur-2", (10, 168))):
            cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3, cv2.LINE_AA)
            cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return np.asarray(img, np.uint8)


def edge_sharp(img: npt.NDArray[np.uint8]) -> float:
    """The picture's ``edge_sharp`` at its own size."""
    return compute_features(img, 320, 180)[0].extra["edge_sharp"]


def test_a_strong_blur_under_a_sharp_osd_reads_soft() -> None:
    """A lens 6 px out of focus reads soft (under the prior's 0.70) whether or not the OSD's letters, the sharpest
    edges left, are drawn over it — over the whole picture they read it as sharp (1.5 on the simulator); the
    same scene in focus reads sharp (≥ 0.9) with its OSD."""
    assert edge_sharp(scene(6.0, osd=False)) < 0.7
    assert edge_sharp(scene(6.0, osd=True)) < 0.7
    assert edge_sharp(scene(0.0, osd=True)) >= 0.9
