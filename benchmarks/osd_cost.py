"""Cost of finding the OSD and leaving it out of the day-one measures (``features.Osd``: the text-line mask, its
blocks and cells, the histogram and bare figures without it) against the whole ``compute_features`` it is part of,
timed alternately in the same run on the ÷4 decode (320×180) of a 1280×720 camera's JPEG with an OSD drawn.

Run: .venv/bin/python benchmarks/osd_cost.py [runs]  (a cloth over the lens, where the OSD is found and every
step runs, and a textured view, where the scene's edges run into the letters and nothing is left out)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import vision_eval_helpers as ve
import vision_helpers as vh
from alternate import alternately

from camfleet.vision.decode import decode_jpeg
from camfleet.vision.features import CANNY_HIGH, CANNY_LOW, Osd, _block_std, compute_features


def _osd_steps(gray: np.ndarray, edges: np.ndarray, blocks: np.ndarray, cells: np.ndarray) -> None:
    hist = np.bincount(gray.ravel(), minlength=256)
    osd = Osd.find(edges, blocks.shape)
    osd.scene_blocks(blocks)
    osd.scene_hist(gray, hist)
    osd.bare_features(edges, blocks, cells)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    cloth = np.full((720, 1280, 3), 28, np.uint8)
    for label, picture in (("cloth", cloth), ("astronaut", vh.scene("astronaut", (1280, 720)))):
        image, width, height = decode_jpeg(vh.camera_jpeg(ve.stamp_osd(picture, 0), 1), 4, 8 << 20)
        gray = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
        blocks = _block_std(gray)
        edges = np.asarray(cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), CANNY_LOW, CANNY_HIGH), np.uint8)
        _, signature = compute_features(image, width, height)
        whole, part = alternately(
            lambda image=image, width=width, height=height: compute_features(image, width, height),
            lambda g=gray, e=edges, b=blocks, c=signature.cells: _osd_steps(g, e, b, c),
            runs,
        )
        found = Osd.find(edges, blocks.shape).pixels.mean()
        print(
            f"{label} {image.shape[1]}×{image.shape[0]} (OSD share {found:.3f}), {runs} runs: compute_features median "
            f"{np.median(whole) * 1e3:.2f} ms (min {min(whole) * 1e3:.2f}); the OSD's steps median "
            f"{np.median(part) * 1e3:.3f} ms (min {min(part) * 1e3:.3f})"
        )


if __name__ == "__main__":
    main()
