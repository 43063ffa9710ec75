"""The no-baseline sharpness features of the day-one fleet's cameras as the poller sees them (docs/day-one.md).

Renders each camera of tests/test_dayone_fleet.py (200 healthy, the defocused ones and the translucent bag) at
noon on the sub stream the poller fetches (640 × 360, decoded at ÷2: 320 px) and prints ``edge_sharp`` and
``crisp`` of the faulted ones and the healthy cameras' spread. No network: the simulator's renderer only.

    PYTHONPATH=. .venv/bin/python benchmarks/dayone_sharpness.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from frames_helpers import specs

from camfleet.simulator import SimulatedFleet
from camfleet.simulator.acceptance import local_noon, snapshot_profile
from camfleet.simulator.frame import FrameRequest, render_frame
from camfleet.simulator.scene import BaseCache
from camfleet.vision.decode import decode_jpeg
from camfleet.vision.features import compute_features

NET = 90  # as tests/test_dayone_fleet.py: the same ids and addresses give the same scenes
HEALTHY = [f"D-ok-{i:03d}" for i in range(200)]
FAULTED = {
    "D-cov-2": ("covered", {"material": "translucent"}),
    "D-blur-0": ("defocus", {"blur": "disc"}),
    "D-blur-1": ("defocus", {"blur": "disc"}),
    "D-blur-2": ("defocus", {"blur": "gaussian"}),
}


def main() -> None:
    """Print the figures."""
    ids = [*HEALTHY, "D-cov-0", "D-cov-1", "D-cov-2", "D-cov-3", "D-blur-0", "D-blur-1", "D-blur-2"]
    fleet = SimulatedFleet(specs(NET, ids))
    noon, profile = local_noon(), snapshot_profile(main_only=False)
    healthy: list[float] = []
    for cid in [*HEALTHY, *FAULTED]:
        kind, setting = FAULTED.get(cid, ("", {}))
        kinds = frozenset({kind}) if kind else frozenset()
        request = FrameRequest(fleet.cameras[cid].seed, profile.width, profile.height, noon + 60, cid, kinds,
                               profile.quality, **setting)  # fmt: skip
        image, width, height = decode_jpeg(render_frame(request, BaseCache(max_bytes=0)), 2, 8 << 20)
        stats, _signature = compute_features(image, width, height)
        if kind:
            print(
                f"{cid} {kind} {setting}: edge_sharp {stats.extra['edge_sharp']:.3f} crisp {stats.extra['crisp']:.3f}"
            )
        else:
            healthy.append(stats.extra["edge_sharp"])
    q = np.quantile(healthy, [0.0, 0.05, 0.5, 1.0])
    print(f"healthy ({len(healthy)}) edge_sharp min {q[0]:.3f} p5 {q[1]:.3f} median {q[2]:.3f} max {q[3]:.3f}")


if __name__ == "__main__":
    main()
