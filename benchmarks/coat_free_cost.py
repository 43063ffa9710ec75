"""Cost of ``features.coat_free`` (day-one rule 7's straight-edge test, a line segment detector) against the whole
``compute_features`` it is part of, timed alternately in the same run on the ÷4 decode (320×180) of a 1280×720
camera's JPEG, and how often it runs: only where ``coat_blotch`` reaches ``COAT_FREE_FROM``.

Run: .venv/bin/python benchmarks/coat_free_cost.py [runs]
(the picture: astronaut with framed panels, as tests/test_vision_spray_outline.py draws them, so that it runs; the
share: the day-one healthy first pictures of the tuning scenes, ``--normal 2``)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import vision_eval_helpers as ve
import vision_fault_helpers as vf
import vision_helpers as vh
import vision_scene_helpers as vs
from alternate import alternately
from test_vision_spray_outline import _panels

from camfleet.vision.decode import decode_jpeg
from camfleet.vision.features import COAT_FREE_FROM, _block_mean, _block_std, blotch_mask, coat_free, compute_features


def share_run() -> tuple[int, int]:
    """(pictures whose ``coat_blotch`` reaches COAT_FREE_FROM, pictures) over the tuning scenes' healthy samples."""
    ran = total = 0
    for name in vs.TUNING:
        scene = vs.load_scene(name)
        rng = np.random.default_rng([0, sum(name.encode()), 1])
        for make in vf.normal_makers(scene, 2, rng, ve.DAY_ONE_KINDS):
            stats, _ = compute_features(*decode_jpeg(make().frame, 4, 8 << 20))
            ran += stats.extra["coat_blotch"] >= COAT_FREE_FROM
            total += 1
    return ran, total


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    image, width, height = decode_jpeg(vh.camera_jpeg(_panels(vh.scene("astronaut", (1280, 720)), 0), 1), 4, 8 << 20)
    gray = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
    blocks = _block_std(gray)
    blotches = blotch_mask(blocks, _block_mean(gray, blocks.shape))
    whole, part = alternately(
        lambda: compute_features(image, width, height), lambda: coat_free(gray, blocks, blotches), runs
    )
    ran, total = share_run()
    print(
        f"{image.shape[1]}×{image.shape[0]}, {runs} runs: compute_features median {np.median(whole) * 1e3:.2f} ms "
        f"(min {min(whole) * 1e3:.2f}); coat_free median {np.median(part) * 1e3:.3f} ms (min {min(part) * 1e3:.3f}), "
        f"ratio of medians {np.median(part) / np.median(whole):.2f}; it ran on {ran} of {total} healthy tuning pictures"
    )


if __name__ == "__main__":
    main()
