"""Where the picture lost its texture *locally*: paint, a sticker or a flat coat over part of the lens.

Works on the 96×54 luma thumbnails (one thumbnail pixel is ~13 px of a 1280-wide picture), in 3×3
windows: small enough to see inside the blotches of a spray can, large enough to average sensor noise.
A window is *painted* when the reference had texture there and the frame lost most of it **relative to
how much the whole picture lost** — haze, fog, snow and exposure drift lower every window's contrast
together, paint lowers some to almost nothing. Quieter windows (std 3–8) count when they became a flatter
coat still (paint over low-texture parts at a luma close to theirs). A window now flat at a luma the picture's
tone-curve fit does not explain (grey paint over grey sky, a bright sticker) counts too; a flat fit is the
coat itself (paint over most of the picture), and is refitted on what the coat left.

A coat's rim escapes both tests: a window across its edge keeps the edge's own contrast. ``rimmed`` adds the
pixels next to the coat whose own luma is the coat's and far from what the scene would show there.

The earlier 16×9-cell version missed half-painted cells (the paint's own edge kept their std high)
and, with a fixed loss threshold, read haze over low-texture and snowy scenes as paint.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

#: Window (thumbnail pixels) for local contrast.
WINDOW = (3, 3)
#: A reference window with a luma std under this has no texture to lose (noise, sky, a wall).
TEXTURE_STD = 8.0
#: Painted: the window keeps less than this share of its texture, relative to the whole picture's loss.
TEXTURE_LOSS = 0.3
#: The whole picture's contrast change: this quantile of the windows' std ratios (a high quantile, so
#: that paint over most of the picture does not count as "the whole picture lost contrast").
GLOBAL_QUANTILE = 0.8
#: Paint is a coat: a painted window is nearly flat in absolute terms too (a moving object that left, or
#: a smoother patch of the scene, keeps some texture).
COAT_STD = 3.0
#: Flat now (window std under this) at a luma this far from the tone-curve fit (``_tone``): painted as well.
FLAT_STD = 3.0
LUMA_SHIFT = 30.0
#: A tone curve flatter than this (output levels per reference level, at the reference's mean luma) is no
#: exposure, haze or gain change (35 % haze leaves 0.65): a coat over most of the picture (see ``_tone``).
MIN_GAIN = 0.35
#: Smallest connected patch of painted thumbnail pixels that counts (scattered windows are no paint).
MIN_BLOB = 6
#: A quieter window (reference std from QUIET_STD up to TEXTURE_STD) counts only when the frame made it a
#: flatter coat still: std under QUIET_COAT and under QUIET_LOSS of its texture (relative, as above).
QUIET_STD = 3.0
QUIET_COAT = 1.2
QUIET_LOSS = 0.3
#: Fewer textured reference windows than this: nothing to judge paint by.
MIN_TEXTURED = 50
#: The coat's rim: a pixel next to the coat (up to RIM_STEPS pixels out) whose luma is within RIM_LUMA of the
#: coat's median luma and at least 2 × RIM_LUMA (plus its healthy wander) off the tone curve's expectation.
RIM_LUMA = 8.0
RIM_STEPS = 3


@dataclass(frozen=True, slots=True)
class PaintMap:
    """Painted thumbnail pixels, their share, and the picture's overall contrast ratio."""

    mask: BoolArray  # (54, 96)
    fraction: float  # share of thumbnail pixels painted
    contrast: float  # the picture's contrast relative to the reference (GLOBAL_QUANTILE of window ratios)
    rimmed: float = 0.0  # share painted with the coat's rim (``_rim``): at least ``fraction``


def _local(image: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-pixel mean and std over WINDOW."""
    mean = cv2.blur(image, WINDOW)
    sq = cv2.blur(image * image, WINDOW)
    return np.asarray(mean, np.float32), np.asarray(np.sqrt(np.maximum(sq - mean * mean, 0.0)), np.float32)


def window_std(image: FloatArray) -> FloatArray:
    """Per-pixel luma std over WINDOW (the texture a window of the thumbnail holds)."""
    return _local(image.astype(np.float32))[1]


def _curve(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Least-squares quadratic y ≈ c0 + c1·x + c2·x² (x in 0..1 luma), by the 3×3 normal equations: np.polyfit
    took 0.3 ms per call here (its SVD and checks), a third of the whole paint map."""
    t = x / 255.0
    basis = np.stack([np.ones_like(t), t, t * t])
    gram = basis @ basis.T
    if abs(np.linalg.det(gram)) < 1e-9:  # (almost) one luma level: an offset is all that can be fitted
        return np.array([float(np.mean(y - x)), 255.0, 0.0])
    return np.asarray(np.linalg.solve(gram, basis @ y), np.float64)


def _tone(ref: FloatArray, cur: FloatArray) -> FloatArray:
    """``cur`` as the camera's tone curve maps ``ref`` luma to it: a quadratic (a linear gain and offset read
    the highlight knee of an exposure rise as a foreign luma: carphone +20 % painted 6.9 %), refitted on the
    best-fitting 60 % (paint is an outlier)."""
    x, y = ref.ravel().astype(np.float64), cur.ravel().astype(np.float64)
    coeffs = _curve(x, y)
    t = x / 255.0
    fitted = coeffs[0] + coeffs[1] * t + coeffs[2] * t * t
    error = np.abs(y - fitted)
    keep = error <= np.quantile(error, 0.6)
    if np.ptp(x[keep]) >= 1.0:
        coeffs = _curve(x[keep], y[keep])
        fitted = coeffs[0] + coeffs[1] * t + coeffs[2] * t * t
    if _gain(coeffs, x) < MIN_GAIN:
        # A flat tone curve is no camera's: it is a coat over most of the picture, which the best 60 % then is.
        # Fit what the coat left instead (else the scene beside the coat reads as the foreign luma).
        rest = np.abs(y - fitted) > LUMA_SHIFT
        if np.count_nonzero(rest) >= MIN_TEXTURED and np.ptp(x[rest]) >= 1.0:
            coeffs = _curve(x[rest], y[rest])
            fitted = coeffs[0] + coeffs[1] * t + coeffs[2] * t * t
    return np.asarray(fitted.reshape(ref.shape), np.float32)


def _gain(coeffs: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> float:
    """Slope of the fitted tone curve (output levels per reference level) at the reference's mean luma: the mean
    slope over any luma range centred there (a percentile range cost 0.2 ms, the whole paint map 0.5)."""
    return float((coeffs[1] + 2.0 * coeffs[2] * float(x.mean()) / 255.0) / 255.0)


def paint_map(
    reference: FloatArray, thumb: FloatArray, floor: FloatArray | None = None, wander: FloatArray | None = None
) -> PaintMap:
    """The windows of ``thumb`` that lost their texture (or turned flat at a foreign luma) against ``reference``.

    ``floor``: the baseline's learned low texture per window (a window's texture counts only as far as it
    held in every healthy frame); ``wander``: how far each pixel's luma strayed from the reference while
    healthy (a foreign luma must stray farther). None or negative where not learned yet.
    """
    ref = reference.astype(np.float32)
    cur = thumb.astype(np.float32)
    _, ref_std = _local(ref)
    _, cur_std = _local(cur)
    if floor is not None:
        ref_std = np.where(floor >= 0.0, np.minimum(ref_std, floor), ref_std).astype(np.float32)
    textured = ref_std >= TEXTURE_STD
    empty = np.zeros(ref.shape, np.bool_)
    if np.count_nonzero(textured) < MIN_TEXTURED:
        return PaintMap(empty, 0.0, 1.0)
    contrast = float(np.quantile(cur_std[textured] / ref_std[textured], GLOBAL_QUANTILE))
    lost = textured & (cur_std < TEXTURE_LOSS * min(contrast, 1.0) * ref_std) & (cur_std < COAT_STD)
    quiet = (ref_std >= QUIET_STD) & ~textured
    lost |= quiet & (cur_std < QUIET_LOSS * min(contrast, 1.0) * ref_std) & (cur_std < QUIET_COAT)
    spread = np.maximum(wander, 0.0) if wander is not None else np.zeros_like(ref)
    expected = _tone(ref, cur)
    moved = (np.abs(cur - expected) > LUMA_SHIFT + spread) & (cur_std < FLAT_STD)
    mask = _blobs(np.asarray(lost | moved, np.bool_))
    return PaintMap(mask, float(mask.mean()), contrast, float(_rim(mask, cur, expected, spread).mean()))


def _rim(mask: BoolArray, cur: FloatArray, expected: FloatArray, spread: FloatArray) -> BoolArray:
    """``mask`` grown by its rim: up to RIM_STEPS pixels out, those whose luma is the coat's (within RIM_LUMA of
    its median) and not the scene's (2 × RIM_LUMA plus the pixel's wander off the tone curve). A 3×3 window across
    the coat's edge keeps the edge's contrast, so neither the lost-texture nor the flat test takes it: a 20 % spray
    of small blotches showed only 4-7 % of the picture painted, half its blotches being rim."""
    if not mask.any():
        return mask
    paint = float(np.median(cur[mask]))
    like = (np.abs(cur - paint) < RIM_LUMA) & (np.abs(cur - expected) > 2.0 * RIM_LUMA + spread)
    grown = mask
    kernel = np.ones((3, 3), np.uint8)
    for _ in range(RIM_STEPS):
        grown = grown | (cv2.dilate(grown.astype(np.uint8), kernel).astype(np.bool_) & like)
    return np.asarray(grown, np.bool_)


def _blobs(mask: BoolArray) -> BoolArray:
    """Only the connected patches of at least MIN_BLOB pixels: paint lands in blotches, while a softer video
    frame or JPEG at low quality loses texture in scattered single windows."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= MIN_BLOB)
    big = big[big > 0]  # label 0 is the background
    return np.asarray(np.isin(labels, big), np.bool_)


def intact(mask: BoolArray, thumb: FloatArray) -> BoolArray:
    """Thumbnail pixels away from the paint whose window still holds texture (std ≥ COAT_STD) now: what is left
    of the scene beside a coat. A cover (bag, cloth, hand) leaves none of it."""
    return np.asarray(outside(mask) & (window_std(thumb) >= COAT_STD), np.bool_)


def outside(mask: BoolArray, margin: int = 2) -> BoolArray:
    """Thumbnail pixels at least ``margin`` pixels away from any masked one (paint edges bleed)."""
    size = 2 * margin + 1
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((size, size), np.uint8))
    return np.asarray(grown == 0, np.bool_)
