"""Per-camera baseline, one per mode (``day`` colour, ``ir`` night), learned from healthy frames.

The first ``samples`` healthy frames of a mode are averaged plainly; after that each frame judged ``ok``
moves the baseline by ``alpha`` (an exponential moving average), so foliage, snow and seasons drift in
slowly while a sudden change is judged against the old picture. Resetting a baseline is discarding it.

Besides the means, each mode learns how much the healthy picture *varies*, per thumbnail pixel: the low
end of its 3×3 window's luma std (the texture floor) and how far its luma strays from the mean (the
wander). A window whose texture comes and goes, or whose luma wanders, while the camera is healthy (soft
video frames, traffic, a passer-by, a tree in the wind) cannot testify to paint. Per cell it learns the
low end of its crispness (fine detail / std²), against which a blur is measured: a video whose frames
vary in sharpness is compared with its softest healthy frames. All three are the minimum (wander:
maximum) over the first frames, then follow the healthy frames asymmetrically: a quarter of the way
towards a lower floor or a wider wander, ``alpha`` of the way back.

``to_dict`` gives a small JSON-able dict (the thumbnail, texture floor and wander stacked in one 16-bit
PNG in base64: 8-bit would round away the slow updates; the crispness floor as a sixth value per cell)
for the database layer to store; ``from_dict`` reads it back, and reads the two earlier formats.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.errors import FrameError
from camfleet.model import FrameStats, Reason, Status
from camfleet.vision.features import CELL_FEATURES, GRID_SIZE, THUMB_SIZE, FrameSignature
from camfleet.vision.paint import window_std

DAY, IR = "day", "ir"
MODES = (DAY, IR)
FORMAT_VERSION = 4
#: Older formats still read: version 2 had four cell features (no per-cell detail; judged without it),
#: version 3 no texture floor, wander or crispness floor (taken from the next healthy frame).
READABLE_VERSIONS = (2, 3, 4)
#: Not learned yet (read from an older format): per-cell detail, the floors, the wander. Real values are ≥ 0.
UNKNOWN = -1.0
#: The floors move this share of the way down towards a lower healthy value (and ``alpha`` back up); the
#: wander this share up towards a wider one (and ``alpha`` back down).
LOW_DOWN = 0.25
DETAIL = 4  # index of the detail feature in a cell
#: FrameStats fields (and extras) the baseline tracks.
SCALARS = (
    "brightness",
    "contrast",
    "sharpness",
    "edge_density",
    "entropy",
    "colourfulness",
    "uniform_fraction",
    "saturated_fraction",
    "magenta",
    "analysis_width",
)
#: The sharpness features a camera's peers compare (``vision/peers.py``): learned into the baseline too, so a
#: new process can seed its peers from the stored baselines instead of starting with none.
PEER_FEATURES = ("edge_sharp", "edge_sharp2", "crisp")

FloatArray = npt.NDArray[np.float32]


def mode_of(stats: FrameStats) -> str:
    """Which baseline a frame is judged against."""
    return IR if stats.is_ir else DAY


def _scalars(stats: FrameStats) -> dict[str, float]:
    out = {name: float(getattr(stats, name)) for name in SCALARS if hasattr(stats, name)}
    out["magenta"] = stats.extra.get("magenta", 0.0)
    out["analysis_width"] = stats.extra.get("analysis_width", float(stats.width))
    peer = [stats.extra[name] for name in PEER_FEATURES if name in stats.extra]
    if len(peer) == len(PEER_FEATURES) and min(peer) >= 0.0:  # a picture without texture has no crisp (-1)
        out.update(zip(PEER_FEATURES, peer, strict=True))
    return out


def crispness(cells: FloatArray) -> FloatArray:
    """Per cell, fine detail relative to contrast (mean squared Laplacian / luma variance): what a blur lowers
    and exposure, haze and gain leave alone."""
    return np.asarray(cells[..., DETAIL] / np.maximum(cells[..., 1], 1.0) ** 2, np.float32)


def _track(old: FloatArray, new: FloatArray, learning: bool, alpha: float, down: bool) -> FloatArray:
    """One step of a floor (``down``) or reach tracker: the minimum / maximum while ``learning``, then
    LOW_DOWN of the way towards a lower floor (a wider reach) and ``alpha`` of the way back. UNKNOWN
    entries (an older format) take ``new`` as it is."""
    if learning:
        moved = np.minimum(old, new) if down else np.maximum(old, new)
    else:
        widening = new < old if down else new > old
        moved = old + np.where(widening, LOW_DOWN, alpha) * (new - old)
    return np.asarray(np.where(old == UNKNOWN, new, moved), np.float32)


@dataclass(slots=True)
class ModeBaseline:
    """The learned picture of one mode: mean scalars, mean thumbnail and mean cell grid, and how the healthy
    picture varies: per thumbnail pixel ``texture`` (the low end of its 3×3 window's luma std) and ``wander``
    (how far its luma strays from the mean), per cell ``crisp`` (the low end of its crispness)."""

    count: int
    values: dict[str, float]
    thumb: FloatArray  # (54, 96) float32
    cells: FloatArray  # (9, 16, CELL_FEATURES) float32
    texture: FloatArray  # (54, 96) float32; UNKNOWN until learned (read from an older format)
    wander: FloatArray  # (54, 96) float32; UNKNOWN until learned
    crisp: FloatArray  # (9, 16) float32: per cell, the low end of its detail / std² (UNKNOWN until learned)

    @classmethod
    def first(cls, stats: FrameStats, signature: FrameSignature) -> ModeBaseline:
        """A baseline made of one frame."""
        thumb = signature.thumb.astype(np.float32)
        cells = signature.cells.astype(np.float32)
        return cls(1, _scalars(stats), thumb, cells, window_std(thumb), np.zeros_like(thumb), crispness(cells))

    def blend(self, stats: FrameStats, signature: FrameSignature, weight: float, learning: bool, alpha: float) -> None:
        """Move every tracked mean ``weight`` of the way towards this frame's, and the floors and the wander
        by ``_track`` (``learning``: still in the first, plainly averaged frames)."""
        for name, value in _scalars(stats).items():
            old = self.values.get(name, value)
            self.values[name] = old + weight * (value - old)
        thumb = signature.thumb.astype(np.float32)
        self.thumb += weight * (thumb - self.thumb)
        self.texture = _track(self.texture, window_std(thumb), learning, alpha, down=True)
        self.wander = _track(self.wander, np.abs(thumb - self.thumb), learning, alpha, down=False)
        new = signature.cells.astype(np.float32)
        self.crisp = _track(self.crisp, crispness(new), learning, alpha, down=True)
        unknown = self.cells[..., DETAIL] == UNKNOWN  # read from version 2: take this frame's detail as it is
        self.cells += weight * (new - self.cells)
        self.cells[..., DETAIL] = np.where(unknown, new[..., DETAIL], self.cells[..., DETAIL])
        self.count += 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: the thumbnail, texture floor and wander stacked in one 16-bit PNG (an unknown
        floor or wander is stored as all zeros: relearned)."""
        stacked = np.vstack([self.thumb, np.maximum(self.texture, 0.0), np.maximum(self.wander, 0.0)])
        ok, png = cv2.imencode(".png", np.clip(stacked * 256.0, 0, 65535).astype(np.uint16))
        if not ok:  # pragma: no cover - PNG encoding of a small array does not fail
            raise FrameError("baseline thumbnail could not be encoded", Reason.SNAPSHOT_ERROR)
        return {
            "count": self.count,
            "values": {k: round(v, 6) for k, v in self.values.items()},
            "thumb_png": base64.b64encode(png.tobytes()).decode("ascii"),
            "cells": [round(float(x), 4) for x in np.dstack([self.cells, self.crisp]).ravel()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], version: int = FORMAT_VERSION) -> ModeBaseline:
        """Inverse of ``to_dict``; raises ``ValueError`` on a malformed dict."""
        raw = np.frombuffer(base64.b64decode(data["thumb_png"], validate=True), np.uint8)
        picture = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
        h = THUMB_SIZE[1]
        layers = 3 if version >= 4 else 1  # version 4: texture floor and wander below the thumbnail
        if picture is None or picture.shape != (h * layers, THUMB_SIZE[0]):
            raise ValueError("baseline thumbnail is missing or of the wrong size")
        picture = picture.astype(np.float32) / 256.0
        learned = [picture[k * h : (k + 1) * h] for k in range(layers)]
        thumb, extra = learned[0], [x if x.any() else np.full_like(x, UNKNOWN) for x in learned[1:]]
        texture, wander = extra if extra else (np.full_like(thumb, UNKNOWN), np.full_like(thumb, UNKNOWN))
        features = CELL_FEATURES + 1 if version >= 4 else CELL_FEATURES if version >= 3 else CELL_FEATURES - 1
        cells = np.asarray(data["cells"], dtype=np.float32)
        if cells.size != GRID_SIZE[0] * GRID_SIZE[1] * features:
            raise ValueError("baseline cell grid has the wrong size")
        cells = cells.reshape(GRID_SIZE[1], GRID_SIZE[0], features)
        if features < CELL_FEATURES:  # version 2: no detail per cell; the next healthy frame's is taken as is
            cells = np.concatenate([cells, np.full((*cells.shape[:2], 1), UNKNOWN, np.float32)], axis=-1)
        crisp = np.full(cells.shape[:2], UNKNOWN, np.float32)
        if features > CELL_FEATURES:  # version 4: the crispness floor is stored as a sixth feature
            crisp = np.ascontiguousarray(cells[..., CELL_FEATURES])
            cells = np.ascontiguousarray(cells[..., :CELL_FEATURES])
        values = {str(k): float(v) for k, v in dict(data["values"]).items()}
        arrays = (np.ascontiguousarray(a) for a in (thumb, texture, wander))
        return cls(int(data["count"]), values, next(arrays), cells, next(arrays), next(arrays), crisp)


@dataclass(slots=True)
class Baseline:
    """A camera's baselines for both modes, with its learning settings (config ``vision.*``)."""

    samples: int = 5
    alpha: float = 0.02
    modes: dict[str, ModeBaseline] = field(default_factory=dict)

    def ready(self, mode: str) -> ModeBaseline | None:
        """The mode's baseline once it has learned ``samples`` frames, else None."""
        found = self.modes.get(mode)
        return found if found is not None and found.count >= self.samples else None

    def learn(self, stats: FrameStats, signature: FrameSignature, status: Status | None = None, mode: str = "") -> bool:
        """Fold a frame in if it is healthy; return whether it was used.

        ``status`` is the frame's verdict: ``ok`` and ``cannot_judge`` (still learning, or a featureless
        scene that may clear) are learned; faults never are. ``None`` means the caller vouches for it.
        ``mode``: the mode the frame was judged in (``Verdict.mode``); empty: its own (``mode_of``).
        """
        if status is not None and status not in (Status.OK, Status.CANNOT_JUDGE):
            return False
        mode = mode if mode in MODES else mode_of(stats)
        current = self.modes.get(mode)
        width = stats.extra.get("analysis_width", float(stats.width))
        if current is None or abs(current.values.get("analysis_width", width) - width) > 1.0:
            # A new resolution changes every scale-dependent value: start this mode again.
            self.modes[mode] = ModeBaseline.first(stats, signature)
            return True
        learning = current.count < self.samples
        weight = 1.0 / (current.count + 1) if learning else self.alpha
        current.blend(stats, signature, weight, learning, self.alpha)
        return True

    def to_dict(self) -> dict[str, Any]:
        """Small JSON-able dict for storage."""
        return {
            "version": FORMAT_VERSION,
            "samples": self.samples,
            "alpha": self.alpha,
            "modes": {name: mb.to_dict() for name, mb in self.modes.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        """Inverse of ``to_dict``; raises ``ValueError`` naming what is wrong."""
        try:
            version = int(data.get("version", 0))
            if version not in READABLE_VERSIONS:
                raise ValueError(f"unknown baseline format version {data.get('version')!r}")
            found = dict(data.get("modes", {}))
            modes = {str(k): ModeBaseline.from_dict(v, version) for k, v in found.items() if k in MODES}
            return cls(int(data["samples"]), float(data["alpha"]), modes)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # binascii.Error is a ValueError
            raise ValueError(f"malformed baseline: {exc}") from None
