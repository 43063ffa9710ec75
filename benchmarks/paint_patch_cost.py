"""Cost of ``features.paint_patch`` (day-one rule 10c) against the whole of what a picture judged alone costs
(``compute_features`` with every day-one feature, ``Features.complete``), timed alternately in the same run on the ÷4
decode (320×180) of a 1280×720 camera's JPEG: a healthy view (no region qualifies: no line detector) and the same
view with one blot of paint (a region qualifies: the line segment detector runs once).

Run: .venv/bin/python benchmarks/paint_patch_cost.py [runs]
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
from camfleet.vision.features import Features, _block_mean, paint_patch


def _blotted(image: vh.Image) -> vh.Image:
    """``image`` with one even blot of red paint over about 12 % of the view (tests/test_vision_patch.py's)."""
    h, w = image.shape[:2]
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (w // 2, h // 2), (int(0.24 * w), int(0.2 * h)), 10, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 2.0)[..., None]
    return np.clip(image * (1 - mask) + np.float32((40, 40, 200)) * mask, 0, 255).astype(np.uint8)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    scene = vh.scene("astronaut", (1280, 720))
    for label, picture in (("healthy", scene), ("one blot", _blotted(scene))):
        image, width, height = decode_jpeg(vh.camera_jpeg(picture, 1), 4, 8 << 20)
        f = Features(image, width, height)
        means = _block_mean(f.gray, f.blocks.shape)
        whole, part = alternately(
            lambda i=image, w=width, h=height: Features(i, w, h).complete(),
            lambda f=f, m=means: paint_patch(f.gray, f.blocks, f.edges, m, f.small),
            runs,
        )
        print(
            f"{label}, {image.shape[1]}×{image.shape[0]}, {runs} runs: picture judged alone median "
            f"{np.median(whole) * 1e3:.2f} ms (min {min(whole) * 1e3:.2f}); paint_patch median "
            f"{np.median(part) * 1e3:.3f} ms (min {min(part) * 1e3:.3f}); "
            f"{np.median(part) / np.median(whole):.1%} of it"
        )


if __name__ == "__main__":
    main()
