"""Spray with a haze of paint over the rest of the dome is named spray, not defocused (nor IR-cut stuck).

A spray can leaves blotches and, around them, a mist of droplets too fine to see one by one: a veil of the
paint's colour that lowers the contrast of the whole picture and softens it, as a defocus does. Rule 8 read that
softening as a blur (every cell lost fine detail); a red or purple mist cast the picture magenta for rule 4. A
defocused lens or IR light leaves no flat blotches: with a coat on the picture, the fault is paint.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import vision_eval_helpers as ve
import vision_fault_helpers as vf
import vision_helpers as vh
import vision_scene_helpers as vs

from camfleet.model import Status
from camfleet.vision import Baseline, analyze_jpeg

MIST = [level for level, (label, _) in enumerate(vf.STRENGTHS["spray"]) if label.endswith("mist")]


def _baseline(name: str) -> Baseline:
    return ve.learn(vs.load_scene(name), 3)


def _frame(name: str, make: vf.Transform, seed: int) -> bytes:
    """A healthy day frame of ``name`` through ``make``, as the camera sends it (noise σ 2.5, JPEG q80)."""
    rng = np.random.default_rng(seed)
    image = ve.healthy_image(vs.load_scene(name), {"noise": 2.5, "quality": 80, "ir": False}, rng, 0)
    return ve.shoot(make(image, rng), rng, 2.5, 80)


def _veil(colour: tuple[int, int, int], veil: float, sigma: float) -> vf.Transform:
    """A veil of ``colour`` over ``veil`` of the light and a Gaussian softening of ``sigma`` px at 1280 px."""

    def make(image: vh.Image, rng: np.random.Generator) -> vh.Image:
        soft = cv2.GaussianBlur(image.astype(np.float32), (0, 0), sigma * image.shape[1] / 1280)
        return np.clip(soft * (1 - veil) + np.array(colour, np.float32) * veil, 0, 255).astype(np.uint8)

    return make


@pytest.mark.parametrize("name", ["astronaut", "china"])
def test_paint_blotches_with_a_mist_over_the_rest_are_spray(name: str) -> None:
    """The tuning generator's mist levels (20 % and 35 % paint plus a veil of 20–40 % and a 1.5–3-px softening)
    over two sharp photographs: every sample is `spray`. Before, rule 8 named all 24 `defocused` (the mist softens
    every cell: the median cell kept 0.15–0.60 of its crispness)."""
    scene, baseline = vs.load_scene(name), _baseline(name)
    got = [
        analyze_jpeg(vf.fault_sample(scene, "spray", level, np.random.default_rng(seed)).frame, baseline, None, 4)[1]
        for level in MIST
        for seed in range(40, 46)
    ]
    assert [v.status for v in got] == [Status.SPRAY] * len(got), [v.status.value for v in got]
    assert all("mist" in v.detail or v.scores.get("detail_ratio", 1.0) >= 0.75 for v in got)


@pytest.mark.parametrize(("name", "sigma"), [("astronaut", 2.0), ("china", 3.0), ("motorcycle", 2.5)])
def test_a_defocus_under_the_same_veil_is_still_defocused(name: str, sigma: float) -> None:
    """The same softening and the same veil (a grey one: fog in front of a defocused lens) without the blotches:
    `defocused`, before and after. What names the mist spray is the coat, not the softening."""
    baseline = _baseline(name)
    for seed, veil in ((3, 0.2), (4, 0.3), (5, 0.4)):
        frame = _frame(name, _veil(vf.PAINTS["grey"], veil, sigma), seed)
        verdict = analyze_jpeg(frame, baseline, None, 4)[1]
        assert verdict.status is Status.DEFOCUSED, (seed, verdict.status, verdict.scores)


def test_a_red_mist_is_spray_while_ir_light_stays_ir_cut_stuck() -> None:
    """Red paint mist casts the whole picture magenta ((R + B)/2 − G ≥ 0.2 of luma in most cells), which rule 4
    took for IR light without the filter (the motorcycle photo: 6 of 6 red mists `ir_cut_stuck` before). IR light
    leaves no blotches: the red mist is `spray`; the tuning generator's IR-cut faults on the same scene are still
    `ir_cut_stuck`."""
    name = "motorcycle"
    baseline = _baseline(name)
    red = vf.PAINTS["red"]
    for seed in range(6):

        def misted(image: vh.Image, rng: np.random.Generator, seed: int = seed) -> vh.Image:
            return vh.spray(_veil(red, 0.35, 2.0)(image, rng), seed=seed, coverage=0.2, colour=red)

        verdict = analyze_jpeg(_frame(name, misted, seed), baseline, None, 4)[1]
        assert verdict.status is Status.SPRAY, (seed, verdict.status, verdict.scores)
    scene = vs.load_scene(name)
    for level in range(vf.levels("ir_cut_stuck")):
        sample = vf.fault_sample(scene, "ir_cut_stuck", level, np.random.default_rng(60 + level))
        assert analyze_jpeg(sample.frame, baseline, None, 4)[1].status is Status.IR_CUT_STUCK
