"""Cost of ``features.near_cover`` (day-one rule 10b) against the whole ``compute_features`` it is part of, timed
alternately in the same run on the ÷4 decode (320×180) of a 1280×720 camera's JPEG.

Run: .venv/bin/python benchmarks/near_cover_cost.py [runs]  (near_cover as compute_features calls it: with the
colour thumbnail, for the clear-sky test; the block means computed inside)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import vision_helpers as vh
from alternate import alternately

from camfleet.vision.decode import decode_jpeg
from camfleet.vision.features import CANNY_HIGH, CANNY_LOW, _block_std, compute_features, near_cover, shrunk


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    image, width, height = decode_jpeg(vh.camera_jpeg(vh.scene("astronaut", (1280, 720)), 1), 4, 8 << 20)
    gray = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
    blocks = _block_std(gray)
    edges = np.asarray(cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), CANNY_LOW, CANNY_HIGH), np.uint8)
    small = shrunk(image)  # compute_features has it already
    whole, part = alternately(
        lambda: compute_features(image, width, height), lambda: near_cover(gray, blocks, edges, None, small), runs
    )
    print(
        f"{image.shape[1]}×{image.shape[0]}, {runs} runs: compute_features median {np.median(whole) * 1e3:.2f} ms "
        f"(min {min(whole) * 1e3:.2f}); near_cover median {np.median(part) * 1e3:.3f} ms (min {min(part) * 1e3:.3f})"
    )


if __name__ == "__main__":
    main()
