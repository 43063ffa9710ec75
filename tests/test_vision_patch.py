"""Day-one rule 10c: one patch of paint on the lens (``features.paint_patch``, docs/day-one.md).

A can sprayed once, close, leaves one even patch of one colour with the scene all round it. Rule 7 counts flat
blocks beside texture and misses it (one large patch is mostly interior); a flat, even region alone (the removed
rule 7b) was also every made thing's painted face. Paint is a curved blot; a cabinet's side or a sign is framed by
a few long straight sides, and a lit surface shades across.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import vision_helpers as vh

from camfleet.model import Status
from camfleet.vision import analyze_jpeg
from camfleet.vision.features import PATCH_FRAMED, PATCH_SOLID, Features

SCENES = ("astronaut", "chelsea", "coffee", "motorcycle")


def _first(image: vh.Image) -> tuple[Status, str, dict[str, float]]:
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(image, 1), None, None, 4)
    assert verdict.basis == "alone", verdict
    return verdict.status, verdict.detail, verdict.scores


def _blot(shape: tuple[int, int], share: float, seed: int) -> np.ndarray:
    """A curved blot of about ``share`` of the picture inside the view: an ellipse whose radius wobbles."""
    h, w = shape
    rng = np.random.default_rng(seed)
    radius = np.sqrt(share * h * w / np.pi)
    angles = np.linspace(0, 2 * np.pi, 90, endpoint=False)
    wobble = 1 + sum(rng.uniform(0.04, 0.1) * np.cos(k * angles + rng.uniform(0, 6.3)) for k in (2, 3, 5))
    cx, cy = rng.uniform(0.4, 0.6) * w, rng.uniform(0.4, 0.6) * h
    points = np.stack([cx + 1.2 * radius * wobble * np.cos(angles), cy + 0.8 * radius * wobble * np.sin(angles)], 1)
    mask = np.zeros((h, w), np.float32)
    cv2.fillPoly(mask, [points.astype(np.int32)], 1.0)
    return cv2.GaussianBlur(mask, (0, 0), 2.0)[..., None]


def _paint(image: vh.Image, mask: np.ndarray, colour: object) -> vh.Image:
    out = image.astype(np.float32) * (1 - mask) + np.asarray(colour, np.float32) * mask
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", SCENES)
def test_one_patch_of_paint_is_spray(name: str) -> None:
    """One even blot of red paint over about 12 % of the view, the scene all round it, is ``spray`` on the first
    picture, named by rule 10c (it read ``ok`` before: rule 7 saw too few flat blocks beside texture)."""
    image = vh.scene(name)
    status, detail, scores = _first(_paint(image, _blot(image.shape[:2], 0.12, seed=5), (40, 40, 200)))
    assert status is Status.SPRAY, (detail, scores)
    assert "one even patch" in detail, (detail, scores)


@pytest.mark.parametrize("name", SCENES)
def test_a_framed_flat_face_is_no_paint(name: str) -> None:
    """A made thing's flat face — an even grey panel in a dark frame, as large as the blot above — is framed by
    long straight sides: not paint, the picture stays ``ok``."""
    image = vh.scene(name).copy()
    h, w = image.shape[:2]
    x0, y0, x1, y1 = int(0.36 * w), int(0.33 * h), int(0.64 * w), int(0.67 * h)
    cv2.rectangle(image, (x0 - 6, y0 - 6), (x1 + 6, y1 + 6), (25, 25, 25), -1)
    cv2.rectangle(image, (x0, y0), (x1, y1), (150, 150, 150), -1)
    status, detail, scores = _first(image)
    assert status is Status.OK, (detail, scores)
    assert scores.get("patch_framed", 1.0) >= 0.3, scores


@pytest.mark.parametrize("name", SCENES)
def test_a_shaded_surface_is_no_paint(name: str) -> None:
    """The same blot shaded across (a lit, curved surface in the scene: 40 levels from one side to the other) is
    not one coat of one colour: not named by rule 10c."""
    image = vh.scene(name)
    h, w = image.shape[:2]
    shade = np.linspace(-20, 20, w, dtype=np.float32)[None, :, None]
    mask = _blot((h, w), 0.12, seed=5)
    painted = image.astype(np.float32) * (1 - mask) + (np.array((110, 110, 110), np.float32) + shade) * mask
    status, detail, scores = _first(np.clip(painted, 0, 255).astype(np.uint8))
    assert "one even patch" not in detail, (status, detail, scores)


def _ragged(shape: tuple[int, int]) -> np.ndarray:
    """An even region with fingers, as a far slope between peaks and trees is in haze: four arms of curved blots
    reaching out from a core, about a tenth of the picture, under half of its convex hull."""
    h, w = shape
    mask = np.zeros((h, w), np.float32)
    cx, cy = w // 2, h // 2
    cv2.circle(mask, (cx, cy), int(0.16 * h), 1.0, -1)
    for dx, dy in ((1, 0.4), (-1, 0.3), (0.3, 1), (-0.2, -1)):
        for step in range(1, 5):
            x, y = cx + dx * step * 0.05 * w, cy + dy * step * 0.07 * h
            cv2.circle(mask, (int(x), int(y)), int(0.07 * h), 1.0, -1)
    return cv2.GaussianBlur(mask, (0, 0), 2.0)[..., None]


@pytest.mark.parametrize("name", SCENES)
def test_a_ragged_even_region_is_no_blot(name: str) -> None:
    """An even, unframed region of one colour that is ragged — arms reaching out, under 0.7 of its convex hull — is
    not a burst of paint: rule 10c leaves it (fresh12's hazy far slope read ``spray`` on 29 of 154 healthy samples
    before the compactness test)."""
    image = vh.scene(name)
    painted = _paint(image, _ragged(image.shape[:2]), (40, 40, 200))
    status, detail, scores = _first(painted)
    assert "one even patch" not in detail, (status, detail, scores)
    decoded = cv2.imdecode(np.frombuffer(vh.camera_jpeg(painted, 1), np.uint8), cv2.IMREAD_REDUCED_COLOR_4)
    found = Features(decoded).complete().extra
    # a candidate, even, inside the view, contrasting and unframed: only its raggedness keeps it from counting
    assert found["patch_area"] == 0.0 and found["patch_framed"] < PATCH_FRAMED, found
    assert 0.3 < found["patch_solid"] < PATCH_SOLID, found
