"""Per-camera baseline, one per mode (``day`` colour, ``ir`` night), learned from healthy frames.

The first ``samples`` healthy frames of a mode are averaged plainly; after that each frame judged ``ok``
moves the baseline by ``alpha`` (an exponential moving average), so foliage, snow and seasons drift in
slowly while a sudden change is judged against the old picture. Resetting a baseline is discarding it.

``to_dict`` gives a small JSON-able dict (the thumbnail as a 16-bit PNG in base64: 8-bit would round
away the slow updates) for the database layer to store; ``from_dict`` reads it back.
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

DAY, IR = "day", "ir"
MODES = (DAY, IR)
FORMAT_VERSION = 3
#: Older formats still read: version 2 had four cell features (no per-cell detail; judged without it).
READABLE_VERSIONS = (2, 3)
#: Per-cell detail not learned yet (read from version 2); real detail is ≥ 0.
UNKNOWN = -1.0
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

FloatArray = npt.NDArray[np.float32]


def mode_of(stats: FrameStats) -> str:
    """Which baseline a frame is judged against."""
    return IR if stats.is_ir else DAY


def _scalars(stats: FrameStats) -> dict[str, float]:
    out = {name: float(getattr(stats, name)) for name in SCALARS if hasattr(stats, name)}
    out["magenta"] = stats.extra.get("magenta", 0.0)
    out["analysis_width"] = stats.extra.get("analysis_width", float(stats.width))
    return out


@dataclass(slots=True)
class ModeBaseline:
    """The learned picture of one mode: mean scalars, mean thumbnail and mean cell grid."""

    count: int
    values: dict[str, float]
    thumb: FloatArray  # (54, 96) float32
    cells: FloatArray  # (9, 16, CELL_FEATURES) float32

    @classmethod
    def first(cls, stats: FrameStats, signature: FrameSignature) -> ModeBaseline:
        """A baseline made of one frame."""
        return cls(1, _scalars(stats), signature.thumb.astype(np.float32), signature.cells.astype(np.float32))

    def blend(self, stats: FrameStats, signature: FrameSignature, weight: float) -> None:
        """Move every tracked value ``weight`` of the way towards this frame's."""
        for name, value in _scalars(stats).items():
            old = self.values.get(name, value)
            self.values[name] = old + weight * (value - old)
        self.thumb += weight * (signature.thumb.astype(np.float32) - self.thumb)
        new = signature.cells.astype(np.float32)
        unknown = self.cells[..., DETAIL] == UNKNOWN  # read from version 2: take this frame's detail as it is
        self.cells += weight * (new - self.cells)
        self.cells[..., DETAIL] = np.where(unknown, new[..., DETAIL], self.cells[..., DETAIL])
        self.count += 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        ok, png = cv2.imencode(".png", np.clip(self.thumb * 256.0, 0, 65535).astype(np.uint16))
        if not ok:  # pragma: no cover - PNG encoding of a small array does not fail
            raise FrameError("baseline thumbnail could not be encoded", Reason.SNAPSHOT_ERROR)
        return {
            "count": self.count,
            "values": {k: round(v, 6) for k, v in self.values.items()},
            "thumb_png": base64.b64encode(png.tobytes()).decode("ascii"),
            "cells": [round(float(x), 4) for x in self.cells.ravel()],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], version: int = FORMAT_VERSION) -> ModeBaseline:
        """Inverse of ``to_dict``; raises ``ValueError`` on a malformed dict."""
        raw = np.frombuffer(base64.b64decode(data["thumb_png"], validate=True), np.uint8)
        thumb = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
        if thumb is None or thumb.shape != (THUMB_SIZE[1], THUMB_SIZE[0]):
            raise ValueError("baseline thumbnail is missing or of the wrong size")
        features = CELL_FEATURES if version >= 3 else CELL_FEATURES - 1
        cells = np.asarray(data["cells"], dtype=np.float32)
        if cells.size != GRID_SIZE[0] * GRID_SIZE[1] * features:
            raise ValueError("baseline cell grid has the wrong size")
        cells = cells.reshape(GRID_SIZE[1], GRID_SIZE[0], features)
        if features < CELL_FEATURES:  # version 2: no detail per cell; the next healthy frame's is taken as is
            cells = np.concatenate([cells, np.full((*cells.shape[:2], 1), UNKNOWN, np.float32)], axis=-1)
        values = {str(k): float(v) for k, v in dict(data["values"]).items()}
        return cls(
            int(data["count"]),
            values,
            thumb.astype(np.float32) / 256.0,
            cells,
        )


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

    def learn(self, stats: FrameStats, signature: FrameSignature, status: Status | None = None) -> bool:
        """Fold a frame in if it is healthy; return whether it was used.

        ``status`` is the frame's verdict: ``ok`` and ``cannot_judge`` (still learning, or a featureless
        scene that may clear) are learned; faults never are. ``None`` means the caller vouches for it.
        """
        if status is not None and status not in (Status.OK, Status.CANNOT_JUDGE):
            return False
        mode = mode_of(stats)
        current = self.modes.get(mode)
        width = stats.extra.get("analysis_width", float(stats.width))
        if current is None or abs(current.values.get("analysis_width", width) - width) > 1.0:
            # A new resolution changes every scale-dependent value: start this mode again.
            self.modes[mode] = ModeBaseline.first(stats, signature)
            return True
        weight = 1.0 / (current.count + 1) if current.count < self.samples else self.alpha
        current.blend(stats, signature, weight)
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
