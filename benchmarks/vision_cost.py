"""Per-frame cost of analyze_jpeg at each decode reduction, against a full-size cv2.imdecode of the same JPEG
measured in the same run; then throughput through the VisionPool with 1 and 2 workers.

Run: .venv/bin/python benchmarks/vision_cost.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import vision_helpers as vh

from camfleet.probe.pool import VisionPool
from camfleet.vision import analyze_jpeg

REPEATS = 40
POOL_FRAMES = 200


def per_call_ms(fn, *args) -> float:  # type: ignore[no-untyped-def]
    """Median wall time of one call, in ms."""
    fn(*args)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)) * 1000


async def pool_rate(workers: int, frames: list[bytes], baseline: dict) -> float:  # type: ignore[type-arg]
    """Frames per second through a pool of ``workers`` processes."""
    async with VisionPool(workers) as pool:
        await asyncio.gather(*(pool.run(analyze_jpeg, f, baseline, None, 4) for f in frames[:8]))  # warm up
        t0 = time.perf_counter()
        await asyncio.gather(*(pool.run(analyze_jpeg, f, baseline, None, 4) for f in frames))
        return len(frames) / (time.perf_counter() - t0)


def main() -> None:
    cv2.setNumThreads(1)
    image = vh.scene("motorcycle", (1920, 1080))
    print("| frame | reduction | analyze_jpeg ms | full imdecode ms (baseline) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for size in ((1920, 1080), (640, 360)):
        jpeg = vh.camera_jpeg(cv2.resize(image, size, interpolation=cv2.INTER_AREA), 1)
        baseline = vh.learn_baseline([jpeg]).to_dict()
        full = per_call_ms(cv2.imdecode, np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        for reduction in (1, 2, 4, 8):
            cost = per_call_ms(analyze_jpeg, jpeg, baseline, None, reduction)
            print(f"| {size[0]}×{size[1]} | {reduction} | {cost:.2f} | {full:.2f} | {cost / full:.2f} |")
    frames = [vh.camera_jpeg(image, seed) for seed in range(16)] * (POOL_FRAMES // 16)
    baseline = vh.learn_baseline(frames[:3]).to_dict()
    one = asyncio.run(pool_rate(1, frames, baseline))
    two = asyncio.run(pool_rate(2, frames, baseline))
    print(f"\npool, 1920×1080 at reduction 4: 1 worker {one:.0f} frames/s, 2 workers {two:.0f} frames/s", end="")
    print(f", ratio {two / one:.2f}")


if __name__ == "__main__":
    main()
