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

from camfleet.vision.features import THUMB_SIZE, FrameSignature

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

#: Probe pixels this close to black or white are ignored by the frozen test: clipped areas never change.
_UNCLIPPED = (4, 251)
#: ECC alignment of thumbnails: iterations and convergence step (96×54 floats: ~2 ms).
ECC_CRITERIA = (3, 60, 1e-4)  # cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS


#: A sampled JPEG block whose mean luma moved more than this (levels) is not a requantisation: requantising
#: a DC coefficient moves a block's mean by at most half the new DC step (q35: 23/16 ≈ 1.4 levels).
REQUANT_MAX_SHIFT = 4.0
#: Mean luma below which a picture (or a cell) is black: 0..~8 after JPEG, or 16 from encoders using limited
#: range. Also the floor under a cell's luma when a cast is taken as a share of it.
BLACK_BRIGHTNESS = 20.0
#: Smooth trend removed before the requantisation score: running mean over this many blocks in order of
#: their previous luma (an exposure change shifts blocks of equal luma equally, but smoothly in luma).
REQUANT_TREND = 41


@dataclass(frozen=True, slots=True)
class FrozenMatch:
    """How alike two frames' sampled pixels are."""

    same_fraction: float  # share of comparable probe pixels with exactly the same value
    mean_abs_diff: float  # mean absolute luma difference over comparable probe pixels
    compared: int  # how many probe pixels were comparable (not clipped in either frame)
    #: How much of the blocks' mean-luma change the previous luma of the block explains (≤ 1; 0 unknown):
    #: ~1 for a re-encode of the previous picture, ~0 for fresh sensor noise. See ``requantised``.
    requant: float = 0.0
    steady_share: float = 0.0  # share of comparable blocks whose mean moved ≤ REQUANT_MAX_SHIFT
    block_pairs: int = 0  # pairs of blocks with the same previous luma sum behind ``requant``


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
    requant, steady, pairs = requantised(current, previous)
    same = float(np.count_nonzero(diff == 0)) / compared
    return FrozenMatch(same, float(diff.mean()), compared, requant, steady, pairs)


def requantised(current: FrameSignature, previous: FrameSignature) -> tuple[float, float, int]:
    """Is the current picture the previous one re-encoded? (score ≤ 1, steady share, pairs behind the score)

    A JPEG block's mean luma is its DC coefficient, a multiple of the encoder's DC step. Re-encoding a
    decoded picture at another quality requantises each DC: the new mean is a fixed function of the old one
    (a sawtooth of amplitude ≤ half the new step), so blocks that had the *same* luma before move by the
    *same* amount. Fresh sensor noise moves each block independently. The score is 1 − (variance of the
    change between blocks of equal previous luma) / (variance of the change, around its smooth trend
    over luma — an exposure change is a smooth function of luma too, and is taken out).
    """
    side = current.block_side
    if side == 0 or side != previous.block_side or current.blocks.shape != previous.blocks.shape:
        return 0.0, 0.0, 0
    pixels = side * side
    before = previous.blocks.astype(np.int32)
    after = current.blocks.astype(np.int32)
    lo, hi = _UNCLIPPED[0] * pixels, _UNCLIPPED[1] * pixels
    valid = (before >= lo) & (before <= hi) & (after >= lo) & (after <= hi)
    if np.count_nonzero(valid) < REQUANT_TREND * 2:
        return 0.0, 0.0, 0
    shift = (after[valid] - before[valid]) / pixels
    steady = np.abs(shift) <= REQUANT_MAX_SHIFT
    steady_share = float(steady.mean())
    kept = before[valid][steady]
    order = np.argsort(kept, kind="stable")
    luma, moved = kept[order], np.abs(shift[steady][order])
    tied = luma[1:] == luma[:-1]
    pairs = int(np.count_nonzero(tied))
    if moved.size <= REQUANT_TREND * 2 or pairs == 0:
        return 0.0, steady_share, 0
    within = 0.5 * float(np.mean((moved[1:] - moved[:-1])[tied] ** 2))
    trend = np.convolve(moved, np.ones(REQUANT_TREND) / REQUANT_TREND, mode="same")
    edge = REQUANT_TREND // 2
    spread = float(np.var((moved - trend)[edge:-edge])) * REQUANT_TREND / (REQUANT_TREND - 1)
    if spread <= 0.0:
        return 0.0, steady_share, pairs
    return 1.0 - within / spread, steady_share, pairs


def thumb_motion(before: npt.NDArray[np.generic], after: npt.NDArray[np.generic]) -> tuple[float, float]:
    """How far the picture moved between two thumbnails, and how much of their difference that explains:
    (shift in thumbnail pixels, share of the difference's variance ≤ 1).

    One linearised least-squares step (difference ≈ dx·∂x + dy·∂y + offset, Lucas–Kanade over the whole
    thumbnail): a sub-pixel sway of the camera leaves a difference shaped like the picture's gradient
    (explained 0.01–0.72, docs/vision.md rule 3), a re-encode or fresh sensor noise leaves next to none in a
    thumbnail (≤ 0.003).
    """
    a = before.astype(np.float64)
    gx = cv2.Sobel(a, cv2.CV_64F, 1, 0, ksize=3)[2:-2, 2:-2].ravel() / 8.0
    gy = cv2.Sobel(a, cv2.CV_64F, 0, 1, ksize=3)[2:-2, 2:-2].ravel() / 8.0
    diff = (after.astype(np.float64) - a)[2:-2, 2:-2].ravel()
    centred = diff - diff.mean()
    total = float(centred @ centred)
    if total <= 0.0:
        return 0.0, 0.0
    design = np.stack([gx, gy, np.ones_like(gx)], axis=1)
    solution = np.linalg.lstsq(design, diff, rcond=None)[0]
    residual = diff - design @ solution
    return float(np.hypot(solution[0], solution[1])), 1.0 - float(residual @ residual) / total


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


#: Band of the thumbnail that ``fine_structure`` compares (Gaussian sigmas, thumbnail pixels): finer than
#: the sky/ground layout two different views share, coarser than sensor noise.
FINE_BAND = (0.7, 1.5)


def fine_structure(reference: FloatArray, thumb: FloatArray, mask: BoolArray | None = None) -> float:
    """Zero-mean normalised cross-correlation of the thumbnails' fine detail (a band-pass, ``FINE_BAND``).

    Paint leaves the rest of the picture matching down to its fine detail; a camera turned to another view
    can still match in its coarse layout (sky above, ground below), never in its detail.
    """
    a = reference.astype(np.float32)
    b = thumb.astype(np.float32)
    low, high = FINE_BAND
    a = cv2.GaussianBlur(a, (0, 0), low) - cv2.GaussianBlur(a, (0, 0), high)
    b = cv2.GaussianBlur(b, (0, 0), low) - cv2.GaussianBlur(b, (0, 0), high)
    return structure(a, b, mask, sigma=0.01)


def thumb_shift(reference: FloatArray, thumb: FloatArray) -> tuple[float, float, float]:
    """Phase correlation of two thumbnails: (dx, dy) in thumbnail pixels and the peak response 0..1."""
    window = cv2.createHanningWindow(THUMB_SIZE, cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(reference.astype(np.float32), thumb.astype(np.float32), window)
    return float(dx), float(dy), float(response)


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


def magenta_cells(reference: FloatArray, current: FloatArray, gain: float) -> FloatArray:
    """Per cell: magenta cast gained over the reference's (scaled by ``gain``), as a share of the cell's luma."""
    rise = current[..., 3] - reference[..., 3] * gain
    return np.asarray(rise / np.maximum(current[..., 0], BLACK_BRIGHTNESS), np.float32)


#: Cells whose reference luma std is under this carry too little detail to tell blur from noise.
DETAIL_CELL_STD = 8.0
#: Fewer such cells than this (of 144): no per-cell detail ratio.
DETAIL_MIN_CELLS = 12


def textured_cells(reference: FloatArray, also: BoolArray | None = None) -> BoolArray | None:
    """The cells of a reference grid with texture and fine detail to judge a blur by (luma std ≥ DETAIL_CELL_STD,
    detail > 0, and ``also`` where given), or None when fewer than DETAIL_MIN_CELLS are."""
    usable = (reference[..., 1] >= DETAIL_CELL_STD) & (reference[..., 4] > 0)
    if also is not None:
        usable &= also
    return usable if np.count_nonzero(usable) >= DETAIL_MIN_CELLS else None


def detail_ratio(
    reference: FloatArray, current: FloatArray, floor: FloatArray | None = None, only: BoolArray | None = None
) -> float | None:
    """Median over textured cells of the contrast-normalised fine detail (Laplacian² / std²), frame / reference.

    A defocused lens loses fine detail in every cell; a passer-by, the OSD clock or a car does so in a few,
    which the median ignores. Dividing by each cell's variance keeps haze and exposure (which scale detail
    and contrast together) at ~1. None when the reference has too few textured cells or no detail learned.
    ``floor``: the baseline's learned low crispness per cell (negative where unknown): a cell whose
    crispness varied while healthy (soft video frames) is compared with its softest healthy state.
    ``only``: judge just these cells (away from paint).
    """
    ref_std, ref_detail = reference[..., 1], reference[..., 4]
    cur_std, cur_detail = current[..., 1], current[..., 4]
    usable = textured_cells(reference, only)
    if usable is None:
        return None
    ref_norm = ref_detail[usable] / (ref_std[usable] ** 2)
    if floor is not None:
        low = floor[usable]
        ref_norm = np.where(low >= 0.0, np.minimum(ref_norm, low), ref_norm)
    cur_norm = cur_detail[usable] / np.maximum(cur_std[usable], 1.0) ** 2
    return float(np.median(cur_norm / ref_norm))


#: Zoom factors tried by ``zoom_fit`` (a varifocal lens that drifted, or a camera knocked forward/back).
ZOOMS = (1.2, 1.4, 1 / 1.2, 1 / 1.4)


def zoom_fit(reference: FloatArray, thumb: FloatArray) -> tuple[float, float]:
    """The zoom (about the centre, then re-centred by phase correlation) under which the thumbnail best
    matches the reference: (factor, structure over the overlap). The rigid fit in ``align`` cannot zoom.
    """
    a = np.asarray(cv2.GaussianBlur(reference.astype(np.float32), (0, 0), 1.0), np.float32)
    b = np.asarray(cv2.GaussianBlur(thumb.astype(np.float32), (0, 0), 1.0), np.float32)
    h, w = a.shape
    best = (1.0, -1.0)
    for factor in ZOOMS:
        warp = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, factor).astype(np.float32)
        zoomed = np.asarray(cv2.warpAffine(a, warp, (w, h), flags=cv2.INTER_LINEAR), np.float32)
        inside = np.asarray(cv2.warpAffine(np.ones_like(a), warp, (w, h)) > 0.99, np.bool_)
        dx, dy, _ = thumb_shift(zoomed, b)
        if abs(dx) > w / 8 or abs(dy) > h / 8:  # a zoom moves the centre little; farther is another match
            dx = dy = 0.0
        back = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy]], np.float32)
        moved = np.asarray(cv2.warpAffine(b, back, (w, h)), np.float32)
        matched = structure(zoomed, moved, mask=inside, sigma=0.1)
        if matched > best[1]:
            best = (factor, matched)
    return best


#: The textured cells are split into this many groups by their reference detail for ``clean_detail_ratio``.
CLEAN_GROUPS = 3


def _median(values: FloatArray) -> float:
    """``np.median`` of a short 1-D array, without its overhead (a sort of ≤ 144 values)."""
    ordered = np.sort(values)
    n = ordered.size
    return float(ordered[(n - 1) // 2] + ordered[n // 2]) / 2.0


def crisp_stability(reference: FloatArray, floor: FloatArray) -> float | None:
    """Median over textured cells of the learned crispness floor over the mean crispness: ~1 for a still
    scene, lower where healthy frames vary in sharpness. None without enough textured cells or no floor."""
    usable = textured_cells(reference, floor >= 0.0)
    if usable is None:
        return None
    mean = reference[..., 4][usable] / reference[..., 1][usable] ** 2
    return _median(np.minimum(floor[usable], mean) / mean)


def clean_detail_ratio(reference: FloatArray, current: FloatArray) -> float | None:
    """The crispness ratio (frame / reference) that a cell of unlimited detail would show: the part of the
    fine-detail loss that sensor noise cannot hide.

    Noise adds the same Laplacian² to every cell, so a cell's ratio is ``b + n / detail`` (``b`` the blur's
    loss, ``n`` the noise gained): on a noisy picture the low-detail cells gain, a blur is hidden in the
    median. The textured cells are split in CLEAN_GROUPS by their reference detail and a straight line
    drawn through each pair of groups' (1 / detail, median ratio) is followed to 1 / detail = 0; the
    highest of those values is kept (a passer-by over the most detailed cells bends one line, not all).
    None when the reference has too few textured cells.
    """
    usable = textured_cells(reference)
    if usable is None:
        return None
    ref, cur = reference[usable], current[usable]
    inverse = 1.0 / ref[:, 4]
    ratio = cur[:, 4] * ref[:, 1] ** 2 * inverse / np.maximum(cur[:, 1], 1.0) ** 2
    order = np.argsort(inverse)
    points = [(_median(inverse[g]), _median(ratio[g])) for g in np.array_split(order, CLEAN_GROUPS)]
    best = -np.inf
    for i, (u0, r0) in enumerate(points):
        for u1, r1 in points[i + 1 :]:
            best = max(best, r0 - (r1 - r0) / max(u1 - u0, 1e-12) * u0)
    return float(best)


def _low_order_basis(height: int, width: int) -> FloatArray:
    """Orthonormal columns spanning 1, x, y, x², xy, y² over a height × width grid (a vignette, a light
    falloff, a smooth gradient)."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    x, y = (xx - (width - 1) / 2) / (width / 2), (yy - (height - 1) / 2) / (height / 2)
    terms = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1).reshape(-1, 6)
    q, _ = np.linalg.qr(terms)
    return np.asarray(q, np.float32)


_LOW_ORDER = _low_order_basis(THUMB_SIZE[1], THUMB_SIZE[0])


def residual_structure(reference: FloatArray, thumb: FloatArray) -> float:
    """``structure`` of what is left of the two thumbnails after each loses its best-fitting 2-D quadratic.

    An IR picture is vignetted, and so is a flat black one seen through the same lens: on a smooth scene (the
    moon photo) the two correlate ≥ 0.7. A dim real scene keeps detail beyond the vignette; a flat picture
    has none, only noise.
    """
    a, b = (
        np.asarray(cv2.GaussianBlur(x.astype(np.float32), (0, 0), 1.0), np.float32).reshape(-1)
        for x in (reference, thumb)
    )
    left_a = (a - _LOW_ORDER @ (_LOW_ORDER.T @ a)).reshape(reference.shape)
    left_b = (b - _LOW_ORDER @ (_LOW_ORDER.T @ b)).reshape(thumb.shape)
    return structure(left_a, left_b, sigma=0.01)  # already blurred: a negligible second blur, as in ``fine_structure``
