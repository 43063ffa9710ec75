"""Comparisons between a frame's signature and the previous frame or the baseline's reference.

All comparisons work on small arrays (a 96×54 thumbnail, a 16×9 cell grid, 4096 sampled pixels), so a
baseline stays a few kilobytes per camera and a judgement costs well under a millisecond.
"""

from __future__ import annotations

import contextlib
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
#: A cell's (gain-corrected) mean luma moving this far from the reference while it is flat: paint over it.
CELL_MEAN_SHIFT = 35.0
#: "Flat" for a cell: luma std under this (paint, tape; a passer-by or a car brings texture of its own).
CELL_FLAT_STD = 6.0
#: ECC alignment of thumbnails: iterations and convergence step (96×54 floats: ~2 ms).
ECC_CRITERIA = (3, 60, 1e-4)  # cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS


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


def changed_cells(reference: FloatArray, current: FloatArray) -> BoolArray:
    """Cells (9×16) painted over: texture lost, or now flat at a luma the rest of the picture does not explain.

    Only a *loss* counts: a passer-by or a vehicle replaces texture with texture of its own, paint and
    tape replace it with a flat coat. Luma is compared after a gain-and-offset fit over the cells
    (exposure and haze move every cell together; paint moves some).
    """
    ref_mean, ref_std, ref_edge = (reference[..., i] for i in range(3))
    cur_mean, cur_std, cur_edge = (current[..., i] for i in range(3))
    textured = ref_std >= CELL_TEXTURE_STD
    std_lost = textured & (cur_std < CELL_STD_LOSS * ref_std)
    # Edges count only with the contrast gone too: haze and dusk lower both a little, paint all of it.
    edges_lost = (ref_edge >= CELL_MIN_EDGES) & (cur_edge < CELL_EDGE_LOSS * ref_edge) & (cur_std < 0.6 * ref_std)
    residual = np.abs(cur_mean - _luma_fit(ref_mean, cur_mean))
    moved = (residual > CELL_MEAN_SHIFT) & (cur_std < CELL_FLAT_STD)
    return np.asarray(std_lost | edges_lost | moved, dtype=np.bool_)


def _luma_fit(ref: FloatArray, cur: FloatArray) -> FloatArray:
    """``ref`` mapped by the gain and offset that best explain ``cur``, refitted without the worst third."""
    x, y = ref.ravel().astype(np.float64), cur.ravel().astype(np.float64)
    keep = np.ones(x.size, bool)
    for _ in range(2):
        if np.ptp(x[keep]) < 1.0:
            gain, offset = 1.0, float(np.mean(y[keep] - x[keep]))
        else:
            gain, offset = (float(c) for c in np.polyfit(x[keep], y[keep], 1))
        error = np.abs(y - (gain * x + offset))
        keep = error <= np.quantile(error, 0.67)
    return np.asarray(gain * ref + offset, np.float32)


@dataclass(frozen=True, slots=True)
class Alignment:
    """How the current thumbnail maps onto the reference: an affine fit and how well it then matches."""

    dx: float  # translation, share of the thumbnail width
    dy: float  # translation, share of the thumbnail height
    angle: float  # rotation, degrees
    scale: float  # zoom factor
    matched: float  # structure of the aligned thumbnails over their overlap (−1..1)


def align(reference: FloatArray, thumb: FloatArray) -> Alignment:
    """Fit a rigid map from the reference to the thumbnail (phase correlation start, ECC refinement).

    Rigid (shift and rotation) rather than affine: on a scene with little texture an affine fit
    wanders into shears that mean nothing.

    A bumped camera sees the same scene shifted, rotated or zoomed: after this alignment the pictures
    match again. A passer-by or paint does not move the picture, so the fit stays near identity.
    """
    a = np.asarray(cv2.GaussianBlur(reference.astype(np.float32), (0, 0), 1.0), np.float32)
    b = np.asarray(cv2.GaussianBlur(thumb.astype(np.float32), (0, 0), 1.0), np.float32)
    dx, dy, _ = thumb_shift(a, b)
    warp = np.array([[1, 0, dx], [0, 1, dy]], np.float32)
    with contextlib.suppress(cv2.error):  # no convergence (flat or unrelated pictures): keep the start
        _, found = cv2.findTransformECC(a, b, warp, cv2.MOTION_EUCLIDEAN, ECC_CRITERIA, None, 1)  # type: ignore[call-overload]
        warp = np.asarray(found, np.float32)
    h, w = a.shape
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    moved = np.asarray(cv2.warpAffine(b, warp, (w, h), flags=flags), np.float32)
    inside = cv2.warpAffine(np.ones_like(b), warp, (w, h), flags=flags) > 0.99
    scale = float(np.sqrt(abs(np.linalg.det(warp[:, :2].astype(np.float64)))))
    angle = float(np.degrees(np.arctan2(warp[1, 0], warp[0, 0])))
    matched = structure(a, moved, mask=np.asarray(inside, np.bool_), sigma=0.1)
    return Alignment(float(warp[0, 2]) / w, float(warp[1, 2]) / h, angle, scale, matched)


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
