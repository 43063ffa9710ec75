"""The verdict on one frame: ``judge(stats, baseline, previous, signature) -> Verdict``.

Rules run in a fixed order and the first that fires names the fault. Physically absolute faults come
first (black, overexposed) because they need no baseline; frozen next because it needs only the previous
frame; everything else is a ratio to the camera's own baseline for the frame's mode (day / IR). Every
threshold is explained in docs/vision.md.

Each rule is a function of its own, numbered as docs/vision.md numbers it, its thresholds declared just above
it: rules 1–4 and the gates before the ratio rules read the ``Frame`` (``FRAME_RULES``), rules 5–10′ read the
``Measures`` every ratio rule shares, measured once against the mode's baseline (``RATIO_RULES``). A rule
returns its verdict, or None to let the next one judge; a rule that measures something more adds it to the
scores, which every later verdict carries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.model import FrameStats, Reason, Status
from camfleet.vision.baseline import DAY, IR, Baseline, ModeBaseline, mode_of
from camfleet.vision.compare import (
    BLACK_BRIGHTNESS,
    Alignment,
    align,
    clean_detail_ratio,
    crisp_stability,
    detail_ratio,
    fine_structure,
    frozen_match,
    magenta_cells,
    residual_structure,
    structure,
    thumb_motion,
    zoom_fit,
)
from camfleet.vision.features import GRID_SIZE, THUMB_SIZE, FrameSignature
from camfleet.vision.paint import PaintMap, intact, outside, paint_map


@dataclass(frozen=True, slots=True)
class Verdict:
    """A frame's status with its reason and the scores behind it."""

    status: Status
    reason: Reason = Reason.NONE
    scores: dict[str, float] = field(default_factory=dict)
    detail: str = ""
    mode: str = ""  # the baseline mode the frame was judged in (and is learned into): "day" or "ir"
    #: "baseline": judged against the camera's own baseline (or lacking one); "alone": by the no-baseline rules
    #: of ``vision/alone.py`` (the frame's mode had no ready baseline)
    basis: str = "baseline"


def _quadrants() -> list[npt.NDArray[np.bool_]]:
    """The four quarters of the thumbnail as masks."""
    h, w = THUMB_SIZE[1], THUMB_SIZE[0]
    masks = []
    for top, left in ((0, 0), (0, w // 2), (h // 2, 0), (h // 2, w // 2)):
        mask = np.zeros((h, w), np.bool_)
        mask[top : top + h // 2, left : left + w // 2] = True
        masks.append(mask)
    return masks


_QUADRANTS = _quadrants()
_EVERYWHERE = np.ones((THUMB_SIZE[1], THUMB_SIZE[0]), np.bool_)

REST_DROP = 0.2  # ... leaving out this share of the picture that changed most (a close passer-by)


def _least_changed(
    reference: npt.NDArray[np.float32], thumb: npt.NDArray[np.float32], away: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Of the pixels ``away`` from the paint, those whose coarse luma (blurred 2 px, normalised for gain and
    offset over them) changed least: all but the REST_DROP most changed, where a close passer-by would be."""
    if np.count_nonzero(away) < 16:
        return away
    a, b = (np.asarray(cv2.GaussianBlur(x.astype(np.float32), (0, 0), 2.0), np.float32) for x in (reference, thumb))
    pa, pb = a[away], b[away]
    change = np.abs((pa - pa.mean()) / max(float(pa.std()), 1e-3) - (pb - pb.mean()) / max(float(pb.std()), 1e-3))
    kept = np.zeros_like(away)
    kept[away] = change <= np.quantile(change, 1.0 - REST_DROP)
    return kept


# A coat of paint over part of the picture (rule 10's map; rules 4, 6, 7 and 8 ask it too).
SPRAY_PAINTED = (0.07, 0.8)  # share of the thumbnail painted: a part, not all ...
SPRAY_RIMMED = 0.085  # ... or painted with the coat's rim (healthy samples ≤ 0.077, small sprays 0.087-0.14) ...


def _coated(paint: PaintMap) -> bool:
    """Whether a part of the picture, not all of it, is painted (rule 10's share, or with the coat's rim)."""
    return SPRAY_PAINTED[0] <= paint.fraction <= SPRAY_PAINTED[1] or SPRAY_RIMMED <= paint.rimmed <= SPRAY_PAINTED[1]


def _ratio(value: float, base: float, floor: float) -> float:
    """value / base with the base floored, so that a near-zero baseline gives no absurd ratio."""
    return value / max(base, floor)


# The mode a frame is judged in.
GREY_SHARE = 0.8  # a colour frame whose cells are this grey, on a camera that has learned only the IR mode ...
GREY_MATCH = 0.7  # ... and matching that mode's picture this well, is its grey scene with a coloured object


def judging_mode(stats: FrameStats, baseline: Baseline | None, signature: FrameSignature) -> str:
    """The mode whose baseline judges the frame: its own (grayscale: IR), except for a grey scene.

    A camera whose healthy picture is grey (a concrete yard, a grey micrograph) learns it as the IR mode: an IR
    picture is grey in every cell. A coloured object in front of it (a red lorry, a passer-by in a coloured
    coat) makes the frame "colour", and the day mode has no baseline: every such frame was "no day baseline
    yet", and became that baseline. So a colour frame is judged in the IR mode when only the IR mode is
    learned, at least GREY_SHARE of its cells are grey (the object covers a few; day pictures of the colour
    scenes of the evaluation ≤ 0.68 grey, a passer-by over the grey micrograph 0.85–0.93) and its thumbnail,
    but for the part that changed most, still matches the IR baseline (the same scene). Such frames are learned
    into the IR mode too. The price: a camera first learned at night whose day picture is as grey and as
    alike (the Hubble photo's dark sky with coloured galaxies: every day sample) is judged against its night
    picture, and learns its day picture into it, instead of starting a day baseline.
    """
    natural = mode_of(stats)
    if natural == IR or baseline is None or baseline.ready(DAY) is not None:
        return natural
    night = baseline.ready(IR)
    if night is None or stats.extra.get("grey_share", 0.0) < GREY_SHARE:
        return natural
    thumb = signature.thumb.astype(np.float32)
    # The object itself does not match: leave out the REST_DROP of the picture that changed most.
    if structure(night.thumb, thumb, _least_changed(night.thumb, thumb, _EVERYWHERE)) < GREY_MATCH:
        return natural
    return IR


def judge(
    stats: FrameStats,
    baseline: Baseline | None,
    previous: FrameSignature | None,
    signature: FrameSignature,
) -> Verdict:
    """Judge one frame against its mode's baseline (``judging_mode``) and the previous frame of the camera."""
    mode = judging_mode(stats, baseline, signature)
    return replace(_judge(stats, baseline, previous, signature, mode), mode=mode)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame to judge and what it is judged by: what rules 1–4 and the gates read."""

    stats: FrameStats
    signature: FrameSignature
    previous: FrameSignature | None
    baseline: Baseline | None
    base: ModeBaseline | None  # the judging mode's ready baseline, if any
    mode: str


FrameRule = Callable[[Frame, dict[str, float]], Verdict | None]


# Rule 1: black.
BLACK_CONTRAST = 3.0  # luma std; a dark but live frame keeps noise and some scene above it
BLACK_DARK_SHARE = 0.97  # ... or all but an OSD caption ("NO VIDEO", the clock) is at black level
BLACK_RESIDUAL = 0.4  # a faint scene matches beyond its vignette (too_dark ≥ 0.75); a flat black one ≤ 0.18


def no_signal(stats: FrameStats) -> bool:
    """Rule 1's test (day-one rule 1's too): near-zero brightness, and near-zero contrast or all but an OSD
    caption at black level."""
    dark = stats.extra.get("dark_fraction", 0.0)
    return stats.brightness < BLACK_BRIGHTNESS and (stats.contrast < BLACK_CONTRAST or dark >= BLACK_DARK_SHARE)


def _black(frame: Frame, scores: dict[str, float]) -> Verdict | None:
    """Rule 1: ``black`` when the picture is dark and flat (or all but an OSD caption is black), unless the mode's
    baseline still recognises a faint scene in it (rule 5's ``too_dark`` then)."""
    base = frame.base
    if no_signal(frame.stats):
        # A dead IR illuminator leaves a faint but recognisable scene: that is too_dark, judged below.
        # ... and beyond the IR vignette: a flat black frame is vignetted too, and on a smooth scene (the moon
        # photo) that alone correlates ≥ 0.7 (flat black ≤ 0.18 once a 2-D quadratic is taken out, too_dark ≥ 0.75).
        thumb = frame.signature.thumb.astype(np.float32)
        faint = (
            base is not None
            and structure(base.thumb, thumb) >= TOO_DARK_STRUCTURE
            and residual_structure(base.thumb, thumb) >= BLACK_RESIDUAL
        )
        if not faint:
            return Verdict(Status.BLACK, scores=scores, detail="no picture: near-zero brightness and contrast")
    return None


# Rule 2: overexposed.
OVEREXPOSED_CLIPPED = 0.5  # share of clipped-white pixels (with no baseline, or one that clips none) ...
# ... or, over a baseline that clips a share of its own (an approved view of a white wall in sun, a lit shop
# window), this share of what the baseline kept unclipped now lost: 0.5 is the absolute rule when it clips none
OVEREXPOSED_LOST = 0.5
OVEREXPOSED_RISE = 0.3  # ... or this much more than the baseline's share


def _overexposed(frame: Frame, scores: dict[str, float]) -> Verdict | None:
    """Rule 2: ``overexposed`` when most of the picture is clipped white, or much more of it than the baseline.

    With a baseline that itself clips (a person approved a view half white), "most" is measured on what the
    baseline kept: half of its unclipped part lost. The absolute 50 % alone named such a view ``overexposed``
    on every sample, for ever, however often it was approved.
    """
    clipped, base = frame.stats.saturated_fraction, frame.base
    base_clipped = base.values.get("saturated_fraction", 0.0) if base is not None else 0.0
    rose = clipped - base_clipped >= OVEREXPOSED_RISE
    if rose or (clipped >= OVEREXPOSED_CLIPPED and 1.0 - clipped <= OVEREXPOSED_LOST * (1.0 - base_clipped)):
        return Verdict(Status.OVEREXPOSED, scores=scores, detail="most of the picture is clipped white")
    return None


# Rule 3: frozen.
FROZEN_SAME = 0.98  # share of sampled pixels bit-identical to the previous sample
FROZEN_MIN_COMPARED = 256  # fewer unclipped samples than this: cannot tell
# ... or the previous picture re-encoded (a recorder serving its last picture at another quality): blocks of
# equal previous luma moved alike (requantised DC). Measured on tuning/held-out/unseen scenes, other seeds than
# the evaluation's: q−15 re-encodes ≥ 0.45, live pairs ≤ 0.18 (docs/vision.md, rule 3).
FROZEN_REQUANT = 0.3
FROZEN_STEADY = 0.98  # ... with (almost) every sampled block's mean moved ≤ 4 levels (motion, passers-by: not)
FROZEN_MIN_PAIRS = 128  # ... judged on at least this many pairs of blocks with the same previous luma
# ... unless the picture moved: a sub-pixel sway of a smooth scene also moves blocks of equal luma alike
# (requant up to 0.45), but its thumbnail differs by a shift (a re-encode's does not: compare.thumb_motion).
FROZEN_MOVED_SHIFT = 0.01  # thumbnail pixels (0.13 px of a 1280-px picture) ...
# ... explaining this share of the thumbnails' difference: re-encodes ≤ 0.003, sways 0.01–0.72 (7 scenes,
# seed 11; 0.2 at first let a shaken IR sample of fresh 2's ascent at 0.198 be frozen)
FROZEN_MOVED_EXPLAINED = 0.02


def frozen_verdict(
    signature: FrameSignature, previous: FrameSignature | None, scores: dict[str, float]
) -> Verdict | None:
    """Rule 3: ``frozen`` when the picture is the previous one (bit-identical samples, or re-encoded and
    unmoved), else None. Needs only the previous frame, so it judges with or without a baseline. Adds its
    scores to ``scores``."""
    if previous is None:
        return None
    match = frozen_match(signature, previous)
    scores.update(same_fraction=round(match.same_fraction, 4), diff_prev=round(match.mean_abs_diff, 3))
    if match.compared >= FROZEN_MIN_COMPARED and match.same_fraction >= FROZEN_SAME:
        return Verdict(Status.FROZEN, scores=scores, detail="picture identical to the previous sample")
    scores.update(requant=round(match.requant, 3), steady_blocks=round(match.steady_share, 4))
    if (
        match.block_pairs >= FROZEN_MIN_PAIRS
        and match.steady_share >= FROZEN_STEADY
        and match.requant >= FROZEN_REQUANT
    ):
        moved, explained = thumb_motion(previous.thumb, signature.thumb)
        scores.update(moved_px=round(moved, 3), moved_explained=round(explained, 3))
        if moved < FROZEN_MOVED_SHIFT or explained < FROZEN_MOVED_EXPLAINED:
            return Verdict(Status.FROZEN, scores=scores, detail="previous picture re-encoded (requantised blocks)")
    return None


def _frozen(frame: Frame, scores: dict[str, float]) -> Verdict | None:
    """Rule 3 (``frozen_verdict``)."""
    return frozen_verdict(frame.signature, frame.previous, scores)


# Rule 4: IR-cut filter stuck.
IR_CUT_MAGENTA = 0.08  # magenta cast ((R+B)/2 − G) gained, as a share of mean luma, over the day baseline's
IR_CUT_MIN_RISE = 5.0  # ... and at least this many luma levels (noise on very dark frames)
IR_CUT_QUANTILE = 0.2  # ... and a cast of at least IR_CUT_SPREAD of luma in 80 % of the cells
IR_CUT_SPREAD = 0.2  # (paint or a pink lorry covers fewer)
IR_CUT_STRUCTURE = 0.8  # the scene must still match the baseline
IR_CUT_BLUE = 0.1  # with only a night baseline, blue over green (B − G) of at least this share of mean luma too


def _ir_cut(frame: Frame, scores: dict[str, float]) -> Verdict | None:
    """Rule 4: a colour frame with a strong magenta cast: IR light reaching the sensor without the IR-cut filter.

    The cast is measured per cell relative to the cell's luma (a dim scene has a proportionally smaller cast),
    above the day baseline's cast scaled by the same gain; with only a night baseline, above zero; and the
    median cell decides.
    """
    stats, baseline, signature = frame.stats, frame.baseline, frame.signature
    if baseline is None or stats.is_ir:
        return None
    day, night = baseline.ready(DAY), baseline.ready(IR)
    if day is None and night is None:
        return None
    magenta = stats.extra.get("magenta", 0.0)
    cast = signature.cells[..., 3] / np.maximum(signature.cells[..., 0], BLACK_BRIGHTNESS)
    # The cast must cover most of the picture: red paint or a pink lorry over a third of it is not IR.
    # Absolute, not gained over the baseline: haze moves a green or cyan scene's negative cast towards zero in
    # every cell, which a gained cast reads as IR (a fresh scene's haze samples, 89 false alarms in 2,232).
    spread = float(np.quantile(cast, IR_CUT_QUANTILE))
    if day is not None:
        gain = _ratio(stats.brightness, day.values["brightness"], 1.0)
        rise = magenta - day.values.get("magenta", 0.0) * gain
        relative = float(np.median(magenta_cells(day.cells, signature.cells, gain)))
    else:
        rise, relative = magenta, float(np.median(cast))
        # The frame alone cannot tell IR light from a red scene (a fundus, brick, a red-lit shop: (R+B)/2 − G
        # is high there too): IR leaks into blue as into red, so blue must stand over green as well. Red scenes'
        # day samples −0.21 to −0.13 (retina: read as IR-cut stuck on 48 of 64 with a night baseline only, and
        # never learned); IR 0.3 over the grey and night-only scenes of the evaluation ≥ 0.156.
        blue = stats.extra.get("blue_cast", 0.0) / max(stats.brightness, BLACK_BRIGHTNESS)
        scores["blue_cast"] = round(blue, 3)
        if blue < IR_CUT_BLUE:
            return None
    scores.update(magenta_rise=round(relative, 3), magenta_spread=round(spread, 3))
    reference = day or night
    assert reference is not None
    # The scene must still be there: a purple cloth over the lens is a cover, not a filter fault.
    if structure(reference.thumb, signature.thumb.astype(np.float32)) < IR_CUT_STRUCTURE:
        return None
    if relative >= IR_CUT_MAGENTA and spread >= IR_CUT_SPREAD and rise >= IR_CUT_MIN_RISE:
        # A mist of red or purple paint casts the whole picture magenta as well, but its blotches are a coat, which
        # IR light never leaves: such a frame is judged by the ratio rules (spray).
        thumb = signature.thumb.astype(np.float32)
        if _coated(paint_map(reference.thumb, thumb, reference.texture, reference.wander)):
            scores["coated"] = 1.0
            return None
        where = "over the day baseline" if day is not None else "where night pictures are IR grayscale"
        return Verdict(Status.IR_CUT_STUCK, scores=scores, detail=f"magenta cast {where}: IR-cut filter not in place")
    return None


# The gates before the ratio rules: a baseline to compare with, of this picture size, with a scene in it.
FEATURELESS_EDGES = 0.004  # the baseline itself has (almost) no edges ...
FEATURELESS_CONTRAST = 8.0  # ... and (almost) no contrast: fog, snow, a wall


def _cannot_judge(frame: Frame, scores: dict[str, float]) -> Verdict | None:
    """``cannot_judge`` when the mode has no ready baseline, the picture size changed, or the baseline is
    featureless: the ratio rules have nothing to compare with."""
    stats, base = frame.stats, frame.base
    if base is None:
        return Verdict(Status.CANNOT_JUDGE, Reason.NO_BASELINE, scores, f"no {frame.mode} baseline yet")
    if abs(base.values.get("analysis_width", 0.0) - stats.extra.get("analysis_width", 0.0)) > 1.0:
        return Verdict(Status.CANNOT_JUDGE, Reason.NO_BASELINE, scores, "picture size changed; relearning")
    if base.values["edge_density"] < FEATURELESS_EDGES and base.values["contrast"] < FEATURELESS_CONTRAST:
        return Verdict(Status.CANNOT_JUDGE, Reason.FEATURELESS, scores, "the baseline scene is featureless")
    return None


#: Rules 1–4 and the gates, in docs/vision.md's order: the first verdict stands.
FRAME_RULES: tuple[FrameRule, ...] = (_black, _overexposed, _frozen, _ir_cut, _cannot_judge)


# What the ratio rules share, measured once. A flat coat over a large part of the picture took edges with it:
SPRAY_SURE = 0.15  # a flat coat over this much of the thumbnail, with edges lost in proportion ...
SPRAY_SURE_EDGES = 0.7  # ... (under this share of the baseline's) is paint however little of the rest is left
SPRAY_INTACT_REST = 0.9  # a partial coat whose rest matches this well is paint, not a cover, however flat


@dataclass(frozen=True)
class Measures:
    """The frame against its mode's baseline: what rules 5–10′ share (``measure``). ``fine_rest`` is measured
    when a rule first asks for it."""

    stats: FrameStats
    base: ModeBaseline
    signature: FrameSignature
    thumb: npt.NDArray[np.float32]
    gain: float  # brightness ratio
    edge_ratio: float
    sharpness_ratio: float  # contrast-normalised Laplacian variance ratio
    contrast_ratio: float
    struct: float  # thumbnail structure
    paint: PaintMap
    rest: float  # structure away from the paint
    fit: Alignment
    shift: float  # the fit's shift, as a share of the frame width
    coated: bool  # ``_coated``: a part of the picture painted
    intact_rest: bool  # ... whose rest still matches where it was, unmoved (SPRAY_INTACT_REST)
    sure_paint: bool  # ... or a flat coat over SPRAY_SURE with edges lost (SPRAY_SURE_EDGES)

    @cached_property
    def fine_rest(self) -> float:
        """The fine detail of the rest of the picture (away from the paint, without the REST_DROP that changed
        most) against the baseline's: paint and passers-by leave it, another view does not (rules 9, 10′)."""
        base, thumb = self.base.thumb, self.thumb
        return fine_structure(base, thumb, mask=_least_changed(base, thumb, outside(self.paint.mask)))


def measure(stats: FrameStats, base: ModeBaseline, signature: FrameSignature, scores: dict[str, float]) -> Measures:
    """The ``Measures`` of a frame against its mode's baseline, their scores added to ``scores``."""
    v = base.values
    thumb = signature.thumb.astype(np.float32)
    gain = _ratio(stats.brightness, v["brightness"], 1.0)
    edge_ratio = _ratio(stats.edge_density, v["edge_density"], 0.002)
    # Laplacian variance scales with contrast²: normalise, so that dusk or a cloud is not "defocused".
    base_detail = v["sharpness"] / max(v["contrast"], 1.0) ** 2
    sharpness_ratio = _ratio(stats.sharpness / max(stats.contrast, 1.0) ** 2, base_detail, 1e-6)
    struct = structure(base.thumb, thumb)
    paint = paint_map(base.thumb, thumb, base.texture, base.wander)
    # The rest of the picture: away from the paint (its edges bleed); heavy paint leaves little, use what is left.
    rest = structure(base.thumb, thumb, mask=outside(paint.mask))
    fit = align(base.thumb, thumb)
    shift = float(np.hypot(fit.dx, fit.dy * THUMB_SIZE[1] / THUMB_SIZE[0]))
    contrast_ratio = _ratio(stats.contrast, v["contrast"], 1.0)
    scores.update(
        brightness_ratio=round(gain, 3),
        contrast_ratio=round(contrast_ratio, 3),
        sharpness_ratio=round(sharpness_ratio, 3),
        edge_ratio=round(edge_ratio, 3),
        uniform_fraction=round(stats.uniform_fraction, 3),
        structure=round(struct, 3),
        changed_fraction=round(paint.fraction, 3),
        rimmed_fraction=round(paint.rimmed, 3),
        local_contrast=round(paint.contrast, 3),
        rest_structure=round(rest, 3),
        shift_fraction=round(shift, 4),
        shift_px=round(shift * stats.width, 1),
        angle=round(fit.angle, 2),
        aligned_structure=round(fit.matched, 3),
    )
    coated = _coated(paint)
    return Measures(
        stats=stats,
        base=base,
        signature=signature,
        thumb=thumb,
        gain=gain,
        edge_ratio=edge_ratio,
        sharpness_ratio=sharpness_ratio,
        contrast_ratio=contrast_ratio,
        struct=struct,
        paint=paint,
        rest=rest,
        fit=fit,
        shift=shift,
        coated=coated,
        # A coat whose rest still matches where it was, unmoved: paint, neither a cover nor a moved camera.
        intact_rest=coated and rest >= SPRAY_INTACT_REST,
        sure_paint=paint.fraction >= SPRAY_SURE and edge_ratio < SPRAY_SURE_EDGES,
    )


RatioRule = Callable[[Measures, dict[str, float]], Verdict | None]


# Rule 5: too dark.
TOO_DARK_RATIO = 0.4  # brightness under this share of the baseline ...
TOO_DARK_CEILING = 60.0  # ... and dim in absolute terms
TOO_DARK_STRUCTURE = 0.7  # the scene is still there, only dim (else: covered); rule 1's faint scene too


def _too_dark(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 5: much darker than the baseline, the scene still faintly there."""
    if m.gain < TOO_DARK_RATIO and m.stats.brightness < TOO_DARK_CEILING and m.struct >= TOO_DARK_STRUCTURE:
        return Verdict(Status.TOO_DARK, scores=scores, detail="much darker than the baseline; scene still faint")
    return None


# Rule 6: covered.
COVERED_STRUCTURE = 0.6  # the picture no longer resembles the scene ...
COVERED_UNIFORM = 0.6  # ... and is mostly flat ...
COVERED_FLATTER = 0.2  # ... (that share of blocks more than the baseline's) ...
COVERED_EDGE_RATIO = 0.2  # ... or has lost most of its edges
SPRAY_LEFT = 0.08  # ... unless a coat leaves this share of the thumbnail textured beside it (a cover ≤ 0.03) ...
SPRAY_LEFT_FINE = 0.5  # ... matching the reference in its fine detail this well (covers ≤ 0.06, 70 % paint ≥ 0.59)
COVERED_CONTRAST = 0.5  # a translucent cover (tape, a plastic bag): half the contrast gone ...
COVERED_GHOST_EDGES = 0.05  # ... and (almost) every edge
COVERED_BLANK = 0.9  # or (almost) every edge gone and this share of blocks flat, far flatter than the scene


def _covered(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 6: a flat picture that no longer resembles the scene, a ghost of it (tape), or a blank one."""
    stats = m.stats
    flat = (
        stats.uniform_fraction >= COVERED_UNIFORM
        and stats.uniform_fraction > m.base.values["uniform_fraction"] + COVERED_FLATTER
    )
    ghost = m.contrast_ratio < COVERED_CONTRAST and m.edge_ratio < COVERED_GHOST_EDGES
    # No edge left and flat everywhere: a cover whatever the sensor noise (IR) or a light leak shaped like the
    # scene's own shading leaves of contrast and structure.
    blank = m.edge_ratio < COVERED_GHOST_EDGES and stats.uniform_fraction >= COVERED_BLANK and flat
    partial = m.intact_rest
    if m.coated and not partial and m.struct < COVERED_STRUCTURE:
        # Heavy paint leaves some of the scene beside it, textured and matching in its fine detail; a cover none.
        left = intact(m.paint.mask, m.thumb)
        partial = bool(
            left.mean() >= SPRAY_LEFT and fine_structure(m.base.thumb, m.thumb, mask=left) >= SPRAY_LEFT_FINE
        )
    unlike = m.struct < COVERED_STRUCTURE and (flat or m.edge_ratio < COVERED_EDGE_RATIO) and not partial
    if ghost or blank or unlike:
        return Verdict(Status.COVERED, scores=scores, detail="flat picture that no longer resembles the scene")
    return None


# Rule 7: displaced (the same scene moved, turned or zoomed).
DISPLACED_SHIFT = 0.03  # the same scene moved by this share of the frame width ...
DISPLACED_UNMOVED = 0.9  # ... while the picture as it is no longer matches well ...
DISPLACED_GAIN = 0.1  # ... and the moved picture matches the baseline this much better than as it is
DISPLACED_MATCH = 0.8  # ... and at least this well
DISPLACED_ANGLE = 2.5  # or turned by this many degrees, and the turned picture matching
DISPLACED_TURN_MATCH = 0.9  # ... very well, and
DISPLACED_TURN_GAIN = 0.02  # ... this much better than as it is (a real view has no exact rotation) ...
DISPLACED_TURN_EXACT = 0.99  # ... or this well (a smooth scene matches ~0.99 even turned: no gain left)
DISPLACED_ZOOM_MATCH = 0.85  # or zoomed (ZOOMS), the zoomed picture matching this well and DISPLACED_GAIN better


def _moved(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 7, moved: the scene shifted in the picture, the moved picture matching the baseline."""
    # With such a coat the camera did not move, however well a fit lines up the coat's own edges (rocket under
    # 50 % paint "turned" 70°, matching 0.89).
    shifted = m.shift >= DISPLACED_SHIFT and m.struct < DISPLACED_UNMOVED and not m.intact_rest
    if shifted and m.fit.matched >= max(m.struct + DISPLACED_GAIN, DISPLACED_MATCH):
        return Verdict(Status.DISPLACED, scores=scores, detail="the scene moved in the picture")
    return None


def _turned(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 7, turned: the scene rotated, the turned picture matching the baseline better than as it is."""
    # The turned picture must match better than the picture as it is: on a flat view (a cloth a person approved)
    # the fit's angle is the noise's and the OSD's, matching 0.999 where the picture as it is matches 1.0.
    fit, struct = m.fit, m.struct
    turned = abs(fit.angle) >= DISPLACED_ANGLE and fit.matched >= DISPLACED_TURN_MATCH and not m.intact_rest
    if turned and fit.matched > struct and fit.matched >= min(struct + DISPLACED_TURN_GAIN, DISPLACED_TURN_EXACT):
        return Verdict(Status.DISPLACED, scores=scores, detail="the scene moved in the picture")
    return None


def _zoomed(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 7, zoomed: the zoomed picture matches the baseline far better than as it is."""
    struct = m.struct
    factor, zoomed = zoom_fit(m.base.thumb, m.thumb) if struct < DISPLACED_UNMOVED else (1.0, struct)
    scores.update(zoom=round(factor, 2), zoomed_structure=round(zoomed, 3))
    if zoomed >= max(struct + DISPLACED_GAIN, DISPLACED_ZOOM_MATCH) and not m.intact_rest:
        return Verdict(Status.DISPLACED, scores=scores, detail="the scene is zoomed in or out")
    return None


# Rule 8: defocused (or, with a coat, a paint mist).
DEFOCUS_SHARPNESS = 0.38  # contrast-normalised Laplacian variance under this share of the baseline ...
DEFOCUS_CRISP_CELLS = 1.0  # ... unless the textured cells keep this share of the crispness floor (they decide)
DEFOCUS_DETAIL = 0.75  # or the median textured cell kept under this share of its fine detail ...
DEFOCUS_CLEAN = 0.82  # or, on a still scene, under this share once the noise is taken out (clean_detail_ratio)
DEFOCUS_STILL = 0.9  # still: textured cells' crispness floor ≥ this share of their mean crispness
DEFOCUS_FLOOR = 0.8  # ... or under this share of its crispness in the softest healthy frames ...
DEFOCUS_COARSE = 0.6  # ... while the blurred thumbnail still matches the scene
DEFOCUS_LOCAL = 0.6  # or thumbnail-scale local contrast under this share of the overall contrast ratio ...
DEFOCUS_LOCAL_DETAIL = 0.95  # ... with some fine detail lost too ...
DEFOCUS_LOCAL_COARSE = 0.9  # ... and the blurred thumbnail matching closely
DEFOCUS_MAX_EDGES = 1.2  # a blur never adds edges: more than this share of the baseline's is something else
DEFOCUS_UNPAINTED = 0.85  # a partly coated picture is blurred only if its cells away from the coat keep less
SPRAY_REST_STRUCTURE = 0.6  # a coat whose rest still matches the reference this well is paint (rules 8 and 10)


def _defocused(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 8: the same scene with its fine detail lost; with a coat beside the blur, a paint mist (``spray``)."""
    base, signature, coated, rest = m.base, m.signature, m.coated, m.rest
    coarse = structure(base.thumb, m.thumb, sigma=3.0)
    scores["coarse_structure"] = round(coarse, 3)
    cell_detail = detail_ratio(base.cells, signature.cells)
    if cell_detail is not None:
        scores["detail_ratio"] = round(cell_detail, 3)
    floor_detail = detail_ratio(base.cells, signature.cells, base.crisp)
    if floor_detail is not None:
        scores["detail_floor"] = round(floor_detail, 3)
    # The old global ratio normalises by contrast², which a bright passer-by over a dark picture raises 1.5–1.8 ×
    # (fresh 4's earth): it cannot call a picture blurred whose textured cells are as crisp as its softest
    # healthy frames.
    crisp_cells = floor_detail is not None and floor_detail >= DEFOCUS_CRISP_CELLS
    blurred = (m.sharpness_ratio < DEFOCUS_SHARPNESS and not crisp_cells) or (
        cell_detail is not None and cell_detail < DEFOCUS_DETAIL
    )
    blurred = blurred or (floor_detail is not None and floor_detail < DEFOCUS_FLOOR)
    # Sensor noise adds fine detail to every cell and hides a mild blur in the median (an IR-only camera over a
    # finely textured scene): on a still scene, measure the loss with the noise taken out.
    still = crisp_stability(base.cells, base.crisp)
    clean = clean_detail_ratio(base.cells, signature.cells) if still is not None and still >= DEFOCUS_STILL else None
    if clean is not None:
        scores["clean_detail"] = round(clean, 3)
        blurred = blurred or clean < DEFOCUS_CLEAN
    # A strong blur shows at the thumbnail's scale too: local contrast gone though the overall contrast is not
    # (haze lowers both alike). The sensor noise and OSD that keep the fine detail up do not help there.
    smeared = m.paint.contrast < DEFOCUS_LOCAL * m.contrast_ratio and (cell_detail or 1.0) < DEFOCUS_LOCAL_DETAIL
    blurred = blurred or (smeared and coarse >= DEFOCUS_LOCAL_COARSE)
    if blurred and coated and rest >= SPRAY_REST_STRUCTURE:
        # A blur softens every part of the picture; a coat flattens its own part (whose cells lose their detail,
        # and the global sharpness with them) and leaves the rest crisp: judge the blur away from the paint.
        away = outside(m.paint.mask).reshape(GRID_SIZE[1], THUMB_SIZE[1] // GRID_SIZE[1], GRID_SIZE[0], -1)
        kept = detail_ratio(base.cells, signature.cells, base.crisp, only=np.asarray(away.all(axis=(1, 3)), np.bool_))
        if kept is not None:
            scores["unpainted_detail"] = round(kept, 3)
        # Too little left beside the coat to judge a blur by: the coat is the fault (rule 10 names it).
        blurred = kept is not None and kept < DEFOCUS_UNPAINTED
    if blurred and coarse >= DEFOCUS_COARSE and m.edge_ratio <= DEFOCUS_MAX_EDGES:
        if coated and (rest >= SPRAY_REST_STRUCTURE or m.sure_paint):
            # Paint mist: the can leaves blotches and a veil of droplets over the rest of the dome, which softens
            # every cell as a defocus does. A defocused lens paints no flat blotches: a coat is spray.
            return Verdict(Status.SPRAY, scores=scores, detail="paint blotches, and a mist of paint over the rest")
        return Verdict(Status.DEFOCUSED, scores=scores, detail="same scene, fine detail lost")
    return None


# Rule 9: displaced (another view).
DISPLACED_STRUCTURE = 0.5  # a sharp, lively picture that is not the reference scene
DISPLACED_EDGE_RATIO = 0.4  # (rule 10′ too)
DISPLACED_PART = 0.7  # ... of which no quarter still matches (a passer-by leaves most quarters alone)
# ... nor does the rest (away from any paint) in its fine detail: turned simulator views 0.04-0.33 (0.33 with a
# vehicle passing: the day-one fleet test read one spray), sprays mostly >= 0.5 (docs/vision.md, rule 10')
DISPLACED_FINE_REST = 0.4


def _another_view(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 9: a sharp, lively picture of something else: no quarter of it matches, nor the rest's fine detail."""
    best_part = max(structure(m.base.thumb, m.thumb, mask=q) for q in _QUADRANTS)
    scores["best_quadrant"] = round(best_part, 3)
    # Another view is as lively as the old one.
    other_view = m.struct < DISPLACED_STRUCTURE and m.edge_ratio >= DISPLACED_EDGE_RATIO and best_part < DISPLACED_PART
    if not other_view:
        return None
    # Paint leaves the rest matching in its fine detail; another view matches at most in its coarse layout.
    scores["fine_rest_structure"] = round(m.fine_rest, 3)
    if m.fine_rest < DISPLACED_FINE_REST:
        return Verdict(Status.DISPLACED, scores=scores, detail="the camera looks at a different view")
    return None


# Rule 10: spray (SPRAY_PAINTED, SPRAY_RIMMED: ``_coated``), and 10′: displaced, another view lined up with the
# old one's layout (DISPLACED_FINE_REST, DISPLACED_EDGE_RATIO: rule 9's).


def _spray(m: Measures, scores: dict[str, float]) -> Verdict | None:
    """Rule 10: part of the picture coated, the rest still matching; or rule 10′, ``displaced``: what reads as
    such a coat is another view's flat parts (its rest matches only in its coarse layout, and it kept its edges)."""
    if not m.coated:
        return None
    fine_rest = m.fine_rest
    scores["fine_rest_structure"] = round(fine_rest, 3)
    if m.rest >= SPRAY_REST_STRUCTURE or m.sure_paint or fine_rest >= DISPLACED_FINE_REST:
        # A new view's "paint" is its own flat parts where the old view had texture; its rest lines up with the
        # old view's layout (sky above, ground below), never with its fine detail, and it kept its edges (a
        # coat takes them). The simulator's turned views: rest 0.68-0.83, fine rest 0.04-0.25; its sprays'
        # fine rest 0.82-0.95 (docs/vision.md, rule 10's displaced line).
        if not m.sure_paint and fine_rest < DISPLACED_FINE_REST and m.edge_ratio >= DISPLACED_EDGE_RATIO:
            return Verdict(Status.DISPLACED, scores=scores, detail="the camera looks at a different view")
        return Verdict(Status.SPRAY, scores=scores, detail="part of the picture changed, the rest matches")
    return None


#: Rules 5–10′, in docs/vision.md's order, against the mode's baseline: the first verdict stands, else ``ok``.
RATIO_RULES: tuple[RatioRule, ...] = (
    _too_dark,
    _covered,
    _moved,
    _turned,
    _zoomed,
    _defocused,
    _another_view,
    _spray,
)


def _judge(
    stats: FrameStats,
    baseline: Baseline | None,
    previous: FrameSignature | None,
    signature: FrameSignature,
    mode: str,
) -> Verdict:
    scores: dict[str, float] = {
        "brightness": round(stats.brightness, 2),
        "saturated_fraction": round(stats.saturated_fraction, 4),
    }
    base = baseline.ready(mode) if baseline is not None else None
    frame = Frame(stats, signature, previous, baseline, base, mode)
    for rule in FRAME_RULES:
        verdict = rule(frame, scores)
        if verdict is not None:
            return verdict
    assert base is not None  # _cannot_judge said so otherwise
    measures = measure(stats, base, signature, scores)
    for ratio_rule in RATIO_RULES:
        verdict = ratio_rule(measures, scores)
        if verdict is not None:
            return verdict
    return Verdict(Status.OK, scores=scores)
