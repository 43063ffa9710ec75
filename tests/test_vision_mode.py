"""Which baseline judges a frame (day or IR), and the blind-picture rule as ``analyze_jpeg`` applies it.

A grey scene (a concrete yard; here scikit-image's cameraman photo seen by a colour camera) is learned in the IR
mode: an IR picture is grey in every cell. A coloured object in front of it makes the frame "colour", and before
this rule every such frame was "no day baseline yet" and started a day baseline of passers-by.
"""

from __future__ import annotations

import numpy as np
import vision_helpers as vh

from camfleet.model import Status
from camfleet.vision import Baseline, analyze_jpeg

SAMPLES = 5


def _learned(image: np.ndarray, night: bool = False) -> Baseline:  # type: ignore[type-arg]
    """A baseline learned from SAMPLES healthy frames of ``image`` (IR night pictures of it with ``night``)."""
    source = vh.ir_night(image) if night else image
    frames = [vh.camera_jpeg(source, seed, noise=5.0 if night else 2.0) for seed in range(SAMPLES)]
    return vh.learn_baseline(frames, samples=SAMPLES)


def test_a_coloured_passer_by_over_a_grey_scene_is_judged_and_learned_in_the_grey_scene_mode() -> None:
    """Frames with a coloured passer-by (a cat) over a grey scene whose camera learned only the IR mode are
    colour frames, yet judged `ok` against the IR baseline and learned into it: no day baseline is started
    (before: `cannot_judge` "no day baseline yet", and each such frame was learned into a new day mode)."""
    grey = vh.scene("camera")
    baseline = _learned(grey)
    assert set(baseline.modes) == {"ir"}
    for seed in range(4):
        frame = vh.camera_jpeg(vh.passer_by(grey, seed, area=0.08), 100 + seed)
        stats, verdict, signature = analyze_jpeg(frame, baseline, None, 4)
        assert not stats.is_ir and stats.extra["grey_share"] >= 0.8, stats
        assert (verdict.status, verdict.mode) == (Status.OK, "ir"), verdict
        count = baseline.modes["ir"].count
        assert baseline.learn(stats, signature, verdict.status, verdict.mode)
        assert set(baseline.modes) == {"ir"} and baseline.modes["ir"].count == count + 1


def test_a_colour_picture_of_a_camera_learned_at_night_waits_for_its_day_baseline() -> None:
    """A colourful day picture (the astronaut photo: under a third of its cells grey) on a camera that has
    learned only its IR night picture has "no day baseline yet": judged as day by the day-one rules (basis
    `alone`, `ok`; before them `cannot_judge`), and learned as day."""
    image = vh.scene("astronaut")
    baseline = _learned(image, night=True)
    assert set(baseline.modes) == {"ir"}
    stats, verdict, _ = analyze_jpeg(vh.camera_jpeg(image, 7), baseline, None, 4)
    assert stats.extra["grey_share"] < 0.8
    assert (verdict.status, verdict.basis, verdict.mode) == (Status.OK, "alone", "day"), verdict
    assert "no day baseline yet" in verdict.detail


def test_another_grey_scene_with_a_coloured_object_is_not_taken_for_the_learned_one() -> None:
    """The grey share alone is not enough: a coloured passer-by over a *different* grey scene (coins instead of
    the cameraman) does not match the learned IR picture, so the frame keeps its own mode (day, not learned
    yet: judged by the day-one rules) instead of being judged — and learned — as the camera's grey scene."""
    baseline = _learned(vh.scene("camera"))
    frame = vh.camera_jpeg(vh.passer_by(vh.scene("coins"), 1, area=0.08), 9)
    stats, verdict, _ = analyze_jpeg(frame, baseline, None, 4)
    assert stats.extra["grey_share"] >= 0.8
    assert (verdict.basis, verdict.mode) == ("alone", "day"), verdict


def test_analyze_jpeg_applies_the_blind_picture_rule() -> None:
    """A flat grey picture (a lens covered by a grey cloth, taken for an IR frame) on a camera that has only a day
    baseline: `judge` alone says "no ir baseline yet"; `analyze_jpeg`, which the poller, `camfleet analyze` and
    the evaluation all call, names it `covered` (the rule used to run only in the poller)."""
    baseline = _learned(vh.scene("astronaut"))
    flat = np.full((720, 1280, 3), 120, np.uint8)
    stats, verdict, _ = analyze_jpeg(vh.camera_jpeg(flat, 3, noise=1.0), baseline, None, 4)
    assert stats.is_ir
    assert verdict.status is Status.COVERED, verdict


def test_a_coloured_cover_over_a_flat_grey_scene_is_covered() -> None:
    """The moon photo seen by a colour camera (learned in the IR mode only: 85 % flat blocks, few edges, contrast
    just over 8) under a purple cloth: the picture is colour, so "no day baseline yet" for the per-mode rules.
    The blind-picture rule names it `covered`: the scene had contrast and edges, the picture has none (before,
    only a baseline with < 70 % flat blocks counted as a scene, and the cover stayed `cannot_judge`)."""
    baseline = _learned(vh.scene("moon"))
    assert set(baseline.modes) == {"ir"} and baseline.modes["ir"].values["uniform_fraction"] >= 0.7
    cloth = np.empty((720, 1280, 3), np.uint8)
    cloth[:] = (40, 30, 55)  # BGR: dark purple
    stats, verdict, _ = analyze_jpeg(vh.camera_jpeg(cloth, 5, noise=1.5), baseline, None, 4)
    assert not stats.is_ir
    assert (verdict.status, verdict.mode) == (Status.COVERED, "day"), verdict


def test_a_dark_flat_scene_judged_ok_is_not_called_black() -> None:
    """A scene that is dark and flat by nature — the moon photo at a sixth of its light with three soft lamps in
    it (most blocks flat, no edge, three quarters of the cells under luma 20, as nuclear.png's IR night samples)
    — learned so: a new sample of it is `ok`. The blind-picture rule revisits only `cannot_judge` verdicts; it
    used to revisit `ok` ones too and called such a scene `black` at every sample (nuclear.png: 36 of 36)."""
    yy, xx = np.mgrid[0:720, 0:1280].astype(np.float32)
    lamps = sum(
        250.0 * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * 25.0**2))
        for x, y in ((250, 300), (700, 420), (1050, 260))
    )
    dark = np.clip(vh.scene("moon").astype(np.float32) * 0.16 + lamps[..., None], 0, 255).astype(np.uint8)
    baseline = _learned(dark)
    stats, verdict, signature = analyze_jpeg(vh.camera_jpeg(dark, 11), baseline, None, 4)
    assert stats.uniform_fraction >= 0.9 and stats.edge_density < 0.01, stats
    assert float(np.quantile(signature.cells[..., 0], 0.75)) < 20
    assert verdict.status is Status.OK, verdict


def test_a_red_scene_on_a_camera_learned_at_night_is_not_an_ir_cut_fault() -> None:
    """The retina photo (a red fundus: its magenta cast (R+B)/2 − G is high all over) on a camera that learned only
    its IR night picture: with no day baseline the IR-cut rule sees the frame alone, and read it as `ir_cut_stuck` —
    a fault, never learned, so the camera never got its day baseline. IR light raises blue as it raises red; a red
    scene's blue is under its green, so it is judged by the day-one rules until its day baseline is learned (`ok`;
    before them `cannot_judge`). A real IR-cut fault on such a camera (the cameraman seen through a stuck filter:
    magenta over grey) is still named."""
    red = vh.scene("retina")
    baseline = _learned(red, night=True)
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(red, 7), baseline, None, 4)
    assert (verdict.status, verdict.basis) == (Status.OK, "alone"), verdict
    grey = vh.scene("camera")
    night_only = _learned(grey, night=True)
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(vh.ir_cut_stuck(grey), 8), night_only, None, 4)
    assert verdict.status is Status.IR_CUT_STUCK, verdict
