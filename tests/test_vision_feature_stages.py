"""The analysis's shortcuts give the very values of the work they replace.

``features.Features`` computes a picture's features in two stages (what judging against a baseline reads, then
what only the day-one rules read), ``osd_mask`` labels only the picture's top and bottom bands, and the luma
histogram comes from ``cv2.calcHist``: each must give exactly what the whole computation gave, or a verdict
could change where a value sits on a threshold.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import vision_helpers as vh

from camfleet.vision import Baseline, analyze_jpeg, features
from camfleet.vision.baseline import PEER_FEATURES
from camfleet.vision.features import (
    OSD_BAND,
    OSD_JOIN,
    OSD_LINE_ASPECT,
    OSD_LINE_HEIGHT,
    OSD_LINE_WIDTH,
    Features,
    compute_features,
    osd_mask,
)


def _whole_picture_osd_mask(edges: np.ndarray) -> np.ndarray:
    """``osd_mask`` as it was: every component of the whole picture labelled."""
    h, w = edges.shape
    joined = cv2.dilate(edges, np.ones((3, max(3, round(w * OSD_JOIN))), np.uint8))
    _, _, boxes, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    x, y, bw, bh = boxes[1:, 0], boxes[1:, 1], boxes[1:, 2], boxes[1:, 3]
    band = OSD_BAND * h
    line = (bh <= OSD_LINE_HEIGHT * h) & (bw >= OSD_LINE_ASPECT * bh) & (bw >= OSD_LINE_WIDTH * w)
    at_edge = (y + bh <= band) | (y >= h - band)
    mask = np.zeros((h, w), np.bool_)
    for i in np.flatnonzero(line & at_edge):
        x0, y0 = max(0, int(x[i]) - 1), max(0, int(y[i]) - 1)
        mask[y0 : int(y[i] + bh[i]) + 1, x0 : int(x[i] + bw[i]) + 1] = True
    return mask


@pytest.mark.parametrize("size", [(320, 180), (480, 270), (640, 360), (48, 27), (60, 20)])
def test_labelling_the_bands_alone_finds_the_whole_pictures_text_lines(size: tuple[int, int]) -> None:
    """Random short strokes (text-line-like runs, some crossing a band's border, some joined to a stroke beyond it)
    give the same mask whether the bands or the whole picture are labelled."""
    w, h = size
    rng = np.random.default_rng(w * h)
    found = 0
    for _ in range(60):
        edges = np.zeros((h, w), np.uint8)
        for _ in range(int(rng.integers(1, 12))):
            y, x = int(rng.integers(0, h)), int(rng.integers(0, w))
            length, tall = int(rng.integers(2, max(3, w // 3))), int(rng.integers(1, max(2, h // 8)))
            edges[y : y + tall, x : x + length : 2] = 255
            if rng.random() < 0.3:  # a vertical stroke from it, across a band's border
                edges[y : y + int(rng.integers(1, h)), x] = 255
        expected = _whole_picture_osd_mask(edges)
        assert np.array_equal(osd_mask(edges), expected)
        found += int(expected.any())
    assert found > 0  # some pictures had a text line to find


def _frames() -> list[bytes]:
    scene = vh.scene("astronaut")
    night = vh.ir_night(scene)
    return [vh.camera_jpeg(x, 3) for x in (scene, night, vh.covered(scene), vh.defocus(scene), vh.spray(scene))]


def test_the_first_stage_is_the_complete_features_first_part() -> None:
    """``Features.stats`` holds the complete stats' fields and the extras judging, learning and peers read, with
    the same values; ``complete()`` adds the rest, and ``compute_features`` is it."""
    for data in _frames():
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_COLOR_4)
        features = Features(image, 1280, 720)
        stats, complete = features.stats, features.complete()
        assert set(stats.extra) < set(complete.extra)
        assert set(PEER_FEATURES) <= set(stats.extra)
        assert all(complete.extra[k] == v for k, v in stats.extra.items())
        assert complete == compute_features(image, 1280, 720)[0]
        assert np.array_equal(features.signature.cells, compute_features(image, 1280, 720)[1].cells)


def test_a_steady_frame_skips_the_day_one_features_unless_asked() -> None:
    """With a ready baseline, ``analyze_jpeg`` returns the first stage (same verdict); ``every_feature`` gives the
    complete stats; with no baseline the frame is judged alone on the complete stats."""
    frames = [vh.camera_jpeg(vh.scene("astronaut"), seed) for seed in range(4)]
    baseline = vh.learn_baseline(frames[:3], samples=3)
    steady, verdict, _ = analyze_jpeg(frames[3], baseline, None)
    every, same, _ = analyze_jpeg(frames[3], baseline, None, every_feature=True)
    alone, judged_alone, _ = analyze_jpeg(frames[3], Baseline(samples=3), None)
    assert verdict == same and verdict.basis == "baseline"
    assert "veil" not in steady.extra and "coat_edge" not in steady.extra
    assert (
        every
        == alone
        == compute_features(cv2.imdecode(np.frombuffer(frames[3], np.uint8), cv2.IMREAD_REDUCED_COLOR_4), 1280, 720)[0]
    )
    assert judged_alone.basis == "alone"


def test_the_histogram_is_numpys() -> None:
    """The entropy and the percentiles come from the same counts as ``np.bincount``'s (the complete stats'
    ``p01``/``p99`` and ``entropy`` of a picture whose luma is known)."""
    gray = np.repeat(np.arange(256, dtype=np.uint8), 40).reshape(80, 128)
    image = np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    stats = Features(image).complete()
    assert stats.extra["p01"] == 2.0 and stats.extra["p99"] == 253.0
    assert stats.entropy == pytest.approx(8.0)


@pytest.mark.parametrize("shape", [(1, 129_600), (36, 3_600), (36, 880), (7, 95), (3, 12)])
def test_the_strongest_values_are_the_partitions(shape: tuple[int, int]) -> None:
    """``_top_means`` (the mean of each row's largest values, found among those above a bound taken from group
    maxima) selects exactly the values a whole partition selects: gradient-like values, ties, a row of zeros, a
    row with one huge value, at every share the sharpness features use and at the extremes."""
    rng = np.random.default_rng(sum(shape))
    rows = rng.exponential(40.0, shape).astype(np.float32)
    rows[0, : shape[1] // 2] = np.round(rows[0, : shape[1] // 2] / 50)  # many ties
    rows[-1] = 0.0 if shape[0] > 1 else rows[-1]
    rows[shape[0] // 2, 3] = 1e5
    for count in sorted({1, 2, max(1, shape[1] // 100), max(1, shape[1] // 50), shape[1] // 3, shape[1]}):
        whole = np.sort(np.partition(rows, shape[1] - count, axis=1)[:, -count:], axis=1).astype(np.float64)
        assert features._top_means(rows, count) == pytest.approx(whole.mean(axis=1), rel=1e-6, abs=1e-6), count
