"""Local evidence: paint is found where texture is lost, haze is not paint, blur shows per cell, zoom is a move.

Real photographs (scikit-image) through real JPEG encoding; each check compares the measure on a fault
with the same measure on healthy variation of the same scene.
"""

from __future__ import annotations

import base64
import json

import cv2
import numpy as np
import pytest
import vision_eval_helpers as ve
import vision_helpers as vh
import vision_scene_helpers as vs

from camfleet.model import Status
from camfleet.vision import Baseline, analyze_jpeg
from camfleet.vision.baseline import DETAIL, UNKNOWN
from camfleet.vision.compare import detail_ratio
from camfleet.vision.paint import paint_map
from camfleet.vision.verdict import DEFOCUS_DETAIL, SPRAY_PAINTED


def _signature(image: vh.Image, seed: int = 1):  # type: ignore[no-untyped-def]
    return analyze_jpeg(vh.camera_jpeg(image, seed), None, None, 4)[2]


@pytest.mark.parametrize("name", ["motorcycle", "coffee"])
def test_paint_is_local_haze_is_not(name: str) -> None:
    """30 % paint marks well over SPRAY_PAINTED of the thumbnail as painted; heavy haze (45 % airlight),
    which lowers every window's contrast alike, marks almost none."""
    image = vh.scene(name)
    reference = _signature(image, 1).thumb.astype(np.float32)
    painted = paint_map(reference, _signature(vh.spray(image, seed=3, coverage=0.3), 2).thumb.astype(np.float32))
    hazy = paint_map(reference, _signature(ve.haze(image, 0.45, 200), 3).thumb.astype(np.float32))
    assert painted.fraction >= 2 * SPRAY_PAINTED[0], painted.fraction
    assert hazy.fraction < SPRAY_PAINTED[0] / 3, hazy.fraction
    assert hazy.contrast < 0.8  # the haze was seen, as a loss of contrast everywhere


def test_scattered_texture_loss_is_not_paint() -> None:
    """Single windows that turned flat here and there (a softer video frame) are no paint; one blotch of
    the same total area is."""
    rng = np.random.default_rng(5)
    reference = rng.uniform(0, 255, (54, 96)).astype(np.float32)  # texture everywhere
    scattered, blotch = reference.copy(), reference.copy()
    for y, x in zip(range(4, 50, 9), range(4, 92, 15), strict=False):
        scattered[y : y + 3, x : x + 3] = 128.0  # 3×3 flat patches, far apart
    blotch[20:29, 40:46] = 128.0  # the same 54 pixels in one place
    assert paint_map(reference, scattered).fraction == 0.0
    assert paint_map(reference, blotch).fraction > 0.0


def test_haze_and_snowy_scene_stay_ok() -> None:
    """A washed-out, low-contrast scene (snow, overcast) under more haze is judged ok, not spray."""
    scene = vs.load_scene("chelsea")
    washed = np.clip(vh.scene("chelsea").astype(np.float32) * 0.4 + 140, 0, 255).astype(np.uint8)
    baseline = vh.learn_baseline([vh.camera_jpeg(washed, seed) for seed in range(5)])
    for seed, amount in enumerate((0.2, 0.35, 0.5)):
        frame = vh.camera_jpeg(ve.haze(washed, amount, 210), 10 + seed)
        verdict = analyze_jpeg(frame, baseline.to_dict(), None, 4)[1]
        assert verdict.status is Status.OK, (scene.name, amount, verdict.scores)


def test_blur_shows_in_every_cell_a_passer_by_in_few() -> None:
    """The per-cell detail ratio falls under DEFOCUS_DETAIL for a 2-px defocus (at 1280 px) but stays near 1
    for a passer-by over 12 % of the picture and for a JPEG at quality 30."""
    image = vh.scene("astronaut")
    reference = _signature(image, 1).cells
    blurred = detail_ratio(reference, _signature(vh.defocus(image, 2.0), 2).cells)
    passer = detail_ratio(reference, _signature(vh.passer_by(image, seed=4, area=0.12), 3).cells)
    coarse_jpeg = detail_ratio(reference, analyze_jpeg(vh.camera_jpeg(image, 4, quality=30), None, None, 4)[2].cells)
    assert blurred is not None and passer is not None and coarse_jpeg is not None
    assert blurred < DEFOCUS_DETAIL, blurred
    assert passer > 0.85 and coarse_jpeg > 0.8, (passer, coarse_jpeg)


def test_zoomed_view_is_displaced() -> None:
    """A view zoomed ×1.4 (the rigid fit cannot explain it) is named displaced."""
    scene = vs.load_scene("astronaut")
    frames = [vh.camera_jpeg(vs.render(scene, 0), seed) for seed in range(5)]
    baseline = vh.learn_baseline(frames)
    zoomed = vh.camera_jpeg(vs.render(scene, 0, 0.0, 0.0, 0.0, 1.4), 9)
    verdict = analyze_jpeg(zoomed, baseline.to_dict(), None, 4)[1]
    assert verdict.status is Status.DISPLACED, verdict.scores


def _older(baseline: Baseline, version: int) -> dict[str, object]:
    """``baseline`` as an earlier format stored it: the thumbnail PNG without the texture floor and wander
    below it, five features per cell (no crispness floor), or (version 2) only four."""
    data = baseline.to_dict()
    data["version"] = version
    for mode in data["modes"].values():
        png = cv2.imdecode(np.frombuffer(base64.b64decode(mode["thumb_png"]), np.uint8), cv2.IMREAD_UNCHANGED)
        mode["thumb_png"] = base64.b64encode(cv2.imencode(".png", png[: png.shape[0] // 3])[1].tobytes()).decode()
        mode["cells"] = np.asarray(mode["cells"]).reshape(-1, 6)[:, : 4 if version == 2 else 5].ravel().tolist()
    return data


def test_version_2_baseline_is_read_and_upgraded() -> None:
    """A stored version-2 baseline (four features per cell, no texture floor) still loads and judges; its
    missing per-cell detail and texture floor are taken from the next healthy frame, and it is written back
    as version 4, valid JSON."""
    image = vh.scene("coffee")
    baseline = vh.learn_baseline([vh.camera_jpeg(image, seed) for seed in range(5)])
    old = _older(baseline, 2)
    restored = Baseline.from_dict(json.loads(json.dumps(old)))
    assert np.all(restored.modes["day"].cells[..., DETAIL] == UNKNOWN)
    assert np.all(restored.modes["day"].texture == UNKNOWN) and np.all(restored.modes["day"].crisp == UNKNOWN)
    assert np.allclose(restored.modes["day"].thumb, baseline.modes["day"].thumb, atol=1 / 256)
    stats, verdict, signature = analyze_jpeg(vh.camera_jpeg(image, 7), old, None, 4)
    assert verdict.status is Status.OK and "detail_ratio" not in verdict.scores
    assert restored.learn(stats, signature, verdict.status)
    assert np.all(restored.modes["day"].cells[..., DETAIL] >= 0)
    assert np.all(restored.modes["day"].texture >= 0) and np.all(restored.modes["day"].crisp >= 0)
    again = json.loads(json.dumps(restored.to_dict(), allow_nan=False))
    assert again["version"] == 4 and Baseline.from_dict(again).modes["day"].count == 6


def test_version_3_baseline_is_read_and_learns_its_texture_floor() -> None:
    """A stored version-3 baseline (no texture floor, wander or crispness floor) judges a healthy frame ok and
    a painted one spray, and takes the missing parts from the next healthy frame."""
    image = vh.scene("motorcycle")
    baseline = vh.learn_baseline([vh.camera_jpeg(image, seed) for seed in range(5)])
    old = _older(baseline, 3)
    restored = Baseline.from_dict(json.loads(json.dumps(old)))
    assert np.all(restored.modes["day"].wander == UNKNOWN)
    healthy = vh.camera_jpeg(image, 7)
    stats, verdict, signature = analyze_jpeg(healthy, old, None, 4)
    assert verdict.status is Status.OK, verdict.scores
    painted = vh.camera_jpeg(vh.spray(image, seed=3, coverage=0.3), 8)
    assert analyze_jpeg(painted, old, None, 4)[1].status is Status.SPRAY
    restored.learn(stats, signature, verdict.status)
    day = restored.modes["day"]
    assert np.allclose(day.texture, baseline.modes["day"].texture, atol=2.0)
    assert np.all(day.wander >= 0)
    assert np.median(np.abs(day.crisp / np.maximum(baseline.modes["day"].crisp, 1e-6) - 1.0)) < 0.1
