"""Field faults synthesised on real photographs are named with the right word; healthy variations are ok."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
import vision_helpers as vh

from camfleet.model import Reason, Status
from camfleet.vision import analyze_jpeg

BASELINES: dict[str, dict[str, Any]] = {}


def baseline_of(name: str) -> dict[str, Any]:
    """The day+night baseline dict of a scene, learned once per test run."""
    if name not in BASELINES:
        BASELINES[name] = vh.day_and_night_baseline(vh.scene(name)).to_dict()
    return BASELINES[name]


def verdict_of(name: str, frame: bytes, previous_frame: bytes | None = None) -> tuple[Status, dict[str, float]]:
    """Judge ``frame`` against the scene's baseline (and the previous sample, when given)."""
    previous = analyze_jpeg(previous_frame, None, None, 4)[2] if previous_frame is not None else None
    _, verdict, _ = analyze_jpeg(frame, baseline_of(name), previous, 4)
    return verdict.status, verdict.scores


FAULT_CASES = [(scene, fault) for scene in vh.SCENES for fault in vh.FAULTS if (scene, fault) != ("rocket", "spray")]


@pytest.mark.parametrize(("name", "fault"), FAULT_CASES, ids=[f"{s}-{f}" for s, f in FAULT_CASES])
def test_fault_is_named(name: str, fault: str) -> None:
    """Each synthesised fault on each photo gets exactly its status word."""
    frame = vh.camera_jpeg(vh.FAULTS[fault](vh.scene(name)), seed=700)
    status, scores = verdict_of(name, frame)
    if fault == "spray" and name in ("chelsea", "immunohistochemistry"):
        # Known limit (docs/vision.md): half the frame painted on a soft or repetitive photo is read as
        # another fault word (displaced / defocused) — still an alarm, never ok.
        assert status not in (Status.OK, Status.CANNOT_JUDGE), scores
        return
    assert status == Status(fault), scores


PAINTS = {"black": (30, 30, 40), "white": (225, 230, 235), "red": (40, 40, 200), "magenta": (200, 40, 200)}


@pytest.mark.parametrize("paint", PAINTS)
@pytest.mark.parametrize("name", ["astronaut", "chelsea", "motorcycle"])
def test_any_paint_colour_is_spray(name: str, paint: str) -> None:
    """Spray paint of any colour over half the frame is spray — red or magenta paint is not taken for an IR cast."""
    frame = vh.camera_jpeg(vh.spray(vh.scene(name), seed=3, coverage=0.5, colour=PAINTS[paint]), seed=701)
    status, scores = verdict_of(name, frame)
    # Never taken for an IR cast; on the soft cat photo dark paint may be read as displaced (a fault).
    assert status is Status.SPRAY or (name == "chelsea" and status is Status.DISPLACED), scores


@pytest.mark.parametrize("name", vh.SCENES)
def test_ir_failure_is_too_dark(name: str) -> None:
    """At night, a dead IR illuminator (a sixth of the light, same noise) is too_dark against the IR baseline."""
    frame = vh.camera_jpeg(vh.ir_failure(vh.scene(name)), seed=702, noise=5.0)
    status, scores = verdict_of(name, frame)
    assert status is Status.TOO_DARK, scores


def test_stereo_pair_is_displaced() -> None:
    """The other camera of the motorcycle stereo pair (a view a few degrees off) is displaced."""
    frame = vh.camera_jpeg(vh.scene("motorcycle_right"), seed=703)
    status, scores = verdict_of("motorcycle", frame)
    assert status is Status.DISPLACED, scores


def test_different_view_is_displaced() -> None:
    """A camera turned to a different part of the scene (another crop of the photo) is displaced."""
    wide = vh.scene("coffee", (2560, 1440))
    frame = vh.camera_jpeg(wide[0:720, 1280:2560], seed=704)
    status, scores = verdict_of("coffee", frame)
    assert status is Status.DISPLACED, scores


@pytest.mark.parametrize("name", vh.SCENES)
def test_same_frame_twice_is_frozen(name: str) -> None:
    """The very same JPEG served twice, minutes apart, is frozen."""
    frame = vh.camera_jpeg(vh.scene(name), seed=705)
    status, scores = verdict_of(name, frame, previous_frame=frame)
    assert status is Status.FROZEN, scores


HEALTHY: dict[str, Any] = {
    "new-noise": lambda im: vh.camera_jpeg(im, seed=800),
    "low-quality-clean": lambda im: vh.camera_jpeg(im, seed=801, noise=0.7, quality=50),
    "brighter-15": lambda im: vh.camera_jpeg(vh.exposure(im, 1.15), seed=802),
    "darker-15": lambda im: vh.camera_jpeg(vh.exposure(im, 0.85), seed=803),
    "passer-by": lambda im: vh.camera_jpeg(vh.passer_by(im, seed=4), seed=804),
    "shake-2px": lambda im: vh.camera_jpeg(vh.shift(im, 2, -1), seed=805),
    "shake-1px": lambda im: vh.camera_jpeg(vh.shift(im, -1, 1), seed=806),
    "ir-night": lambda im: vh.camera_jpeg(vh.ir_night(im), seed=807, noise=5.0),
}
HEALTHY_CASES = [(scene, case) for scene in vh.SCENES for case in HEALTHY]


@pytest.mark.parametrize(("name", "case"), HEALTHY_CASES, ids=[f"{s}-{c}" for s, c in HEALTHY_CASES])
def test_healthy_variation_is_ok(name: str, case: str) -> None:
    """Noise, ±15 % exposure, a passer-by, 1–2 px shake and an IR night frame are ok, even after the previous
    healthy sample (so live noise is not mistaken for frozen). The previous sample has the frame's JPEG
    quality: a camera's snapshot quality is a setting, and a still, nearly noiseless picture whose quality
    changed between two samples is what a re-encoded frozen picture looks like (docs/vision.md, rule 3)."""
    image = vh.scene(name)
    quality = 50 if case == "low-quality-clean" else 85
    previous = vh.camera_jpeg(image, seed=899, quality=quality)
    status, scores = verdict_of(name, HEALTHY[case](image), previous_frame=previous)
    assert status is Status.OK, scores


@pytest.mark.parametrize("name", vh.GRAY_SCENES)
def test_ir_only_camera(name: str) -> None:
    """A camera seen only at night (grayscale photos as IR scenes): healthy is ok, IR failure too_dark."""
    image = vh.scene(name)
    night = [vh.camera_jpeg(vh.ir_night(image), seed, noise=5.0) for seed in range(5)]
    baseline = vh.learn_baseline(night).to_dict()
    ok = analyze_jpeg(vh.camera_jpeg(vh.ir_night(image), 90, noise=5.0), baseline, None, 4)[1]
    dark = analyze_jpeg(vh.camera_jpeg(vh.ir_failure(image), 91, noise=5.0), baseline, None, 4)[1]
    assert (ok.status, dark.status) == (Status.OK, Status.TOO_DARK), (ok.scores, dark.scores)


def test_colour_with_magenta_cast_where_nights_are_ir() -> None:
    """With only a night (IR) baseline, a coloured frame with a magenta cast is ir_cut_stuck."""
    image = vh.scene("chelsea")
    night = [vh.camera_jpeg(vh.ir_night(image), seed, noise=5.0) for seed in range(5)]
    baseline = vh.learn_baseline(night).to_dict()
    verdict = analyze_jpeg(vh.camera_jpeg(vh.ir_cut_stuck(image), 92), baseline, None, 4)[1]
    assert verdict.status is Status.IR_CUT_STUCK, verdict.scores


def test_no_baseline_is_judged_alone() -> None:
    """Without a ready baseline a frame is judged by the day-one rules (basis ``alone``), never waved through
    for lack of one: a healthy frame passes them (``ok``), with or without a partly learned baseline, and says
    why it was judged alone. (Before the day-one rules: ``cannot_judge``/``no_baseline``.)"""
    frame = vh.camera_jpeg(vh.scene("astronaut"), seed=93)
    verdict = analyze_jpeg(frame, None, None, 4)[1]
    assert (verdict.status, verdict.basis) == (Status.OK, "alone")
    assert "no day baseline yet" in verdict.detail
    partial = vh.learn_baseline([frame], samples=5).to_dict()
    assert analyze_jpeg(frame, partial, None, 4)[1].basis == "alone"


def test_absolute_faults_need_no_baseline() -> None:
    """Black and overexposed are named even before any baseline exists."""
    image = vh.scene("coffee")
    assert analyze_jpeg(vh.camera_jpeg(vh.black(image), 94), None, None, 4)[1].status is Status.BLACK
    assert analyze_jpeg(vh.camera_jpeg(vh.glare(image), 95), None, None, 4)[1].status is Status.OVEREXPOSED


def fog(image: vh.Image, seed: int) -> bytes:
    """A scene lost in thick fog: almost uniform grey with a faint gradient."""
    foggy = vh.exposure(vh.defocus(image, 25.0), 0.08).astype("float32") + 200.0
    return vh.camera_jpeg(foggy.clip(0, 255).astype("uint8"), seed)


def test_featureless_baseline_cannot_judge() -> None:
    """When the baseline itself is featureless (fog, snow, a wall), frames are cannot_judge/featureless."""
    image = vh.scene("coffee")
    baseline = vh.learn_baseline([fog(image, s) for s in range(5)]).to_dict()
    verdict = analyze_jpeg(fog(image, 96), baseline, None, 4)[1]
    assert (verdict.status, verdict.reason) == (Status.CANNOT_JUDGE, Reason.FEATURELESS), verdict.scores


def test_black_frame_frozen_is_black() -> None:
    """Two identical black frames are black (the root cause), not frozen: clipped pixels never change."""
    frame = vh.camera_jpeg(vh.black(vh.scene("coffee")), seed=97, noise=0.0)
    status, _ = verdict_of("coffee", frame, previous_frame=frame)
    assert status is Status.BLACK


def white_ground(image: vh.Image) -> vh.Image:
    """The scene shrunk to a third of the view on a ground clipped white (a camera facing a white wall in
    sun, a lit shop window): about 65 % of the picture at 255, as a healthy view."""
    h, w = image.shape[:2]
    ground = np.full_like(image, 255)
    small = cv2.resize(image, (w * 3 // 5, h * 3 // 5), interpolation=cv2.INTER_AREA)
    top, left = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    ground[top : top + small.shape[0], left : left + small.shape[1]] = small
    return ground


def test_approved_white_view_is_not_overexposed_for_ever() -> None:
    """Over a baseline that itself clips most of the view (a person approved it), rule 2 measures "most" on
    what the baseline kept unclipped: the same view again is ``ok``, not ``overexposed`` on every sample for
    ever (the absolute 50 % did that), while a bloom that clips what was left still reads ``overexposed``. With
    no baseline the view is still ``overexposed``: on day one a person must look at it first."""
    image = white_ground(vh.scene("coffee"))
    frames = [vh.camera_jpeg(image, seed) for seed in range(5)]
    baseline = vh.learn_baseline(frames).to_dict()
    assert baseline["modes"]["day"]["values"]["saturated_fraction"] >= 0.55
    again = analyze_jpeg(vh.camera_jpeg(image, 97), baseline, None, 4)[1]
    assert again.status is Status.OK, again.scores
    bloom = analyze_jpeg(vh.camera_jpeg(vh.glare(image), 98), baseline, None, 4)[1]
    assert bloom.status is Status.OVEREXPOSED, bloom.scores
    alone = analyze_jpeg(vh.camera_jpeg(image, 97), None, None, 4)[1]
    assert alone.status is Status.OVEREXPOSED, alone.scores
