"""Comparisons between a frame's signature and the previous frame or the baseline's reference.

All comparisons work on small arrays (a 96×54 thumbnail, a 16×9 cell grid, 4096 sampled pixels), so a
baseline stays a few kilobytes per camera and a judgement costs well under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.vision.features import GRID_SIZE, THUMB_SIZE, FrameSignature

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

#: Probe pixels this close to black or white are ignored by the frozen test: clipped areas never change.
_UNCLIPPED = (4, 251)
#: A cell whose reference luma std is below this has no texture to lose.
CELL_TEXTURE_STD = 5.0
#: A cell's texture is "lost" when its std falls below this share of the reference's.
CELL_STD_LOSS = 0.4
#: ... or its edge density below this share (when the reference cell had edges at all).
CELL_EDGE_LOSS = 0.3
CELL_MIN_EDGES = 0.03
#: A cell's (gain-corrected) mean luma moving this far from the reference: something else is there.
CELL_MEAN_SHIFT = 35.0


@dataclass(frozen=True, slots=True)
class FrozenMatch:
    """How alike two frames' sampled pixels are."""

    same_fraction: float  # share of comparable probe pixels with exactly the same value
    mean_abs_diff: float  # mean absolute luma difference over comparable probe pixels
    compared: int  # how many probe pixels were comparable (not clipped in either frame)


def frozen_match(current: FrameSignature, previous: FrameSignature) -> FrozenMatch:
    """Compare sampled pixels: a live camera's sensor noise changes most of them between two samples."""
    if current.analysis_shape != previous.analysis_shape:
        return FrozenMatch(0.0, 255.0, 0)
    a = current.probe.astype(np.int16)
    b = previous.probe.astype(np.int16)
    lo, hi = _UNCLIPPED
    valid = (a >= lo) & (a <= hi) & (b >= lo) & (b <= hi)
    compared = int(np.count_nonzero(valid))
    if compared == 0:
        return FrozenMatch(0.0, 255.0, 0)
    diff = np.abs(a[valid] - b[valid])
    return FrozenMatch(float(np.count_nonzero(diff == 0)) / compared, float(diff.mean()), compared)


def structure(reference: FloatArray, thumb: FloatArray, mask: BoolArray | None = None, sigma: float = 1.0) -> float:
    """Zero-mean normalised cross-correlation of two thumbnails (−1..1), after a blur of ``sigma`` px.

    Invariant to brightness gain and offset; the blur removes noise and the last pixel of shake.
    """
    a = cv2.GaussianBlur(reference.astype(np.float32), (0, 0), sigma)
    b = cv2.GaussianBlur(thumb.astype(np.float32), (0, 0), sigma)
    if mask is not None:
        if np.count_nonzero(mask) < 16:
            return 0.0
        a, b = a[mask], b[mask]
    a = a - a.mean()
    b = b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    if denom < 1e-6:
        return 0.0
    return float((a * b).sum() / denom)


def thumb_shift(reference: FloatArray, thumb: FloatArray) -> tuple[float, float, float]:
    """Phase correlation of two thumbnails: (dx, dy) in thumbnail pixels and the peak response 0..1."""
    window = cv2.createHanningWindow(THUMB_SIZE, cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(reference.astype(np.float32), thumb.astype(np.float32), window)
    return float(dx), float(dy), float(response)


def changed_cells(reference: FloatArray, current: FloatArray, gain: float) -> BoolArray:
    """Cells (9×16) where the scene no longer matches the reference: texture lost or luma moved.

    ``gain`` is the frame's overall brightness ratio to the baseline, so a global exposure change
    does not mark every cell.
    """
    ref_mean, ref_std, ref_edge = (reference[..., i] for i in range(3))
    cur_mean, cur_std, cur_edge = (current[..., i] for i in range(3))
    textured = ref_std >= CELL_TEXTURE_STD
    std_lost = textured & (cur_std < CELL_STD_LOSS * ref_std)
    edges_lost = (ref_edge >= CELL_MIN_EDGES) & (cur_edge < CELL_EDGE_LOSS * ref_edge)
    moved = np.abs(cur_mean / max(gain, 1e-3) - ref_mean) > CELL_MEAN_SHIFT
    return np.asarray(std_lost | edges_lost | moved, dtype=np.bool_)


def cells_to_thumb(cells: BoolArray) -> BoolArray:
    """Expand a 9×16 cell mask to the 54×96 thumbnail grid."""
    fy = THUMB_SIZE[1] // GRID_SIZE[1]
    fx = THUMB_SIZE[0] // GRID_SIZE[0]
    return np.asarray(np.kron(cells.astype(np.uint8), np.ones((fy, fx), np.uint8)).astype(bool), dtype=np.bool_)


def grow(cells: BoolArray) -> BoolArray:
    """A cell mask grown by one cell in every direction."""
    grown = cv2.dilate(cells.astype(np.uint8), np.ones((3, 3), np.uint8))
    return np.asarray(grown.astype(bool), dtype=np.bool_)


def magenta_cells(reference: FloatArray, current: FloatArray, gain: float) -> FloatArray:
    """Per cell: magenta cast gained over the reference's (scaled by ``gain``), as a share of the cell's luma."""
    rise = current[..., 3] - reference[..., 3] * gain
    return np.asarray(rise / np.maximum(current[..., 0], 20.0), np.float32)
