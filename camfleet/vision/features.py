"""Features of one decoded frame: ``FrameStats`` plus a ``FrameSignature`` for comparisons.

Everything is computed on the *analysis image*: the reduced-scale decode, shrunk further to at most
``MAX_ANALYSIS_WIDTH`` so that a camera whose snapshot is 4K costs the same as a 1080p one. Sharpness
(Laplacian variance) depends on that scale, so it is only ever compared with the same camera's baseline,
learned at the same scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.errors import FrameError
from camfleet.model import FrameStats, Reason

#: Cap on the analysis width: above it Canny and the Laplacian cost more without judging better.
MAX_ANALYSIS_WIDTH = 640
#: Smallest analysis picture that can be judged (a cell of the grid must hold a few pixels).
MIN_ANALYSIS = (48, 27)
#: Grayscale thumbnail kept for structure comparisons and phase correlation (16:9, stretched if needed).
THUMB_SIZE = (96, 54)
#: Cell grid for local comparisons (spray paint covers some cells, the rest still matches).
GRID_SIZE = (16, 9)
#: Per cell: mean luma, luma std, edge density, magenta cast, detail (mean squared Laplacian).
CELL_FEATURES = 5
#: Pixels sampled for the frozen-picture test (a fixed pseudo-random set per analysis size).
PROBE_PIXELS = 4096
#: JPEG blocks sampled for the re-encoded-frozen test: the luma sum over each sampled 8×8 source block (its
#: DC coefficient, which every scaled decode keeps exactly), as seen in the analysis image. uint16: 2 KB.
PROBE_BLOCKS = 1024
#: JPEG blocks are 8×8 source pixels: 8/reduction analysis pixels a side when the analysis image is the decode.
JPEG_BLOCK = 8
#: Canny hysteresis thresholds on the lightly blurred luma (absolute: a dark frame should lose edges).
CANNY_LOW, CANNY_HIGH = 40, 120
#: A block whose (blurred) luma standard deviation is under this is "flat".
FLAT_BLOCK_STD = 2.5
FLAT_BLOCK_PX = 8
#: Luma at or above this counts as clipped white.
CLIPPED = 250
#: Luma at or below this counts as black (limited-range black is 16, plus JPEG ringing).
DARK = 24
#: Hasler–Süsstrunk colourfulness under this: a grayscale (IR night) picture.
IR_COLOURFULNESS = 4.0
#: Colour is measured on the analysis image shrunk by this factor (area average): chroma noise of a grayscale
#: IR picture averages away, the colour of objects does not.
COLOUR_SHRINK = 4
#: A cell of the grid whose mean chroma (the length of its mean (R−G, (R+G)/2−B)) is under this is grey: an IR
#: picture is grey in every cell, a grey scene with a coloured passer-by in most (``extra["grey_share"]``).
GREY_CELL_CHROMA = 6.0

FloatArray = npt.NDArray[np.float32]
U8Array = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class FrameSignature:
    """What a later frame is compared with: thumbnail, cell grid and sampled pixels. Picklable."""

    thumb: U8Array  # (54, 96) luma thumbnail
    cells: FloatArray  # (9, 16, 5): per cell mean luma, luma std, edge density, magenta cast, detail
    probe: U8Array  # PROBE_PIXELS luma samples at fixed positions, for the frozen test
    analysis_shape: tuple[int, int]  # (height, width) of the analysis image
    #: PROBE_BLOCKS luma sums over whole JPEG blocks at fixed positions, and the block side in analysis
    #: pixels; empty (side 0) when the analysis image is not block-aligned (shrunk after decoding, size unknown)
    blocks: npt.NDArray[np.uint16] = field(default_factory=lambda: np.zeros(0, np.uint16))
    block_side: int = 0


def analysis_image(image: U8Array) -> U8Array:
    """Shrink a decoded BGR picture to the analysis scale (no-op when already small enough)."""
    height, width = image.shape[:2]
    if width < MIN_ANALYSIS[0] or height < MIN_ANALYSIS[1]:
        raise FrameError(f"picture of {width}×{height} is too small to judge", Reason.SNAPSHOT_ERROR)
    if width <= MAX_ANALYSIS_WIDTH:
        return image
    new_h = max(MIN_ANALYSIS[1], round(height * MAX_ANALYSIS_WIDTH / width))
    return np.asarray(cv2.resize(image, (MAX_ANALYSIS_WIDTH, new_h), interpolation=cv2.INTER_AREA), np.uint8)


def compute_features(
    image: U8Array, full_width: int = 0, full_height: int = 0, jpeg_blocks: bool = True
) -> tuple[FrameStats, FrameSignature]:
    """FrameStats (every feature, ``Features.complete``) and signature of a decoded BGR picture (``full_*``: the
    size the camera sent).

    ``jpeg_blocks=False``: the picture's JPEG blocks say nothing about the camera (camfleet encoded it from a
    stream's decoded frame), so the signature keeps none and the re-encoded-frozen test is off for it."""
    features = Features(image, full_width, full_height, jpeg_blocks)
    return features.complete(), features.signature


class Features:
    """A decoded picture's features in two stages, each intermediate (luma, edges, block grid, OSD, gradients)
    computed once and shared.

    ``stats`` holds what a picture judged against a ready baseline needs: ``judge`` and ``blind_verdict`` read the
    FrameStats fields and the extras ``magenta``, ``analysis_width``, ``dark_fraction``, ``grey_share`` and
    ``blue_cast``; baseline learning and the poller's ``PeerBook`` the sharpness features (``baseline.PEER_FEATURES``:
    ``edge_sharp``, ``edge_sharp2``, ``crisp``). ``complete()`` adds what only the day-one rules read
    (``vision/alone.py``: ``edge_aniso``, the veil, the coat, cover and paint-patch measures, the OSD-free
    measures), about as much work again, so the steady path skips it (``analyze_jpeg``)."""

    def __init__(self, image: U8Array, full_width: int = 0, full_height: int = 0, jpeg_blocks: bool = True) -> None:
        bgr = analysis_image(image)
        gray = np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), np.uint8)
        smooth = cv2.GaussianBlur(gray, (3, 3), 0)
        edges = np.asarray(cv2.Canny(smooth, CANNY_LOW, CANNY_HIGH), np.uint8)
        small = shrunk(bgr)
        colourfulness, cast, grey_share, blue = _colour(small)
        laplacian = np.asarray(cv2.Laplacian(gray, cv2.CV_32F), np.float32)
        aligned = bgr is image and jpeg_blocks
        side = block_side(image.shape[1], image.shape[0], full_width, full_height) if aligned else 0
        luma = gray.astype(np.float32)  # the signature's cells and the gradients both start from it
        signature = make_signature(gray, edges, cast, laplacian, side, luma)
        hist = _histogram(gray)
        blocks = _block_std(gray)
        osd = Osd.find(edges, blocks.shape)  # ``crisp`` leaves its cells out
        self.sharpness = Sharpness(luma, signature.cells, osd.cells)
        self.gray, self.edges, self.small, self.hist, self.blocks, self.osd = gray, edges, small, hist, blocks, osd
        self.signature = signature
        self.stats = FrameStats(
            width=full_width or bgr.shape[1],
            height=full_height or bgr.shape[0],
            brightness=float(gray.mean()),
            contrast=float(gray.std()),
            sharpness=float(laplacian.var()),
            edge_density=float(np.count_nonzero(edges)) / edges.size,
            entropy=_entropy(hist, gray.size),
            colourfulness=colourfulness,
            uniform_fraction=_uniform_fraction(blocks),
            saturated_fraction=float(np.count_nonzero(gray >= CLIPPED)) / gray.size,
            is_ir=colourfulness < IR_COLOURFULNESS,
            extra={
                "magenta": float(cast.mean()),
                "analysis_width": float(gray.shape[1]),
                "dark_fraction": float(np.count_nonzero(gray <= DARK)) / gray.size,
                "grey_share": grey_share,
                "blue_cast": blue,
                **self.sharpness.values,
            },
        )
        self._complete: FrameStats | None = None

    def complete(self) -> FrameStats:
        """``stats`` with every feature the day-one rules read too (computed on the first call)."""
        if self._complete is not None:
            return self._complete
        gray, edges, blocks, osd, cells = self.gray, self.edges, self.blocks, self.osd, self.signature.cells
        means = _block_mean(gray, blocks.shape)
        regions = flat_regions(blocks, edges)  # near_cover's and paint_patch's
        scene = osd.scene_blocks(blocks)  # the day-one measures of the scene leave the OSD's text lines out
        extra = self.stats.extra
        sharp = self.sharpness
        self._complete = replace(
            self.stats,
            extra={
                **{k: extra[k] for k in ("magenta", "analysis_width", "dark_fraction", "grey_share", "blue_cast")},
                **sharp.alone(osd.scene_hist(gray, self.hist)),
                "veil": veil(self.small),
                "coat_edge": coat_edge(scene),
                "coat_repeat": coat_repeat(scene),
                **_blotches(gray, scene, means),
                **near_cover(gray, blocks, edges, means, self.small, regions),
                **paint_patch(gray, blocks, edges, means, self.small, regions),
                **osd.bare_features(edges, blocks, cells),
            },
        )
        return self._complete


#: The OSD: every field camera draws its clock and name after the lens, sharp, in a line along the top or bottom of
#: the picture, over whatever the lens shows — a cover too. A line of text is a run of edges this much wider than
#: tall (glyphs joined across their gaps), at most OSD_LINE_HEIGHT of the picture's height, in the top or bottom
#: OSD_BAND of it, and apart from the scene's own edges (a healthy scene's edges join into one large component).
OSD_BAND = 0.2
OSD_LINE_HEIGHT = 0.1
OSD_LINE_ASPECT = 3.0
OSD_LINE_WIDTH = 0.08
#: Glyphs are joined across gaps of this share of the width (a space between words at 320 px: 3-5 px).
OSD_JOIN = 1 / 48


def osd_mask(edges: U8Array) -> BoolArray:
    """The pixels of the text lines an encoder draws over the picture (``OSD_*``), padded by a pixel; all False
    when there are none (or the scene's own edges run into them, as on a textured view: nothing to leave out)."""
    h, w = edges.shape
    kernel = np.ones((3, max(3, round(w * OSD_JOIN))), np.uint8)
    band = OSD_BAND * h
    # Only a component inside the top or the bottom band can be a line: each band is labelled alone, a row beyond
    # the band's reach included (a component touching that row runs on out of the band: no line), and dilated with
    # one row more (the kernel's reach) so that its rows are the whole picture's. The whole picture's labelling made
    # osd_mask 1.07 ms at 480×270, the bands' (40 % of it) 0.51 (min CPU, same run).
    reach = int(band) + 2
    spans = ((0, reach), (h - reach, h)) if 2 * reach + 2 <= h else ((0, h),)
    mask = np.zeros((h, w), np.bool_)
    for top, bottom in spans:
        lo, hi = max(0, top - 1), min(h, bottom + 1)
        joined = cv2.dilate(edges[lo:hi], kernel)[top - lo : bottom - lo]
        _, _, boxes, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
        x, y, bw, bh = boxes[1:, 0], boxes[1:, 1] + top, boxes[1:, 2], boxes[1:, 3]
        line = (bh <= OSD_LINE_HEIGHT * h) & (bw >= OSD_LINE_ASPECT * bh) & (bw >= OSD_LINE_WIDTH * w)
        at_edge = (y + bh <= band) | (y >= h - band)
        for i in np.flatnonzero(line & at_edge):
            x0, y0 = max(0, int(x[i]) - 1), max(0, int(y[i]) - 1)
            mask[y0 : int(y[i] + bh[i]) + 1, x0 : int(x[i] + bw[i]) + 1] = True
    return mask


#: A block under the OSD is neither flat nor textured for the scene's measures (between FLAT/COAT_BLOCK_STD and
#: COAT_BESIDE_STD): its letters are not the scene's texture, and the scene behind them is not seen.
OSD_BLOCK_STD = 5.0


@dataclass(frozen=True, slots=True)
class Osd:
    """The OSD's text lines found in one analysis picture (``osd_mask``): their pixels, and the blocks of
    ``_block_std``'s grid and the cells of the signature's grid they touch. All False when none was found."""

    pixels: BoolArray
    blocks: BoolArray
    cells: BoolArray

    @classmethod
    def find(cls, edges: U8Array, block_shape: tuple[int, ...]) -> Osd:
        mask = osd_mask(edges)
        bh, bw = block_shape[0], block_shape[1]
        if not mask.any():
            return cls(mask, np.zeros((bh, bw), np.bool_), np.zeros((GRID_SIZE[1], GRID_SIZE[0]), np.bool_))
        share = mask.astype(np.float32)
        blocks = np.asarray(cv2.resize(share, (bw, bh), interpolation=cv2.INTER_AREA) > 0, np.bool_)
        cells = np.asarray(cv2.resize(share, GRID_SIZE, interpolation=cv2.INTER_AREA) > 0, np.bool_)
        return cls(mask, blocks, cells)

    def scene_blocks(self, std: FloatArray) -> FloatArray:
        """``std`` (``_block_std``) with the OSD's blocks neither flat nor textured (OSD_BLOCK_STD)."""
        if not self.blocks.any():
            return std
        return np.asarray(np.where(self.blocks, np.float32(OSD_BLOCK_STD), std), np.float32)

    def scene_hist(self, gray: U8Array, hist: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """The luma histogram without the OSD's pixels (its white letters would pass for a lit part of a dark
        picture: 1-3 % of the pixels, the 99th percentile's share)."""
        if not self.pixels.any():
            return hist
        return np.asarray(hist - np.bincount(gray[self.pixels], minlength=256), np.intp)  # the OSD's few pixels out

    def bare_features(self, edges: U8Array, blocks: FloatArray, cells: FloatArray) -> dict[str, float]:
        """The cover rules' measures with the OSD left out: edge density, the share of flat blocks and of
        textured cells over the rest of the picture, and ``osd_share``, the picture's share under the text
        lines. With no OSD found they equal the whole picture's."""
        rest = ~self.pixels
        free_blocks, free_cells = blocks[~self.blocks], cells[..., 1][~self.cells]
        return {
            "osd_share": float(np.count_nonzero(self.pixels)) / self.pixels.size,
            "edge_density_bare": float(np.count_nonzero(edges[rest])) / max(1, int(np.count_nonzero(rest))),
            "uniform_bare": float(np.count_nonzero(free_blocks < FLAT_BLOCK_STD)) / max(1, free_blocks.size),
            "textured_bare": float(np.count_nonzero(free_cells >= TEXTURED_CELL_STD)) / max(1, free_cells.size),
        }


def _blotches(gray: U8Array, blocks: FloatArray, means: FloatArray) -> dict[str, float]:
    """``coat_blotch`` (the share of ``blotch_mask``'s blocks) and ``coat_free`` (the latter only where the former
    reaches COAT_FREE_FROM)."""
    blotches = blotch_mask(blocks, means)
    share = float(np.count_nonzero(blotches)) / blotches.size
    return {"coat_blotch": share, "coat_free": coat_free(gray, blocks, blotches) if share >= COAT_FREE_FROM else share}


def block_side(width: int, height: int, full_width: int, full_height: int) -> int:
    """Side of a JPEG block in pixels of a decode of ``width``×``height`` from ``full_*`` (0: unknown).

    A scaled decode (``IMREAD_REDUCED_*``) by r gives ceil(full / r) pixels a side, 8/r per 8×8 block, aligned
    at the top left."""
    if full_width <= 0 or full_height <= 0:
        return 0
    for reduction in (1, 2, 4, 8):
        if -(-full_width // reduction) == width and -(-full_height // reduction) == height:
            return JPEG_BLOCK // reduction
    return 0


def make_signature(
    gray: U8Array,
    edges: U8Array,
    magenta: FloatArray,
    laplacian: FloatArray,
    side: int = 0,
    luma: FloatArray | None = None,
) -> FrameSignature:
    """Thumbnail, cell grid and probe pixels of an analysis-scale luma image, its edges, magenta cast, Laplacian
    (``side``: the JPEG block side in its pixels, 0 when not aligned to the decode's blocks; ``luma``: ``gray`` as
    float32, when the caller has it already)."""
    if side > 0 and gray.shape[0] // side * (gray.shape[1] // side) < PROBE_BLOCKS:
        side = 0  # too few whole blocks to sample
    thumb = cv2.resize(gray, THUMB_SIZE, interpolation=cv2.INTER_AREA)
    g = gray.astype(np.float32) if luma is None else luma
    mean = cv2.resize(g, GRID_SIZE, interpolation=cv2.INTER_AREA)
    mean_sq = cv2.resize(g * g, GRID_SIZE, interpolation=cv2.INTER_AREA)
    std = np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))
    edge = cv2.resize((edges > 0).astype(np.float32), GRID_SIZE, interpolation=cv2.INTER_AREA)
    cast = cv2.resize(magenta, GRID_SIZE, interpolation=cv2.INTER_AREA)
    # Fine detail per cell: a blurred lens loses it everywhere, a passer-by or the OSD only in a few cells.
    detail = cv2.resize(laplacian * laplacian, GRID_SIZE, interpolation=cv2.INTER_AREA)
    cells = np.stack([mean, std, edge, cast, detail], axis=-1).astype(np.float32)
    return FrameSignature(
        thumb=np.asarray(thumb, np.uint8),
        cells=cells,
        probe=gray.ravel()[probe_positions(gray.shape[0], gray.shape[1])].copy(),
        analysis_shape=(int(gray.shape[0]), int(gray.shape[1])),
        blocks=_block_sums(gray, side),
        block_side=side,
    )


def _block_sums(gray: U8Array, side: int) -> npt.NDArray[np.uint16]:
    """The ``blocks`` field: luma sums over PROBE_BLOCKS whole JPEG blocks (empty for side 0: none sampled)."""
    if side <= 0:
        return np.zeros(0, np.uint16)
    sums = gray.ravel()[block_positions(gray.shape[0], gray.shape[1], side)].sum(axis=1, dtype=np.uint32)
    return np.asarray(sums, np.uint16)


@lru_cache(maxsize=16)
def block_positions(height: int, width: int, side: int) -> npt.NDArray[np.intp]:
    """Pixel indices (PROBE_BLOCKS × side²) of fixed pseudo-random whole ``side``×``side`` blocks of the grid."""
    rows, cols = height // side, width // side
    rng = np.random.default_rng(height * 100_003 + width * 7 + side)
    chosen = np.sort(rng.choice(rows * cols, size=PROBE_BLOCKS, replace=False))
    top = (chosen // cols) * side * width + (chosen % cols) * side
    dy, dx = np.divmod(np.arange(side * side), side)
    return np.asarray(top[:, None] + dy[None, :] * width + dx[None, :], np.intp)


@lru_cache(maxsize=16)
def probe_positions(height: int, width: int) -> npt.NDArray[np.intp]:
    """Fixed pseudo-random pixel indices for a given analysis size (same camera → same positions)."""
    size = height * width
    rng = np.random.default_rng(height * 100_003 + width)
    return np.sort(rng.choice(size, size=min(PROBE_PIXELS, size), replace=False)).astype(np.intp)


def _histogram(gray: U8Array) -> npt.NDArray[np.intp]:
    """The luma histogram, 256 counts (``cv2.calcHist``: 0.04 ms at 480×270 where ``np.bincount`` took 0.26; its
    float32 counts are exact up to 2^24 pixels, far above MAX_ANALYSIS_WIDTH's pictures)."""
    return np.asarray(cv2.calcHist([gray], [0], None, [256], [0, 256]).ravel(), np.intp)


def _entropy(counts: npt.NDArray[np.intp], size: int) -> float:
    hist = counts.astype(np.float64)
    p = hist[hist > 0] / size
    return float(-(p * np.log2(p)).sum())


def shrunk(bgr: U8Array) -> U8Array:
    """The analysis picture shrunk by COLOUR_SHRINK (area average), for colour measures."""
    h, w = bgr.shape[:2]
    small = (max(GRID_SIZE[0], w // COLOUR_SHRINK), max(GRID_SIZE[1], h // COLOUR_SHRINK))
    return np.asarray(cv2.resize(bgr, small, interpolation=cv2.INTER_AREA), np.uint8)


def _colour(bgr: U8Array) -> tuple[float, FloatArray, float, float]:
    """Hasler–Süsstrunk colourfulness, the magenta cast (R+B)/2 − G per pixel of the shrunk picture, the
    share of grid cells whose mean chroma is under GREY_CELL_CHROMA, and the mean blue cast B − G.

    Both on the picture shrunk by COLOUR_SHRINK (``bgr`` is that: ``shrunk``): per-pixel chroma noise (σ 10
    on a grayscale IR frame gave a colourfulness of up to 3.8 at full analysis scale, 1.5 shrunk; colour scenes
    lost ≤ 2.5 of ≥ 6) no longer makes an IR frame "colour", and the float work is on 1/16 of the pixels (the
    cast is only ever averaged per cell and over the picture, which the area average keeps)."""
    b, g, r = (bgr[..., i].astype(np.float32) for i in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    colourfulness = float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))
    # Per cell, the chroma of the mean (noise averages away over a cell; an object's colour does not).
    cell_rg, cell_yb = (cv2.resize(c, GRID_SIZE, interpolation=cv2.INTER_AREA) for c in (rg, yb))
    grey_share = float(np.count_nonzero(np.hypot(cell_rg, cell_yb) < GREY_CELL_CHROMA)) / (GRID_SIZE[0] * GRID_SIZE[1])
    return colourfulness, np.asarray(0.5 * (r + b) - g, np.float32), grey_share, float((b - g).mean())


def _block_std(gray: U8Array) -> FloatArray:
    """Luma std of each FLAT_BLOCK_PX block, blurred first (sensor noise is not texture)."""
    h, w = gray.shape
    bw, bh = max(1, w // FLAT_BLOCK_PX), max(1, h // FLAT_BLOCK_PX)
    blurred = cv2.GaussianBlur(gray, (5, 5), 0).astype(np.float32)
    mean = cv2.resize(blurred, (bw, bh), interpolation=cv2.INTER_AREA)
    mean_sq = cv2.resize(blurred * blurred, (bw, bh), interpolation=cv2.INTER_AREA)
    return np.asarray(np.sqrt(np.maximum(mean_sq - mean * mean, 0.0)), np.float32)


def _block_mean(gray: U8Array, shape: tuple[int, ...]) -> FloatArray:
    """Mean luma of each FLAT_BLOCK_PX block of ``_block_std``'s grid (``shape``), on the picture cropped to whole
    blocks (an integer shrink)."""
    h, w = shape[0], shape[1]
    side = FLAT_BLOCK_PX
    return np.asarray(cv2.resize(gray[: h * side, : w * side], (w, h), interpolation=cv2.INTER_AREA), np.float32)


def _uniform_fraction(std: FloatArray) -> float:
    """Fraction of blocks (``_block_std``) whose blurred luma barely varies."""
    return float(np.count_nonzero(std < FLAT_BLOCK_STD)) / std.size


#: ``coat_edge``: a block flatter than this (blurred luma std) ...
COAT_BLOCK_STD = 1.5
#: ... beside a block at least this textured.
COAT_BESIDE_STD = 10.0


def coat_edge(std: FloatArray) -> float:
    """Share of blocks that are nearly flat (std < COAT_BLOCK_STD, flatter than anything but a coat, a clear
    sky or a clipped area) right beside a textured one (≥ COAT_BESIDE_STD, one of its 8 neighbours): paint
    blotches in a scene. A sky or a wall is flat too, but along one border of the scene, not in blotches
    across it."""
    return float(np.count_nonzero(_coat_mask(std)[2])) / std.size


def _coat_mask(std: FloatArray) -> tuple[BoolArray, BoolArray, BoolArray]:
    """The blocks flat (std < COAT_BLOCK_STD), textured (≥ COAT_BESIDE_STD), and flat beside a textured one (one of
    its 8 neighbours): ``coat_edge``'s blocks, which ``blotch_mask`` then sorts."""
    flat = std < COAT_BLOCK_STD
    textured = std >= COAT_BESIDE_STD
    return flat, textured, flat & (cv2.dilate(textured.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)


#: ``blotch_mask`` leaves out the *ground* around objects: a flat region (8-connected flat blocks) that borders at
#: least GROUND_OBJECTS separate small textured patches (8-connected blocks of std ≥ COAT_BESIDE_STD, each at most
#: GROUND_OBJECT of the blocks) and at most GROUND_LARGE larger ones, ...
GROUND_OBJECTS = 3
GROUND_OBJECT = 0.05
GROUND_LARGE = 1
#: ... and is no larger than GROUND_AREA of the blocks or GROUND_PER_OBJECT blocks per small patch it borders (a
#: star field's dark sky is one region threading between dozens of stars), ...
GROUND_AREA = 0.1
GROUND_PER_OBJECT = 12.0
#: ... or a gap of at most GROUND_GAP blocks between two small patches, ...
GROUND_GAP = 8
#: ... and darker than the patches it borders by at least GROUND_DARKER levels (mean luma; the patches weighted
#: by their size): objects are seen against a darker ground — stars on the night sky, coins on a dark tray, lit
#: windows at night, cars on asphalt — while paint is any colour; and dark itself, at most GROUND_LUMA (the unseen
#: split's night sky 6-64 with every exposure, its coin tray 20-56; a milky film of paint over a scene lifts its
#: blotches above it).
GROUND_DARKER = 10.0
GROUND_LUMA = 70.0


def blotch_mask(std: FloatArray, mean: FloatArray) -> BoolArray:
    """``coat_edge``'s blocks without the flat ground around objects: the blocks nearly flat (std < COAT_BLOCK_STD)
    beside a textured one (≥ COAT_BESIDE_STD), leaving out the flat regions that are a ground (``std``: the blocks'
    blurred luma std, ``mean``: their mean luma). Paint lands on a scene: a blotch is a flat hole in the scene's
    texture and borders the scene around it. Objects on a flat ground turn that inside out: the ground is the flat
    part, threading between the objects, and the textured patches are islands in it — stars on a black sky, coins on
    a tray, cars on a car park seen from above, a lit window grid at night. Both put flat blocks beside texture; only
    a ground borders many separate small patches, and it is cut into small regions by them (a coat of paint over
    most of the picture is one large flat region with a few scene fragments)."""
    flat, textured, coat = _coat_mask(std)
    if not coat.any():
        return coat
    count_t, label_t, boxes_t, _ = cv2.connectedComponentsWithStats(textured.astype(np.uint8), connectivity=8)
    count_f, label_f, boxes_f, _ = cv2.connectedComponentsWithStats(flat.astype(np.uint8), connectivity=8)
    h, w = std.shape
    pairs = []  # (flat region, textured patch) touching as 8-neighbours, coded region × count_t + patch
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            a = label_f[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)]
            b = label_t[max(0, -dy) : h + min(0, -dy), max(0, -dx) : w + min(0, -dx)]
            both = (a > 0) & (b > 0)
            pairs.append(a[both].astype(np.int64) * count_t + b[both])
    touching = np.unique(np.concatenate(pairs))
    region, patch = touching // count_t, touching % count_t
    large = boxes_t[patch, cv2.CC_STAT_AREA] > GROUND_OBJECT * std.size
    small = np.bincount(region[~large], minlength=count_f)
    few_large = np.bincount(region[large], minlength=count_f) <= GROUND_LARGE
    area = boxes_f[:, cv2.CC_STAT_AREA]
    threading = (area <= GROUND_AREA * std.size) | (area <= GROUND_PER_OBJECT * small)
    ground = few_large & (small >= GROUND_OBJECTS) & threading
    ground |= few_large & (small >= 2) & (area <= GROUND_GAP)
    ground_luma = np.bincount(label_f.ravel(), weights=mean.ravel(), minlength=count_f) / np.maximum(area, 1)
    size = boxes_t[:, cv2.CC_STAT_AREA].astype(np.float64)
    patch_luma = np.bincount(label_t.ravel(), weights=mean.ravel(), minlength=count_t) / np.maximum(size, 1)
    weight = np.bincount(region, weights=size[patch], minlength=count_f)
    lit = np.bincount(region, weights=size[patch] * patch_luma[patch], minlength=count_f)
    object_luma = lit / np.maximum(weight, 1)
    ground &= (ground_luma <= object_luma - GROUND_DARKER) & (ground_luma <= GROUND_LUMA)
    ground[0] = False
    return np.asarray(coat & ~ground[label_f], np.bool_)


#: ``coat_free`` leaves out the flat blocks that face a straight edge at least this long (analysis pixels, or this
#: share of the picture's width if longer): paint's outline is a curve, a made thing's flat face (a sign between its
#: frame and its letters, wall panels between window frames, a door) is bounded by straight lines. The tuning
#: generator's blotches curve with a radius of 10-30 analysis pixels: over 24 px they stray 2-7 px from a line.
STRAIGHT_PX = 24
STRAIGHT_SHARE = 0.075
#: A segment bounds a flat face when the blocks one block away from it (FLAT_BLOCK_PX, across it), on one side, are
#: flat along at least this share of its length; those blocks are left out. Within a block of any long line (not
#: only such a boundary) also took a third of the sprays' blocks: blotches lie beside the scene's own lines.
STRAIGHT_FACING = 0.7
#: ``coat_free`` is only worth its cost (a line segment detector: 3-7 ms on a 320 × 180 picture) where
#: ``coat_blotch`` is high enough for rule 7 of the day-one rules to look at it; under this it is ``coat_blotch``.
COAT_FREE_FROM = 0.06


def coat_free(gray: U8Array, std: FloatArray, blotches: BoolArray) -> float:
    """The share of the blocks of ``blotches`` (``blotch_mask``) that do not face a long straight edge: paint on
    the lens is a curved blot; a flat, painted face of a made thing is bounded by straight lines (OpenCV's line
    segment detector on the analysis picture; ``std``: the blocks' blurred luma std)."""
    side = FLAT_BLOCK_PX
    h, w = blotches.shape
    flat = std < COAT_BLOCK_STD
    faced = np.zeros_like(blotches)
    # A detector per call (0.2 µs to make): a shared one would be shared between the threads that judge pictures.
    segments = cv2.createLineSegmentDetector().detect(gray[: h * side, : w * side])[0]
    least = max(STRAIGHT_PX, STRAIGHT_SHARE * gray.shape[1])
    for x1, y1, x2, y2 in segments.reshape(-1, 4) if segments is not None else ():
        length = float(np.hypot(x2 - x1, y2 - y1))
        if length < least:
            continue
        along = np.linspace(0.1, 0.9, int(length // 4) + 1)
        x, y = x1 + along * (x2 - x1), y1 + along * (y2 - y1)
        across_x, across_y = -(y2 - y1) / length * side, (x2 - x1) / length * side
        for sign in (1.0, -1.0):
            bx = np.clip((x + sign * across_x) // side, 0, w - 1).astype(np.intp)
            by = np.clip((y + sign * across_y) // side, 0, h - 1).astype(np.intp)
            facing = flat[by, bx]
            if facing.mean() >= STRAIGHT_FACING:
                faced[by[facing], bx[facing]] = True
    return float(np.count_nonzero(blotches & ~faced)) / blotches.size


#: ``coat_repeat`` looks for the flat map's correlation with itself moved by this many blocks (min, max).
REPEAT_LAGS = (2.5, 8.0)


def coat_repeat(std: FloatArray) -> float:
    """How much the map of flat blocks (std < COAT_BLOCK_STD) resembles itself moved by 2.5–8 blocks: its
    highest normalised autocorrelation at those lags. Paint blotches are scattered at random: their map
    decorrelates beyond a blotch (sprays of the tuning scenes: median 0.20, 95 % ≤ 0.32). A brick wall's flat
    faces repeat (0.33–0.47), and a sky or a dark background is one large flat region that stays correlated
    (the rocket's night sky: median 0.70): flat blocks beside texture there are the scene, not paint."""
    flat = (std < COAT_BLOCK_STD).astype(np.float32)
    h, w = flat.shape
    centred = flat - float(flat.mean())
    spectrum = np.fft.rfft2(centred, s=(2 * h, 2 * w))
    auto = np.fft.irfft2(spectrum * np.conj(spectrum), s=(2 * h, 2 * w))
    zero = float(auto[0, 0])
    if zero <= 1e-6:
        return 0.0
    lag_y = np.minimum(np.arange(2 * h), 2 * h - np.arange(2 * h))[:, None]
    lag_x = np.minimum(np.arange(2 * w), 2 * w - np.arange(2 * w))[None, :]
    lag = np.hypot(lag_y, lag_x)
    ring = (lag >= REPEAT_LAGS[0]) & (lag <= REPEAT_LAGS[1])
    return float(auto[ring].max()) / zero


#: Cells whose luma std is at least this carry texture to judge sharpness by (as compare.DETAIL_CELL_STD).
TEXTURED_CELL_STD = 8.0
#: Share of the strongest gradients that ``edge_sharp`` and ``edge_sharp2`` average (the scene's sharpest edges).
STRONG_EDGES = 0.01
#: ``edge_sharp`` leaves out the tiles of an EDGE_TILES × EDGE_TILES grid whose own ratio (over their
#: TILE_STRONG_EDGES strongest gradients) is above OUTLIER_TILE × the median tile's (the textured tiles'):
#: a camera's OSD drawn sharp over a blurred picture. A healthy picture loses a tile or none (at most 0.05 off
#: the whole picture's ratio on the tuning scenes).
EDGE_TILES = 6
TILE_STRONG_EDGES = 0.02
OUTLIER_TILE = 1.5


def _gradient(gray: FloatArray) -> FloatArray:
    """Gradient magnitude (Sobel, levels per pixel ×8)."""
    return _sobel(gray)[0]


def _sobel(gray: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Gradient magnitude (Sobel, levels per pixel ×8) and its x and y components."""
    gx = np.asarray(cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3), np.float32)
    gy = np.asarray(cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3), np.float32)
    return np.asarray(cv2.magnitude(gx, gy), np.float32), gx, gy  # numpy's sqrt(gx² + gy²): twice the time


#: ``edge_aniso``: gradient orientations (0-180°) cut into this many bins ...
ORIENT_BINS = 8
#: ... each bin's ratio taken over its strongest pixels, this share of the picture per bin (as STRONG_EDGES over
#: the bins), looked for among the picture's strongest ORIENT_POOL share (one partition, then a small sort).
ORIENT_STRONG = 0.0025
ORIENT_POOL = 0.2


def _oriented_strong(magnitude: FloatArray, gx: FloatArray, gy: FloatArray) -> FloatArray:
    """Per orientation bin (ORIENT_BINS over 180°), the mean magnitude of its strongest ORIENT_STRONG share of the
    picture's pixels (fewer when the bin has fewer among the ORIENT_POOL strongest), levels per pixel; 0 for a
    bin with none."""
    flat = magnitude.ravel()
    pool = max(ORIENT_BINS, int(flat.size * ORIENT_POOL))
    chosen = np.argpartition(flat, flat.size - pool)[-pool:]
    angle = cv2.phase(np.ascontiguousarray(gx.ravel()[chosen]), np.ascontiguousarray(gy.ravel()[chosen])).ravel()
    bins = (angle * (ORIENT_BINS / np.pi) + 0.5).astype(np.intp) % ORIENT_BINS
    values = flat[chosen]
    count = max(1, int(flat.size * ORIENT_STRONG))
    out = np.zeros(ORIENT_BINS, np.float32)
    for b in range(ORIENT_BINS):
        top = values[bins == b]
        if top.size > count:
            top = np.partition(top, top.size - count)[-count:]
        out[b] = float(top.mean()) / 8.0 if top.size else 0.0
    return out


def _edge_aniso(full: FloatArray, coarse: FloatArray) -> float:
    """How much the sharpest edges' scale ratio depends on their orientation (``_oriented_strong`` per bin at the
    analysis scale over the same two octaves lower): the ratios, capped at 1 (above it: lines or noise finer than
    the coarse scale, not an edge), are fitted with c + a cos 2θ + b sin 2θ, weighted by the coarse strength²
    (bins with no real edge say little), and the amplitude over the mean, √(a² + b²) / c, is the value. A lens, a
    decode or a scene soften every orientation alike; motion blur (a shaken mount) softens edges across its
    direction only."""
    ratios = np.minimum(full / np.maximum(coarse, 1e-3), 1.0).astype(np.float64)
    weights = coarse.astype(np.float64) ** 2
    if float(weights.sum()) <= 1e-9:
        return 0.0
    angles = np.arange(ORIENT_BINS) * (2 * np.pi / ORIENT_BINS)
    design = np.stack([np.ones(ORIENT_BINS), np.cos(angles), np.sin(angles)], axis=1)
    normal = design.T @ (design * weights[:, None])
    try:
        c, a, b = np.linalg.solve(normal, design.T @ (weights * ratios))
    except np.linalg.LinAlgError:
        return 0.0
    return float(np.hypot(a, b) / c) if c > 1e-3 else 0.0


#: ``_top_means`` bounds each row's ``count``-th largest value from below by the ``count``-th largest of the maxima
#: of groups of this many values; only values at or above the bound are selected among.
TOP_GROUP = 10


def _top_means(rows: FloatArray, count: int) -> FloatArray:
    """Per row of ``rows`` (non-negative values), the mean of its ``count`` largest values: the very values
    ``np.partition(rows, n - count, axis=1)[:, -count:]`` selects, in a third of its time.
    Hand-written: that partition over every value was 1.4 ms of a 1080p picture's ~8 ms of features (the
    strongest 1 % of 129,600 gradients, and of each of 36 tiles). At least ``count`` group maxima are at or above
    the bound, so the ``count`` largest all are; the selection then runs on those few (~2.5 % of the values)."""
    r, n = rows.shape
    groups = n // TOP_GROUP
    if groups <= count:
        return _means(np.partition(rows, n - count, axis=1)[:, -count:])
    body = rows[:, : groups * TOP_GROUP]
    maxima = body[:, 0::TOP_GROUP].copy()
    for j in range(1, TOP_GROUP):  # strided maxima: numpy's max over a short last axis is slower
        np.maximum(maxima, body[:, j::TOP_GROUP], out=maxima)
    bound = np.partition(maxima, groups - count, axis=1)[:, groups - count]
    if r == 1:
        values = rows[0][rows[0] >= bound[0]]
        return _means(np.partition(values, values.size - count)[None, -count:])
    keep = rows >= bound[:, None]
    counts = np.count_nonzero(keep, axis=1)
    values = rows[keep]  # row by row
    width = int(counts.max())
    padded = np.full((r, width), -1.0, rows.dtype)  # below every value: never among the largest
    starts = np.cumsum(counts) - counts
    padded[np.repeat(np.arange(r), counts), np.arange(values.size) - np.repeat(starts, counts)] = values
    return _means(np.partition(padded, width - count, axis=1)[:, -count:])


def _means(rows: FloatArray) -> FloatArray:
    """Each row's mean, summed in float64: exact for these values, so the same whatever order and alignment the
    sum meets (numpy's float32 sums of small arrays vary with where the heap puts them)."""
    return np.asarray(rows.astype(np.float64).mean(axis=1), np.float32)


def _strong(magnitude: FloatArray, share: float) -> float:
    """Mean gradient magnitude (levels per pixel) over the ``share`` strongest pixels of ``magnitude``."""
    flat = magnitude.reshape(1, -1)
    return float(_top_means(flat, max(1, int(flat.size * share)))[0]) / 8.0


def _tiles(a: FloatArray) -> FloatArray:
    """``a`` cut into EDGE_TILES × EDGE_TILES tiles, one row each (the last few rows and columns left over when
    the size does not divide are left out)."""
    n = EDGE_TILES
    th, tw = a.shape[0] // n, a.shape[1] // n
    return np.asarray(a[: th * n, : tw * n].reshape(n, th, n, tw).transpose(0, 2, 1, 3).reshape(n * n, th * tw))


def _strongest(rows: FloatArray, share: float) -> FloatArray:
    """Per row, the mean of its ``share`` strongest values (levels per pixel, as ``_strong``)."""
    return np.asarray(_top_means(rows, max(1, int(rows.shape[1] * share))) / 8.0, np.float32)


def _edge_sharp(full: FloatArray, half: FloatArray, half_gray: FloatArray, half_strong: float | None = None) -> float:
    """The STRONG_EDGES strongest gradients at full scale over the same at half scale (``full``, ``half``:
    gradient magnitudes; ``half_gray``: the half-scale picture), leaving out the outlier tiles. Why: a camera
    draws its OSD (clock, name) sharp over whatever the lens shows, and over a blurred picture the OSD's
    letters are the sharpest edges left — the whole picture's ratio then reads a strong blur as sharp (1.5 on
    the simulator's Gaussian defocus, healthy ~1.0). Each tile's own ratio finds them: far above the median
    tile's (the textured tiles': a flat sky's noise says nothing of the lens). With no outlier, the whole
    picture's ratio, as before tiles. ``half_strong``: ``_strong(half, STRONG_EDGES)``, when the caller has it."""
    half_strong = _strong(half, STRONG_EDGES) if half_strong is None else half_strong
    whole = _strong(full, STRONG_EDGES) / max(half_strong, 1e-3)
    if min(half.shape) < 2 * EDGE_TILES:
        return whole
    full_tiles, half_tiles = _tiles(full), _tiles(half)
    ratios = _strongest(full_tiles, TILE_STRONG_EDGES) / np.maximum(_strongest(half_tiles, TILE_STRONG_EDGES), 1e-3)
    textured = _tiles(half_gray).std(axis=1) >= TEXTURED_CELL_STD
    typical = float(np.median(ratios[textured] if textured.any() else ratios))
    keep = ratios <= OUTLIER_TILE * typical
    if keep.all() or not keep.any():
        return whole
    return _strong(full_tiles[keep], STRONG_EDGES) / max(_strong(half_tiles[keep], STRONG_EDGES), 1e-3)


class Sharpness:
    """The sharpness features (``alone_features``) of one analysis picture: ``values`` holds those a baseline learns
    and peers compare (``edge_sharp``, ``edge_sharp2``, ``crisp``); ``alone`` adds the rest. The gradients at
    the three scales are computed once, for both."""

    def __init__(self, luma: FloatArray, cells: FloatArray, osd_cells: BoolArray | None = None) -> None:
        g = luma
        h, w = g.shape
        half = np.asarray(cv2.resize(g, (max(8, w // 2), max(8, h // 2)), interpolation=cv2.INTER_AREA), np.float32)
        size = (max(8, w // 4), max(8, h // 4))
        quarter = np.asarray(cv2.resize(half, size, interpolation=cv2.INTER_AREA), np.float32)
        full_s, half_s, quarter_s = _sobel(g), _sobel(half), _sobel(quarter)
        full_m, half_m = full_s[0], half_s[0]
        half_g, quarter_g = _strong(half_m, STRONG_EDGES), _strong(quarter_s[0], STRONG_EDGES)
        textured = cells[..., 1] >= TEXTURED_CELL_STD
        scene = textured if osd_cells is None else textured & ~osd_cells
        crisp = cells[..., 4][scene] / cells[..., 1][scene] ** 2
        self.values = {
            "edge_sharp": _edge_sharp(full_m, half_m, half, half_g),
            "edge_sharp2": half_g / max(quarter_g, 1e-3),
            "crisp": float(np.median(crisp)) if crisp.size else -1.0,
        }
        self.textured = float(np.count_nonzero(textured)) / textured.size
        self._oriented = (full_s, quarter_s)

    def alone(self, hist: npt.NDArray[np.intp]) -> dict[str, float]:
        """Every feature of ``alone_features``, in its order (``hist``: the luma histogram, the OSD left out)."""
        oriented = [_oriented_strong(*each) for each in self._oriented]
        cumulative = np.cumsum(hist) / max(1, int(hist.sum()))
        return {
            "edge_sharp": self.values["edge_sharp"],
            "edge_sharp2": self.values["edge_sharp2"],
            "edge_aniso": _edge_aniso(oriented[0], oriented[1]),
            "crisp": self.values["crisp"],
            "textured_cells": self.textured,
            "p01": float(np.searchsorted(cumulative, 0.01)),
            "p99": float(np.searchsorted(cumulative, 0.99)),
        }


def alone_features(
    gray: U8Array, cells: FloatArray, hist: npt.NDArray[np.intp], osd_cells: BoolArray | None = None
) -> dict[str, float]:
    """What judging a picture with no baseline of its own needs (``vision/alone.py``), and its peers compare.

    ``edge_sharp``: the sharpest edges' gradient at the analysis scale over the same at half that scale. A
    step edge keeps its height per pixel when the picture is halved (ratio ~1 where the lens and the decode
    are the only blur); an edge blurred over w pixels has a gradient of height / w, twice that at half scale
    (ratio → 0.5). Haze, exposure and gain scale both alike. Tiles far sharper than the picture's median
    tile are left out (``_edge_sharp``: the OSD drawn sharp over a blurred picture). ``edge_sharp2``: the
    whole picture's ratio one octave lower (a strong blur). ``edge_aniso``: how much the sharpest edges' ratio
    (at the analysis scale over two octaves lower) depends on their orientation (``_edge_aniso``: motion blur).
    ``crisp``: median over textured cells of Laplacian² / std², the cells under the OSD (``osd_cells``) left
    out: its letters stay crisp over a blurred picture. ``p01``/``p99``: the 1st and 99th luma percentiles of
    ``hist`` (a veil lifts the first)."""
    return Sharpness(gray.astype(np.float32), cells, osd_cells).alone(hist)


#: ``veil``: the dark channel's low end, over windows of this many shrunk pixels a side.
VEIL_WINDOW = 3
VEIL_QUANTILE = 0.1


def veil(small: U8Array) -> float:
    """How far a veil lifts the picture's darkest parts (the *dark channel*: the least of the three colours,
    at its least over a small window; in a clear view most windows hold something dark — a shadow, a dark or a
    saturated colour). Its 10th percentile: fog, mist, or a film of paint on the dome lift it everywhere."""
    dark = np.min(small, axis=2)
    eroded = cv2.erode(dark, np.ones((VEIL_WINDOW, VEIL_WINDOW), np.uint8))
    return float(np.quantile(eroded, VEIL_QUANTILE))


#: ``near_cover`` looks no further when fewer blocks than this share are flat (a cover worth naming is larger).
NEAR_MIN_BLOCKS = 0.1
#: ``near_cover``: how far out (blocks) the flat region's outline may reach before "the rest" of the picture starts.
COVER_RIM_BLOCKS = 4


Regions = tuple[int, npt.NDArray[np.int32], npt.NDArray[np.int32]]


def flat_regions(std: FloatArray, edges: U8Array) -> Regions:
    """The blocks flat (blurred luma std under FLAT_BLOCK_STD) with no Canny edge pixel, 4-connected:
    ``cv2.connectedComponentsWithStats``' count, labels and stats on the block grid of ``std``."""
    h, w = std.shape
    side = FLAT_BLOCK_PX
    # Per block, on the picture cropped to whole blocks (an integer shrink: 4× cheaper than the 8.2-px one).
    edged = cv2.resize(edges[: h * side, : w * side], (w, h), interpolation=cv2.INTER_AREA) > 0
    smooth = ((std < FLAT_BLOCK_STD) & ~edged).astype(np.uint8)
    count, labels, boxes, _ = cv2.connectedComponentsWithStats(smooth, connectivity=4)
    return int(count), np.asarray(labels, np.int32), np.asarray(boxes, np.int32)


def near_cover(
    gray: U8Array,
    std: FloatArray,
    edges: U8Array,
    mean: FloatArray | None = None,
    colour: U8Array | None = None,
    regions: Regions | None = None,
) -> dict[str, float]:
    """The picture's largest flat region that touches the frame's edge — what a leaf, a hand or tape stuck on the
    dome leaves: no edge, no texture, from the border in — and how it compares with the rest of the picture.

    On the FLAT_BLOCK_PX block grid: blocks flat (blurred luma std under FLAT_BLOCK_STD) with no Canny edge pixel,
    4-connected. ``cover_area``: the largest such region's share of the blocks when it touches a side of the frame
    (else 0); ``cover_luma``: its mean luma; ``rest_luma``: the median luma of the blocks more than
    COVER_RIM_BLOCKS blocks away from it (its blurred outline left out), and ``rest_share`` their share. A sky
    or a night background is such a region too: ``judge_alone`` tells them apart by light (docs/day-one.md).
    ``cover_clipped``: the share of the picture's pixels clipped white (≥ CLIPPED) inside that region — a blown
    sky or window of a backlit view, which day-one rule 3 does not count as overexposure. ``cover_top``: 1 when the
    region reaches the frame's top side; ``cover_blue``: for such a region, with ``colour`` (the picture in BGR at any
    scale: ``shrunk``'s thumbnail), how much bluer than its red and green it is on average (B − (R + G) / 2): a clear
    sky, which day-one rule 10b does not take for a cover.
    ``mean``: the blocks' mean luma (``_block_mean``) and ``regions`` (``flat_regions``), when the caller has them."""
    h, w = std.shape
    none = {
        "cover_area": 0.0,
        "cover_luma": 0.0,
        "rest_luma": 0.0,
        "rest_share": 0.0,
        "cover_clipped": 0.0,
        "cover_top": 0.0,
        "cover_blue": 0.0,
    }
    flat = std < FLAT_BLOCK_STD
    if np.count_nonzero(flat) < NEAR_MIN_BLOCKS * flat.size:
        return none
    side = FLAT_BLOCK_PX
    count, labels, boxes = flat_regions(std, edges) if regions is None else regions
    if count <= 1:
        return none
    best = 1 + int(np.argmax(boxes[1:, cv2.CC_STAT_AREA]))
    x, y, bw, bh, area = (int(v) for v in boxes[best])
    if x > 0 and y > 0 and x + bw < w and y + bh < h:
        return none
    region = (labels == best).astype(np.uint8)
    mean = _block_mean(gray, std.shape) if mean is None else mean
    reach = 2 * COVER_RIM_BLOCKS + 1
    rest = cv2.dilate(region, np.ones((reach, reach), np.uint8)) == 0
    white = gray[: h * side, : w * side] >= CLIPPED
    clipped = 0
    if white.any():  # most pictures clip nothing: skip the mask (30 µs at 320 px)
        inside = cv2.resize(region, (w * side, h * side), interpolation=cv2.INTER_NEAREST) > 0
        clipped = int(np.count_nonzero(inside & white))
    blue = 0.0
    if colour is not None and y == 0:  # only a region from the top can be a sky
        tinted = cv2.resize(colour, (w, h), interpolation=cv2.INTER_AREA)[region > 0]
        b, g, r = (float(c) for c in tinted.mean(axis=0, dtype=np.float64))
        blue = b - (r + g) / 2.0
    return {
        "rest_share": float(np.count_nonzero(rest)) / region.size,
        "cover_area": area / region.size,
        "cover_luma": float(mean[region > 0].mean(dtype=np.float64)),
        "rest_luma": float(np.median(mean[rest])) if rest.any() else float(mean[region > 0].mean(dtype=np.float64)),
        "cover_clipped": clipped / gray.size,
        "cover_top": 1.0 if y == 0 else 0.0,
        "cover_blue": blue,
    }


#: ``paint_patch``: a region of flat blocks (as ``near_cover``'s) counts as one patch of paint when it covers at least
#: this share of the blocks ...
PATCH_AREA = 0.06
#: ... lies inside the view (at most this share of its outline and edge blocks on the frame's border) ...
PATCH_BORDER = 0.1
#: ... is even (the std of its blocks' mean luma at most this: one coat of one colour; a lit wall, a sky or a road
#: shades across) ...
PATCH_SPREAD = 2.5
#: ... is not the dark of a night sky or space (mean luma at least this: paint on the dome scatters light) ...
PATCH_MIN_LUMA = 16.0
#: ... and stands out from the ring of blocks around it (its mean colour this far from theirs, in BGR levels: red paint
#: over a brown table is as bright as the table).
PATCH_CONTRAST = 15.0
#: A line segment frames the patch when it lies along its outline and is at least this share of the patch's
#: diameter (the square root of its area) long: a made thing's flat face is bounded by a few long straight sides.
PATCH_SIDE = 0.5
#: Paint is a curved blot: such segments run along less than this share of its outline ...
PATCH_FRAMED = 0.3
#: ... and it is compact: at least this share of its convex hull (a burst of paint is a blot; a flat stretch of a
#: scene between its objects — a hazy far slope between peaks and a forest — is ragged: 0.57–0.63).
PATCH_SOLID = 0.7


def paint_patch(
    gray: U8Array,
    std: FloatArray,
    edges: U8Array,
    means: FloatArray,
    colour: U8Array,
    regions: Regions | None = None,
) -> dict[str, float]:
    """The most paint-like even, flat region inside the view (``PATCH_*``): a can sprayed once, close, leaves one
    patch of one colour with the scene all round it, which ``coat_free``'s blotch test misses (it counts flat blocks
    beside texture, and one large patch is mostly interior). ``patch_area``: that region's share of the blocks (0:
    none qualifies; a candidate that failed only the last two tests keeps its other measures, for the verdict's
    scores); ``patch_contrast``: how far its colour is from the ring around it (``colour``: the picture in BGR at
    any scale, ``shrunk``'s thumbnail); ``patch_framed``: the share of its
    outline that long straight segments run along (OpenCV's line segment detector, run only when a region is a
    candidate): a made thing's flat face (a cabinet's side, a sign, a panel) is framed, paint is a curved blot;
    ``patch_solid``: its share of its convex hull. The largest region under PATCH_FRAMED and over PATCH_SOLID
    counts. ``regions``: ``flat_regions``, when the caller has it."""
    h, w = std.shape
    side = FLAT_BLOCK_PX
    none = {"patch_area": 0.0}
    flat = std < FLAT_BLOCK_STD
    if np.count_nonzero(flat) < PATCH_AREA * flat.size:
        return none
    count, labels, boxes = flat_regions(std, edges) if regions is None else regions
    border = np.zeros((h, w), np.bool_)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    tints = cv2.resize(colour, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
    candidates: list[tuple[npt.NDArray[np.uint8], BoolArray, int, float]] = []
    for label in range(1, count):
        area = int(boxes[label, cv2.CC_STAT_AREA])
        if area < PATCH_AREA * flat.size:
            continue
        region = (labels == label).astype(np.uint8)
        inside = region > 0
        grown = cv2.dilate(region, np.ones((3, 3), np.uint8)) > 0
        outline = grown & ~inside
        on_border = int(np.count_nonzero(inside & border))
        if on_border > PATCH_BORDER * (np.count_nonzero(outline) + on_border):
            continue
        luma = means[inside]
        if float(luma.std()) > PATCH_SPREAD or float(luma.mean()) < PATCH_MIN_LUMA:
            continue
        ring = (cv2.dilate(region, np.ones((7, 7), np.uint8)) > 0) & ~grown
        if not ring.any():
            continue
        contrast = float(np.linalg.norm(tints[inside].mean(axis=0) - np.median(tints[ring], axis=0)))
        if contrast >= PATCH_CONTRAST:
            candidates.append((region, outline, area, contrast))
    if not candidates:
        return none
    segments = cv2.createLineSegmentDetector().detect(gray[: h * side, : w * side])[0]
    lines = segments.reshape(-1, 4) if segments is not None else np.zeros((0, 4), np.float32)
    lengths = np.hypot(lines[:, 2] - lines[:, 0], lines[:, 3] - lines[:, 1])
    shown: dict[str, float] = {}
    for region, outline, area, contrast in sorted(candidates, key=lambda c: -c[2]):
        halo = cv2.dilate(outline.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        long = lengths >= PATCH_SIDE * np.sqrt(area) * side
        framed = 0.0
        for (x1, y1, x2, y2), length in zip(lines[long], lengths[long], strict=True):
            xs = np.clip(np.array([x1, (x1 + x2) / 2, x2]) // side, 0, w - 1).astype(np.intp)
            ys = np.clip(np.array([y1, (y1 + y2) / 2, y2]) // side, 0, h - 1).astype(np.intp)
            if halo[ys, xs].all():
                framed += float(length)
        contours, _ = cv2.findContours(region, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        hull = cv2.convexHull(np.concatenate(contours))
        found = {
            "patch_area": area / flat.size,
            "patch_contrast": contrast,
            "patch_framed": framed / float(np.count_nonzero(outline) * side),
            # area over the hull's (the hull's half perimeter added: block regions are drawn through block centres)
            "patch_solid": area / float(cv2.contourArea(hull) + cv2.arcLength(hull, True) / 2 + 1),
        }
        if found["patch_framed"] < PATCH_FRAMED and found["patch_solid"] >= PATCH_SOLID:
            return found
        shown = shown or found
    return {**shown, "patch_area": 0.0}
