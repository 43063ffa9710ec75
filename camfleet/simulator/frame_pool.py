"""Benchmark mode: serve pictures from a small pool instead of drawing one per request.

A real camera's encoder costs the poller nothing; the simulator's drawing does (~20 ms of CPU per 1080p
frame, 110 CPU-seconds for one picture of each of 5,500 cameras), and on a 2-core machine that would be
measured as the poller's time. With a pool, each camera keeps its own scene (``seed % scenes``) and cycles
through a few noise variants request by request, so a baseline still matches and consecutive pictures
still differ, at the cost of a dictionary lookup. Cameras with a fault in force are drawn as usual.
"""

from __future__ import annotations

import threading

from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.scene import BaseCache


class FramePool:
    """``scenes`` × ``variants`` pictures per resolution, drawn on first use and kept."""

    def __init__(self, scenes: int, variants: int = 3) -> None:
        self.scenes = max(1, scenes)
        self.variants = max(1, variants)
        self._frames: dict[tuple[int, int, int, int, bool], bytes] = {}
        self._served: dict[int, int] = {}  # pictures served per camera seed: the next variant
        self._lock = threading.Lock()

    def picture(self, req: FrameRequest, cache: BaseCache) -> bytes:
        """The pool's picture for this request (runs in a render thread)."""
        from camfleet.simulator.frame import is_night

        scene = req.seed % self.scenes
        with self._lock:
            served = self._served.get(req.seed, 0)
            self._served[req.seed] = served + 1
            key = (scene, req.width, req.height, served % self.variants, is_night(req.local_time))
            found = self._frames.get(key)
        if found is not None:
            return found
        # Scene s is drawn with seed s: every camera mapped to it shows the same place; time moves the OSD.
        drawn = render_frame(
            FrameRequest(scene, req.width, req.height, req.local_time, f"POOL-{scene}", frozenset(), req.quality),
            cache,
        )
        with self._lock:
            self._frames.setdefault(key, drawn)
        return drawn
