"""The poller's peers: what the other cameras of the same model and analysis width see (docs/baselines.md).

One ``PeerBook`` per poller (``vision/peers.py``), fed with every camera's ``ok`` frames, grouped by
``peer_group(model, analysis_width)``: the model from the identity check (empty while unknown), the width of
the camera's last judged picture (before its first one, what its snapshot size and reduction give). A camera
whose group changes (its model became known, its picture size changed) leaves the old group.

Cost: a view is a few quantiles over the group (~0.36 ms at 512 cameras, on the event loop), asked for
every frame: ~4 s of loop time per full sweep of the default district (5,500 cameras in ~10 model groups).
A group of at least ``SHARED_FROM`` cameras therefore shares one view, the camera itself included (among 32
or more, one camera moves a quartile by at most one rank), recomputed once ``REFRESH_SHARE`` of its size
in new pictures has come in.

Across restarts: the book is not stored, but each camera's baseline learns its peer features
(``vision.baseline.PEER_FEATURES``) with the rest of its picture, so at start ``seed`` fills the book from the
stored baselines of the cameras whose baseline is trusted (provisional or approved): a new process judges its
first cameras against the whole fleet's peers, not against the few it has seen yet. A camera's first judged
picture replaces its seeded values.
"""

from __future__ import annotations

from collections import Counter

from camfleet.model import FrameStats
from camfleet.vision import Baseline, PeerBook, PeerView, peer_group

SHARED_FROM = 32
REFRESH_SHARE = 0.1


class FleetPeers:
    """The poller's ``PeerBook`` with each camera's group."""

    def __init__(self) -> None:
        self.book = PeerBook()
        self.widths: dict[str, int] = {}  # camera → analysis width of its last judged picture
        self.groups: dict[str, str] = {}  # camera → the group its ok pictures are in
        self.added: Counter[str] = Counter()  # group → pictures added
        self.shared: dict[str, tuple[int, PeerView | None]] = {}  # group → (added when made, the shared view)

    def view(self, camera_id: str, model: str, expected_width: int) -> PeerView | None:
        """The camera's peers (``expected_width``: its analysis width before its first judged picture)."""
        group = peer_group(model, self.widths.get(camera_id) or expected_width)
        size = self.book.size(group)
        if size < SHARED_FROM:
            return self.book.view(group, camera_id)
        made = self.shared.get(group)
        if made is None or self.added[group] - made[0] >= REFRESH_SHARE * size:
            made = self.shared[group] = (self.added[group], self.book.view(group, ""))
        return made[1]

    def judged(self, camera_id: str, model: str, stats: FrameStats, ok: bool) -> None:
        """A picture of the camera was judged; an ``ok`` one joins its group."""
        width = int(stats.extra.get("analysis_width", float(stats.width)))
        self.widths[camera_id] = width
        if not ok:
            return
        group = peer_group(model, width)
        if self.groups.get(camera_id, group) != group:
            self.book.forget(camera_id)
        self.groups[camera_id] = group
        self.book.add(group, camera_id, stats)
        self.added[group] += 1

    def seed(self, camera_id: str, model: str, baseline: Baseline) -> int:
        """Put a camera's stored baseline in its group (each ready mode that learned the peer features); returns
        how many modes went in. Called at start, before any picture is judged."""
        seeded = 0
        for mode in baseline.modes:
            ready = baseline.ready(mode)
            if ready is None:
                continue
            group = peer_group(model, int(ready.values.get("analysis_width", 0.0)))
            if self.groups.get(camera_id, group) != group:
                continue  # another mode at another width: keep the first group
            if self.book.add_values(group, camera_id, mode, ready.values):
                self.groups[camera_id] = group
                self.added[group] += 1
                seeded += 1
        return seeded

    def forget(self, camera_id: str) -> None:
        """The camera left the inventory."""
        self.book.forget(camera_id)
        self.widths.pop(camera_id, None)
        self.groups.pop(camera_id, None)
