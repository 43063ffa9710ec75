"""A blind picture (black or covered) told apart from night, before a new mode's baseline learns it.

Two gaps in the per-mode rules, measured on simulated cameras at 640×360:

- A black picture with the camera's OSD still drawn on it (date, name: most encoders keep drawing it when
  the sensor dies) has a luma std of ~8 from the text alone, above the absolute black rule's 3.
- A covered or black picture is grayscale, so it is taken for an IR night frame. A camera that has only
  learned its day picture then has "no ir baseline yet": ``cannot_judge``, and the flat picture became its
  IR baseline (``cannot_judge`` frames are learned) — after which the covered camera read ``ok``.

So: a frame that is almost all flat blocks with almost no edges is blind, once the camera has a ready
baseline in some mode. With its cells dark (75th percentile of cell luma < 20: the OSD's few cells do not
count) it is ``black`` when a learned scene was not that dark; otherwise, when a learned scene was a real
one, it is ``covered``. Either verdict is a fault, so it is never learned. Only a ``cannot_judge`` verdict is
revisited: a fault the per-mode rules named stands (a dark bag they call ``covered`` stays so), and so does an
``ok`` against a learned dark, flat scene.
``analyze_jpeg`` applies this after ``judge``, so the poller, ``camfleet analyze`` and the evaluation give
the same verdict.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from camfleet.model import FrameStats, Status
from camfleet.vision.baseline import MODES, Baseline
from camfleet.vision.features import FrameSignature
from camfleet.vision.verdict import FEATURELESS_CONTRAST, Verdict

BLIND_UNIFORM = 0.9  # ≥ 90 % of 8×8 blocks flat (a live scene, day or IR, measured 0.40–0.45)
BLIND_EDGES = 0.01  # edge density (live scenes 0.03–0.04; covered/black 0.004)
BLACK_CELLS = 20.0  # 75th percentile of cell mean luma (limited-range black is 16)
SCENE_UNIFORM = 0.7  # a baseline flatter than this is no scene to be blind to ...
SCENE_CONTRAST = FEATURELESS_CONTRAST  # ... unless it has contrast ...
SCENE_EDGES = 0.1  # ... and the picture lost all but this share of its few edges (a grey micrograph, the moon)


def blind_verdict(stats: FrameStats, signature: FrameSignature, baseline: Baseline | None, verdict: Verdict) -> Verdict:
    """``verdict``, or ``black``/``covered`` for a blind picture the per-mode rules let through."""
    if verdict.status is not Status.CANNOT_JUDGE:
        # A fault already has a more precise word; an ``ok`` frame matched its mode's baseline (a dark, flat scene
        # at night is flat and dark too: nuclear.png's IR samples were all read as black).
        return verdict
    if stats.uniform_fraction < BLIND_UNIFORM or stats.edge_density >= BLIND_EDGES or baseline is None:
        return verdict
    # Only against a learned scene: a camera still learning its first mode may be looking at a dark, flat scene
    # (a night road, a micrograph), and a "black" verdict is never learned — it would never learn it.
    scenes = [m for mode in MODES if (m := baseline.ready(mode)) is not None]
    scores = {**verdict.scores, "uniform_fraction": round(stats.uniform_fraction, 3)}
    if _dark(signature.cells):
        if any(not _dark(m.cells) for m in scenes):
            detail = "no picture: black (only the OSD is drawn)"
            return Verdict(Status.BLACK, scores=scores, detail=detail, mode=verdict.mode, basis=verdict.basis)
    elif any(_scene(stats, m.values) for m in scenes):
        detail = "flat, dark picture where the camera saw a scene"
        return Verdict(Status.COVERED, scores=scores, detail=detail, mode=verdict.mode, basis=verdict.basis)
    return verdict


def _dark(cells: npt.NDArray[np.float32]) -> bool:
    """Whether three quarters of a cell grid (its mean luma) are at black level (the OSD's few cells aside)."""
    return float(np.quantile(cells[..., 0], 0.75)) < BLACK_CELLS


def _scene(stats: FrameStats, values: dict[str, float]) -> bool:
    """Whether a learned mode saw a scene this blind picture hides: a textured one, or a flat one with contrast
    whose few edges are gone (nuclear.png, a grey micrograph: 74 % flat blocks, edge density 0.0011, contrast
    12.9; a cloth over it leaves none)."""
    if values.get("uniform_fraction", 1.0) < SCENE_UNIFORM:
        return True
    edges = values.get("edge_density", 0.0)
    return values.get("contrast", 0.0) >= SCENE_CONTRAST and edges > 0 and stats.edge_density <= SCENE_EDGES * edges
