"""Detection accuracy on real photographs with synthesised faults: a confusion table (truth × verdict).

Every scene of tests/vision_helpers.SCENES, several seeds per case, day+night baseline learned from five
healthy frames, decode reduction 4 (the default). Run: .venv/bin/python benchmarks/vision_accuracy.py
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import vision_helpers as vh

from camfleet.vision import analyze_jpeg

SEEDS = range(3)
CASES = {
    **{name: (lambda f: lambda im, s: vh.camera_jpeg(f(im), 1000 + s))(fn) for name, fn in vh.FAULTS.items()},
    "spray": lambda im, s: vh.camera_jpeg(vh.spray(im, seed=s), 1000 + s),
    "too_dark": lambda im, s: vh.camera_jpeg(vh.ir_failure(im), 1100 + s, noise=5.0),
    "ok (noise)": lambda im, s: vh.camera_jpeg(im, 1200 + s),
    "ok (±15 %)": lambda im, s: vh.camera_jpeg(vh.exposure(im, (0.85, 1.15, 1.1)[s]), 1300 + s),
    "ok (passer-by)": lambda im, s: vh.camera_jpeg(vh.passer_by(im, seed=s), 1400 + s),
    "ok (shake)": lambda im, s: vh.camera_jpeg(vh.shift(im, (1, 2, -2)[s], (1, -1, 0)[s]), 1500 + s),
    "ok (IR night)": lambda im, s: vh.camera_jpeg(vh.ir_night(im), 1600 + s, noise=5.0),
}


def main() -> None:
    table: dict[str, Counter[str]] = {case: Counter() for case in [*CASES, "frozen"]}
    for name in vh.SCENES:
        image = vh.scene(name)
        baseline = vh.day_and_night_baseline(image).to_dict()
        previous = analyze_jpeg(vh.camera_jpeg(image, 999), None, None, 4)[2]
        for case, make in CASES.items():
            for seed in SEEDS:
                table[case][analyze_jpeg(make(image, seed), baseline, previous, 4)[1].status.value] += 1
        for seed in SEEDS:
            frame = vh.camera_jpeg(image, 2000 + seed)
            prev = analyze_jpeg(frame, None, None, 4)[2]
            table["frozen"][analyze_jpeg(frame, baseline, prev, 4)[1].status.value] += 1
    verdicts = sorted({v for c in table.values() for v in c})
    print("| truth \\ verdict | " + " | ".join(verdicts) + " | correct |")
    print("| --- |" + " --- |" * (len(verdicts) + 1))
    for case, counts in table.items():
        truth = case.split(" ")[0]
        total = sum(counts.values())
        cells = " | ".join(str(counts.get(v, "")) for v in verdicts)
        print(f"| {case} | {cells} | {counts.get(truth, 0)}/{total} |")


if __name__ == "__main__":
    main()
