"""Day one: a camera's first pictures judged with no baseline (``judge_alone`` via ``analyze_jpeg``).

Real photographs (scikit-image's bundled data) with synthesised faults, as the rest of the vision tests.
Before the day-one rules every one of these first pictures was ``cannot_judge``/``no_baseline``, and the
poller learned it as the camera's baseline: a lens covered before camfleet first looked read ``ok`` for ever.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import vision_helpers as vh

from camfleet.model import Reason, Status
from camfleet.vision import Baseline, PeerBook, analyze_jpeg, peer_group
from camfleet.vision.alone import SPRAY_MIST_BLOTCHES, SPRAY_VEIL

SCENES = ("astronaut", "chelsea", "coffee", "motorcycle")


def _first(image: vh.Image, seed: int = 1, **kw: object) -> tuple[Status, str, dict[str, float]]:
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(image, seed), None, None, 4, **kw)  # type: ignore[arg-type]
    assert verdict.basis == "alone", verdict
    return verdict.status, verdict.detail, verdict.scores


def sprayed_dome(image: vh.Image, seed: int, coverage: float = 0.3, milk: float = 0.35) -> vh.Image:
    """Paint on the dome as it really lands: blotches, and a thin film over the rest that scatters light (a
    milky veil, ``milk`` of the picture replaced by grey light) and diffuses it (a soft blur)."""
    painted = vh.spray(image, seed=seed, coverage=coverage, colour=(60, 60, 70))
    film = cv2.GaussianBlur(painted, (0, 0), 4.0).astype(np.float32)
    return np.clip(film * (1 - milk) + 200.0 * milk, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", SCENES)
def test_healthy_first_picture_is_ok_alone(name: str) -> None:
    """A sharp, lit first picture passes every no-baseline rule: ``ok``, basis ``alone`` (it was
    ``cannot_judge``/``no_baseline`` before: nothing could be said of a camera camfleet had never seen)."""
    status, detail, _ = _first(vh.scene(name))
    assert status is Status.OK, detail


@pytest.mark.parametrize("name", SCENES)
def test_covered_and_black_first_picture(name: str) -> None:
    """A lens covered before camfleet ever looked is ``covered`` from its first picture, a dead signal
    ``black`` (the cover was ``cannot_judge`` and then learned as the scene)."""
    image = vh.scene(name)
    assert _first(vh.covered(image))[0] is Status.COVERED
    assert _first(vh.black(image))[0] is Status.BLACK


@pytest.mark.parametrize("name", SCENES)
def test_defocused_first_picture(name: str) -> None:
    """A lens far out of focus (σ 6 px at 1280) is ``defocused`` on its first picture: its sharpest edges are
    far softer than any healthy picture's, with no peers to compare (the conservative prior)."""
    status, detail, scores = _first(vh.defocus(vh.scene(name), 6.0))
    assert status is Status.DEFOCUSED, (detail, scores)


@pytest.mark.parametrize("name", SCENES)
def test_spray_with_haze_is_spray_not_defocus(name: str) -> None:
    """Paint on the dome leaves blotches *and* a milky, soft film over the rest: that is ``spray``, not
    ``defocused`` — the film lifts the darkest parts of the picture (the veil), a lens out of focus does not."""
    status, detail, scores = _first(sprayed_dome(vh.scene(name), seed=3))
    assert status is Status.SPRAY, (detail, scores)


@pytest.mark.parametrize("name", ["chelsea", "immunohistochemistry"])
def test_a_soft_lens_in_fog_without_blotches_is_defocused(name: str) -> None:
    """A lens out of focus (σ 6 px at 1280) seen through a thick grey veil (fog, 30 % and 45 % of the light) and
    no blotch anywhere is ``defocused``: rule 9 named it ``spray`` ("a film of paint on the dome") from the veil
    alone, which sent vandalism to a soft lens. The haze a can leaves comes with its blotches (``coat_free`` ≥
    ``SPRAY_MIST_BLOTCHES``); these pictures have almost none."""
    for milk in (0.3, 0.45):
        soft = vh.defocus(vh.scene(name), 6.0).astype(np.float32)
        foggy = np.clip(soft * (1 - milk) + 200.0 * milk, 0, 255).astype(np.uint8)
        status, detail, scores = _first(foggy)
        assert scores["veil"] >= SPRAY_VEIL and scores["coat_free"] < SPRAY_MIST_BLOTCHES, (milk, scores)
        assert status is Status.DEFOCUSED, (milk, detail, scores)


def test_overexposed_and_too_dark_are_never_ok() -> None:
    """A picture clipped white is ``overexposed``; a picture too dark to see a scene in (a dead illuminator,
    IR light at a quarter) is not ``ok``: ``too_dark`` or ``cannot_judge`` with a reason for a person."""
    image = vh.scene("astronaut")
    assert _first(vh.glare(image))[0] is Status.OVEREXPOSED
    status, detail, _ = _first(vh.exposure(vh.ir_night(vh.scene("camera")), 0.25))
    assert status in (Status.TOO_DARK, Status.CANNOT_JUDGE), detail


def test_featureless_first_picture_is_never_ok() -> None:
    """A first picture with (almost) no texture — fog over a blank wall — cannot be told from a cover with no
    baseline: it is ``covered`` or ``cannot_judge``/``needs_review`` with a detail a person understands,
    never ``ok``."""
    rng = np.random.default_rng(5)
    wall = np.full((720, 1280, 3), 150, np.uint8)
    cv2.rectangle(wall, (600, 300), (680, 420), (120, 120, 120), -1)  # one dim door, soft in the fog
    wall = cv2.GaussianBlur(wall, (0, 0), 6.0) + rng.integers(0, 2, wall.shape).astype(np.uint8)
    status, detail, _ = _first(wall)
    assert status in (Status.COVERED, Status.CANNOT_JUDGE), detail
    if status is Status.CANNOT_JUDGE:
        _, verdict, _ = analyze_jpeg(vh.camera_jpeg(wall, 1), None, None, 4)
        assert verdict.reason is Reason.NEEDS_REVIEW and "person" in verdict.detail


def test_frozen_first_pictures() -> None:
    """With no baseline, a camera serving the same picture twice is still ``frozen`` (the previous sample is
    all the frozen test needs)."""
    data = vh.camera_jpeg(vh.scene("coffee"), 1)
    previous = analyze_jpeg(data, None, None, 4)[2]
    verdict = analyze_jpeg(data, None, previous, 4)[1]
    assert (verdict.status, verdict.basis) == (Status.FROZEN, "alone")


def test_peers_decide_softness() -> None:
    """Defocus is softness relative to the camera's peers (same model and width): a mildly soft picture
    among 8 sharp peers is ``defocused``; the same picture among 8 peers as soft as itself (a model whose
    optics are soft) is ``ok``. With no peers the prior (calibrated on healthy scenes) lets it pass."""
    soft = vh.camera_jpeg(vh.defocus(vh.scene("chelsea"), 3.0), 2)
    sharp_book, soft_book = PeerBook(), PeerBook()
    group = peer_group("M", 320)
    for k, name in enumerate(("astronaut", "coffee", "motorcycle", "rocket") * 2):
        image = vh.scene(name)
        sharp_book.add(group, f"S{k}", analyze_jpeg(vh.camera_jpeg(image, k), None, None, 4)[0])
        blurred = vh.camera_jpeg(vh.defocus(image, 3.0), k)
        soft_book.add(group, f"S{k}", analyze_jpeg(blurred, None, None, 4)[0])
    among_sharp = analyze_jpeg(soft, None, None, 4, peers=sharp_book.view(group, "X"))[1]
    among_soft = analyze_jpeg(soft, None, None, 4, peers=soft_book.view(group, "X"))[1]
    assert among_sharp.status is Status.DEFOCUSED, among_sharp.scores
    assert among_soft.status is Status.OK, among_soft.scores


def test_a_ready_baseline_still_judges() -> None:
    """With a ready baseline for the frame's mode the baseline rules judge (basis ``baseline``); the day-one
    rules only fill in where that mode has none."""
    image = vh.scene("coffee")
    baseline = Baseline(samples=2)
    for seed in (1, 2):
        stats, _, signature = analyze_jpeg(vh.camera_jpeg(image, seed), None, None, 4)
        baseline.learn(stats, signature)
    verdict = analyze_jpeg(vh.camera_jpeg(image, 3), baseline, None, 4)[1]
    assert (verdict.status, verdict.basis) == (Status.OK, "baseline")
    night = analyze_jpeg(vh.camera_jpeg(vh.ir_night(image), 4), baseline, None, 4)[1]
    assert night.basis == "alone" and night.status is Status.OK, night


@pytest.mark.parametrize("name", SCENES)
def test_paint_blotches_first_picture(name: str) -> None:
    """Opaque paint blotches over a third of a textured scene, in any colour, are ``spray`` on the first
    picture: flat blocks in a scene (``coat_edge``), scattered rather than repeating (``coat_repeat``)."""
    for seed, colour in enumerate(((40, 40, 200), (120, 120, 120), (225, 230, 235))):
        status, detail, scores = _first(vh.spray(vh.scene(name), seed=seed, coverage=0.35, colour=colour), seed)
        assert status is Status.SPRAY, (colour, detail, scores)


def test_a_brick_wall_is_no_paint() -> None:
    """A brick wall's flat faces beside their mortar look like paint blotches block by block (``coat_edge``
    0.27, over three times the spray threshold), but they repeat: its first pictures, day and IR night, are
    ``ok`` (the first day-one version read every one as ``spray``). Paint over the wall is still ``spray``."""
    wall = vh.scene("brick")
    for seed in range(3):
        status, _, scores = _first(wall, seed)
        assert status is Status.OK and scores["coat_edge"] > 0.2, scores
        status, _, scores = _first(vh.ir_night(wall), seed)
        assert status is Status.OK, scores
    status, _, scores = _first(vh.spray(wall, seed=1, coverage=0.35, colour=(40, 40, 200)), 1)
    assert status is Status.SPRAY, scores


def test_washed_out_first_picture_is_overexposed() -> None:
    """A bloom that lifts the whole picture towards white (mean luma ≥ 205) with well under half of it
    clipped is ``overexposed`` with no baseline (rule 2 alone needs 50 % clipped, or a baseline to rise over)."""
    image = vh.scene("coffee").astype(np.float32)
    washed = np.clip(image * 0.4 + 175.0, 0, 255).astype(np.uint8)
    status, _, scores = _first(washed)
    assert status is Status.OVEREXPOSED and scores["saturated_fraction"] < 0.5, scores


def night_globe(seed: int) -> vh.Image:
    """A night scene with a lit subject: black all round (mean luma ~13), a dim textured disc, its bright rim
    and a few city lights (fresh4's `earth` is such a scene)."""
    frame = np.full((720, 1280, 3), 2, np.uint8)
    yy, xx = np.mgrid[0:720, 0:1280]
    r = np.hypot(xx - 640, yy - 360)
    disc = r < 300
    texture = cv2.cvtColor(vh.scene("coffee"), cv2.COLOR_BGR2GRAY).astype(np.float32) * 0.25
    frame[disc] = texture[disc].astype(np.uint8)[:, None]
    frame[(r >= 285) & (r < 300)] = (170, 150, 140)
    rng = np.random.default_rng(seed)
    for _ in range(25):
        a, d = rng.uniform(0, 2 * np.pi), rng.uniform(0, 260)
        centre = (int(640 + d * np.cos(a)), int(360 + d * np.sin(a)))
        cv2.circle(frame, centre, int(rng.integers(3, 8)), (120, 200, 230), -1)
    return frame


def test_a_dark_scene_with_a_lit_subject_is_not_too_dark() -> None:
    """A night scene darker than mean luma 25 whose brightest percent is well exposed (a lit subject) is a
    scene, not a dead illuminator: ``ok`` on its first picture (it was ``too_dark``: fresh4's night globe
    read so on every healthy sample). A dead illuminator, dim all over, is still not ``ok``."""
    for seed in range(3):
        status, detail, scores = _first(night_globe(seed), seed)
        assert status is Status.OK and scores["brightness"] < 25, (detail, scores)
    dead = vh.exposure(vh.ir_night(vh.scene("camera")), 0.25)
    for seed in range(3):
        status, detail, scores = _first(dead, seed)
        assert status is Status.TOO_DARK, (detail, scores)


def soft_at_every_scale(seed: int, hurst: float = 0.6) -> vh.Image:
    """A scene soft at every scale, as fog or brushwork is (fresh5's painted foggy coast): a fractional Brownian
    surface (amplitude ∝ f^-(H+1)): halving it scales its gradients alike at every octave."""
    rng = np.random.default_rng(seed)
    f = np.hypot(np.fft.rfftfreq(1280)[None, :], np.fft.fftfreq(720)[:, None])
    f[0, 0] = 1.0
    amp = f ** -(hurst + 1.0)
    amp[0, 0] = 0.0
    fields = [np.fft.irfft2(amp * np.exp(2j * np.pi * rng.random(f.shape)), s=(720, 1280)) for _ in range(3)]
    base = (fields[0] - fields[0].mean()) / fields[0].std()
    rgb = np.stack([120 + 35 * base + 8 * (c - c.mean()) / c.std() for c in fields], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def test_a_scene_soft_at_every_scale_is_not_defocused() -> None:
    """Among sharp peers, a scene soft at every scale (edges as soft at half scale as at the analysis scale:
    ``fine_over_coarse`` ≥ 0.93) is ``ok``: a lens blur has one width and softens the finest scale most. It was
    ``defocused`` (far softer than its peers), as fresh5's foggy painted coast was on 76 of 137 healthy samples
    and ``spray`` on 34 (soft and veiled by its own fog). The same scene out of focus (σ 5 px) is ``defocused``."""
    book, group = PeerBook(), peer_group("M", 320)
    for k, name in enumerate(("astronaut", "coffee", "motorcycle", "rocket", "chelsea") * 2):
        book.add(group, f"S{k}", analyze_jpeg(vh.camera_jpeg(vh.scene(name), k), None, None, 4)[0])
    peers = book.view(group, "X")
    for seed in range(2):
        scene = soft_at_every_scale(seed)
        status, detail, scores = _first(scene, seed, peers=peers)
        assert status is Status.OK and scores["edge_sharp"] < 0.75, (detail, scores)
        status, detail, scores = _first(vh.defocus(scene, 5.0), seed, peers=peers)
        assert status is Status.DEFOCUSED, (detail, scores)


def test_a_lens_blur_under_an_osd_is_still_defocused() -> None:
    """An OSD is drawn after the lens: sharp over a blurred picture, it lifted ``edge_sharp`` and with it
    ``fine_over_coarse`` into the soft-scene band (0.94 with the whole picture's edges). Its tiles are now left
    out of ``edge_sharp`` (0.81 here), and the picture keeps no fine texture (``crisp`` 0.03, a soft scene ≥ 0.2)
    either way: it is ``defocused`` among sharp peers, not excused as a scene soft at every scale."""
    from camfleet.simulator.frame import _disc_blur

    def stamped(image: vh.Image) -> vh.Image:
        cv2.putText(image, "2026-12-06 12:00:00", (24, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (240, 240, 240), 2)
        return image

    book, group = PeerBook(), peer_group("M", 320)
    for k, name in enumerate(("astronaut", "coffee", "motorcycle", "rocket", "chelsea") * 2):
        book.add(group, f"S{k}", analyze_jpeg(vh.camera_jpeg(stamped(vh.scene(name)), k), None, None, 4)[0])
    status, detail, scores = _first(stamped(_disc_blur(vh.scene("astronaut"), 12)), 3, peers=book.view(group, "X"))
    assert status is Status.DEFOCUSED and scores["crisp"] < 0.15, (detail, scores)


def test_a_lifted_clipping_first_picture_is_overexposed() -> None:
    """A picture both lifted (mean luma ≥ 175) and clipping (≥ 3 % white) is ``overexposed`` with no baseline,
    though under rule 3's 12 % clipped and mean 205 (it was ``ok``: a gain ×3 over a sky, a bloom on an IR
    scene). Healthy pictures that bright clip ≤ 0.3 %; a bright scene with nothing clipped stays ``ok``."""
    image = vh.scene("coffee").astype(np.float32)
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = 160.0 * np.exp(-(((xx - 0.5 * w) / w) ** 2 + ((yy - 0.4 * h) / h) ** 2) / 0.01)
    lifted = np.clip(image * 0.55 + 118.0 + spot[..., None], 0, 255).astype(np.uint8)
    status, _, scores = _first(lifted)
    assert status is Status.OVEREXPOSED, scores
    assert 175 <= scores["brightness"] < 205 and 0.03 <= scores["saturated_fraction"] < 0.12, scores
    bright = np.clip(image * 0.4 + 140.0, 0, 249).astype(np.uint8)
    status, _, scores = _first(bright)
    assert status is Status.OK and scores["brightness"] >= 175, scores


def test_a_pale_scene_that_clips_nothing_is_not_overexposed() -> None:
    """A pale, high-key view (mean luma ≥ 205) with nothing clipped is ``ok`` with no baseline: an overexposed
    sensor clips, and rule 3's brightness clause now asks for ≥ 0.5 % clipped (fresh11's weathered deck, mean
    205–210 and ≤ 0.02 % clipped, was ``overexposed`` on 75 of its 154 healthy samples). The same lift over a scene
    with white in it, clipping 0.7 %, is still ``overexposed``."""
    lift = 175.0
    pale = np.clip(vh.scene("chelsea").astype(np.float32) * 0.3 + lift, 0, 255).astype(np.uint8)
    status, _, scores = _first(pale)
    assert scores["brightness"] >= 205 and scores["saturated_fraction"] < 0.005, scores
    assert status is Status.OK, (status, scores)
    clipping = np.clip(vh.scene("astronaut").astype(np.float32) * 0.3 + lift, 0, 255).astype(np.uint8)
    status, _, scores = _first(clipping)
    assert scores["brightness"] >= 205 and 0.005 <= scores["saturated_fraction"] < 0.03, scores
    assert status is Status.OVEREXPOSED, (status, scores)


def test_a_backlit_view_with_a_blown_sky_is_not_overexposed() -> None:
    """A view whose sky is blown white (16 % of the picture clipped, all of it one flat region from the top edge)
    and whose scene is exposed as before is not ``overexposed`` with no baseline: rule 3's 12 % clause counts only
    the clipped pixels outside such a sky (fresh8's window view, 13 % clipped, was ``overexposed`` on most of its
    samples). Too much gain over the same view clips across the scene and still is."""
    image = vh.scene("chelsea").copy()
    sky = int(0.16 * image.shape[0])
    image[:sky] = 255
    status, _, scores = _first(image)
    assert scores["saturated_fraction"] >= 0.15, scores
    assert status is Status.OK, (status, scores)
    gained = np.clip(image.astype(np.float32) * 2.2, 0, 255).astype(np.uint8)
    status, _, scores = _first(gained)
    assert status is Status.OVEREXPOSED and scores["saturated_fraction"] < 0.5, (status, scores)


def test_a_deep_blue_sky_is_no_cover() -> None:
    """A clear deep blue sky over the top third of a sunlit view — flat, from the top side, and darker than the
    scene below it (luma ~90 against ~150) — is not ``covered`` on day one: rule 10b leaves out a flat region from
    the top that is blue (fresh9's palace was `covered` on 124 of its 154 healthy samples). A green leaf over the
    same part of the same view still is."""
    scene = np.clip(vh.scene("coffee").astype(np.float32) * 0.6 + 90.0, 0, 255)
    h, w = scene.shape[:2]
    top = int(0.35 * h)
    rng = np.random.default_rng(3)
    sky = scene.copy()
    sky[:top] = np.array([164.0, 102.0, 31.0]) + rng.normal(0, 1.0, (top, w, 1))
    status, detail, scores = _first(np.clip(sky, 0, 255).astype(np.uint8))
    assert scores["rest_luma"] - scores["cover_luma"] >= 45 and scores["cover_area"] >= 0.2, scores
    assert status is Status.OK, (status, detail, scores)
    leaf = scene.copy()
    leaf[:top] = np.array([35.0, 85.0, 45.0]) * 1.3 + rng.normal(0, 1.0, (top, w, 1))
    status, detail, scores = _first(np.clip(leaf, 0, 255).astype(np.uint8))
    assert status is Status.COVERED, (status, detail, scores)
