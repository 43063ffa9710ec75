"""Peers: what the other cameras of the same model and analysis width see, for judging with no baseline.

A camera with no baseline of its own cannot say "softer than before"; it can say "far softer than the
cameras built like it". ``PeerBook`` keeps, per peer group (``peer_group(model, analysis_width)``) and per
mode (day colour, IR night), each camera's *latest* sharpness features (``PEER_FEATURES``, from
``stats.extra``, which ``compute_features`` fills). It is bounded: at most ``max_cameras`` cameras per
group (the least recently updated is dropped first), three floats per camera and mode, so ~5,000 cameras
cost well under a megabyte. The distribution is the plain set of those latest values — no history, no
decay: a camera refocused is counted at its new sharpness from its next picture on.

``PeerBook.view(group, camera_id)`` gives a ``PeerView``: per mode, the number of *other* cameras and a
few quantiles of each feature (their lower quartile and median). It is small (a few dozen floats) and
picklable, because it travels to the process pool with every frame. The camera itself is left out, so a
defocused camera does not vouch for its own softness.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from camfleet.model import FrameStats
from camfleet.vision.baseline import DAY, IR, MODES
from camfleet.vision.baseline import PEER_FEATURES as PEER_FEATURES  # what a peer contributes (and baselines learn)

#: Quantiles a view carries per feature: the lower quartile and the median (robust to a quarter of the
#: peers being soft or broken themselves).
QUANTILES = (0.25, 0.5)
#: Cameras kept per group: enough for a stable median, bounded whatever the fleet.
MAX_CAMERAS = 512


def peer_group(model: str, analysis_width: int) -> str:
    """The group a camera's pictures are compared within: same model (optics, encoder) and analysis width
    (sharpness depends on the decode scale). An unknown model is its own group ``"?"``."""
    return f"{model.strip() or '?'}@{int(analysis_width)}"


@dataclass(frozen=True, slots=True)
class PeerStats:
    """One mode of a peer group, as seen by one camera: how many other cameras, and per feature the
    ``QUANTILES`` of their latest values."""

    count: int
    quantiles: dict[str, tuple[float, ...]] = field(default_factory=dict)

    def median(self, feature: str) -> float | None:
        """The peers' median of ``feature`` (None when no peer has it)."""
        found = self.quantiles.get(feature)
        return found[QUANTILES.index(0.5)] if found else None

    def lower(self, feature: str) -> float | None:
        """The peers' lower quartile of ``feature`` (None when no peer has it)."""
        found = self.quantiles.get(feature)
        return found[QUANTILES.index(0.25)] if found else None


@dataclass(frozen=True, slots=True)
class PeerView:
    """What one camera's judge gets to see of its peers: per mode (``day``, ``ir``), a ``PeerStats``."""

    group: str
    modes: dict[str, PeerStats] = field(default_factory=dict)

    def mode(self, mode: str) -> PeerStats | None:
        """The peers seen in ``mode`` (None when none was)."""
        return self.modes.get(mode)


def _mode(stats: FrameStats) -> str:
    return IR if stats.is_ir else DAY


class PeerBook:
    """Per group and mode, each camera's latest peer features; bounded to ``max_cameras`` per group."""

    def __init__(self, max_cameras: int = MAX_CAMERAS) -> None:
        self.max_cameras = max_cameras
        # group -> camera -> mode -> feature values (PEER_FEATURES order); most recently updated last
        self._groups: dict[str, OrderedDict[str, dict[str, tuple[float, ...]]]] = {}

    def add(self, group: str, camera_id: str, stats: FrameStats) -> None:
        """Record a camera's latest picture. A picture without texture to judge sharpness by (a black or
        covered one: no ``crisp``) is not recorded: it says nothing about how sharp the model is."""
        self.add_values(group, camera_id, _mode(stats), {name: stats.extra.get(name, -1.0) for name in PEER_FEATURES})

    def add_values(self, group: str, camera_id: str, mode: str, features: dict[str, float]) -> bool:
        """Record a camera's features in ``mode`` (``PEER_FEATURES`` keys; a stored baseline's means when a
        process seeds its book); False, and nothing recorded, when one is missing or undefined (< 0)."""
        values = tuple(float(features.get(name, -1.0)) for name in PEER_FEATURES)
        if min(values) < 0.0:
            return False
        cameras = self._groups.setdefault(group, OrderedDict())
        entry = cameras.pop(camera_id, {})
        entry[mode] = values
        cameras[camera_id] = entry
        while len(cameras) > self.max_cameras:
            cameras.popitem(last=False)
        return True

    def forget(self, camera_id: str) -> None:
        """Drop a camera from every group (removed from the inventory, or moved to another model)."""
        for cameras in self._groups.values():
            cameras.pop(camera_id, None)

    def size(self, group: str) -> int:
        """How many cameras the group holds."""
        return len(self._groups.get(group, ()))

    def view(self, group: str, camera_id: str) -> PeerView | None:
        """The other cameras of ``group``, both modes, as quantiles; None when there are none."""
        cameras = self._groups.get(group)
        if not cameras:
            return None
        modes: dict[str, PeerStats] = {}
        for mode in MODES:
            rows = [entry[mode] for cam, entry in cameras.items() if cam != camera_id and mode in entry]
            if rows:
                modes[mode] = summarise(np.asarray(rows, np.float64))
        return PeerView(group, modes) if modes else None


def summarise(rows: npt.NDArray[np.float64]) -> PeerStats:
    """``PeerStats`` of an (n, len(PEER_FEATURES)) array of peer values."""
    q = np.quantile(rows, QUANTILES, axis=0)
    quantiles = {name: tuple(round(float(x), 5) for x in q[:, i]) for i, name in enumerate(PEER_FEATURES)}
    return PeerStats(int(rows.shape[0]), quantiles)


def view_of(group: str, stats: list[FrameStats]) -> PeerView | None:
    """A view made of a list of pictures (``camfleet analyze``'s other frames, the evaluation's other
    scenes): each picture counts as one camera."""
    book = PeerBook()
    for index, each in enumerate(stats):
        book.add(group, str(index), each)
    return book.view(group, "")
