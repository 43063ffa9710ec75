"""The second fault generator (tests/vision_fault_alt.py) makes what each of its kinds says it makes.

Each test measures the generator's output directly, with tools that know nothing of camfleet's rules (high-pass
energy, feature matching, colour means), so that a figure of benchmarks/vision_eval.py ``--generator alt``
means what its label says: a disc blur really is a blur, a 3° roll really is a 3° turn, paint mist really
lowers the contrast of the picture around its blotches.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest
import vision_fault_alt as va
import vision_scene_helpers as vs

from camfleet.vision.features import IR_COLOURFULNESS

Float = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def scene() -> vs.Scene:
    """A sharp, textured colour photograph (scikit-image's astronaut) as a 1280×720 camera view."""
    return vs.load_scene("astronaut")


@pytest.fixture(scope="module")
def view(scene: vs.Scene) -> vs.Image:
    """The scene's healthy view, unmoved."""
    return va.look(scene, 0)


def _gray(image: npt.NDArray[np.generic]) -> Float:
    picture = np.clip(np.asarray(image, np.float32), 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY), np.float64)


def _high(image: npt.NDArray[np.generic]) -> float:
    """High-frequency energy: the mean squared Laplacian of the luma."""
    return float(np.mean(cv2.Laplacian(_gray(image), cv2.CV_64F) ** 2))


def _decode(data: bytes) -> vs.Image:
    return np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), np.uint8)


def _similarity(a: vs.Image, b: vs.Image) -> tuple[float, float]:
    """(angle in degrees, scale) of the similarity mapping picture ``a`` onto ``b``, fitted by RANSAC to ORB
    feature matches (OpenCV's own tools: no part of camfleet)."""
    orb = cv2.ORB_create(3000)
    ka, da = orb.detectAndCompute(np.asarray(_gray(a), np.uint8), None)
    kb, db = orb.detectAndCompute(np.asarray(_gray(b), np.uint8), None)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    src = np.float32([ka[m.queryIdx].pt for m in matches])
    dst = np.float32([kb[m.trainIdx].pt for m in matches])
    matrix, _ = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0)
    assert matrix is not None
    return float(np.degrees(np.arctan2(matrix[1, 0], matrix[0, 0]))), float(np.hypot(matrix[0, 0], matrix[1, 0]))


def test_disc_psf_is_a_flat_disc_and_removes_fine_detail(view: vs.Image) -> None:
    """The pillbox PSF sums to 1 and is flat inside its radius (a defocused aperture, not a Gaussian bell); through
    it the picture keeps under 40 % of its high-frequency energy at radius 3 and under 10 % at radius 12, while
    its mean stays (a blur moves no light)."""
    psf = va.disc_psf(6)
    assert abs(float(psf.sum()) - 1.0) < 1e-5
    centre = psf.shape[0] // 2
    inner = psf[centre - 3 : centre + 4, centre - 3 : centre + 4]
    assert float(inner.max() - inner.min()) < 1e-6  # flat top
    assert psf[centre, 0] == 0.0  # nothing outside the disc
    base = _high(view)
    assert _high(va.convolve(view, va.disc_psf(3))) < 0.4 * base
    assert _high(va.convolve(view, va.disc_psf(12))) < 0.1 * base
    assert abs(float(va.convolve(view, va.disc_psf(12)).mean()) - float(view.mean())) < 1.0


def test_motion_blur_smears_along_its_direction_only(view: vs.Image) -> None:
    """A horizontal line PSF of 30 px takes the picture's horizontal gradient energy down far more than its
    vertical one (a disc or a Gaussian takes both alike)."""
    smeared = _gray(va.convolve(view, va.line_psf(30, 0)))
    sharp = _gray(view)

    def energy(image: Float, dx: int, dy: int) -> float:
        return float(np.mean(cv2.Sobel(image, cv2.CV_64F, dx, dy) ** 2))

    along = energy(smeared, 1, 0) / energy(sharp, 1, 0)
    across = energy(smeared, 0, 1) / energy(sharp, 0, 1)
    assert along < 0.25, along
    assert across > 2.0 * along, (along, across)


@pytest.mark.parametrize("make", [va.droplets, va.dirt], ids=["droplets", "dirt"])
def test_water_and_dirt_on_the_dome_soften_every_part_of_the_picture(view: vs.Image, make: object) -> None:
    """Droplets and a dirt film blur the whole picture, not a patch: in ≥ 90 % of the 16×9 cells that had texture
    the high-frequency energy falls under 60 %."""
    rng = np.random.default_rng(3)
    out = make(view, rng)  # type: ignore[operator]
    before, after = (cv2.Laplacian(_gray(x), cv2.CV_64F) ** 2 for x in (view, out))
    cell = (45, 80)
    lost = []
    for top in range(0, 720, cell[0]):
        for left in range(0, 1280, cell[1]):
            b = float(before[top : top + cell[0], left : left + cell[1]].mean())
            if b > 50:
                lost.append(float(after[top : top + cell[0], left : left + cell[1]].mean()) / b < 0.6)
    assert len(lost) > 30
    assert np.mean(lost) >= 0.9, np.mean(lost)


@pytest.mark.parametrize("roll", [3.0, 5.0])
def test_a_roll_is_recovered_by_a_rotation_fit(scene: vs.Scene, view: vs.Image, roll: float) -> None:
    """The rolled view is the scene turned by the roll about the picture's centre: a similarity fit to ORB matches
    finds the angle within 0.2° and no zoom (small turns included: 3°)."""
    angle, scale = _similarity(view, va.look(scene, 0, va.camera_move(scene.size, roll=roll)))
    assert abs(abs(angle) - roll) < 0.2, angle
    assert abs(scale - 1.0) < 0.01, scale


@pytest.mark.parametrize("zoom", [1.15, 1 / 1.25])
def test_a_zoom_is_recovered_by_a_similarity_fit(scene: vs.Scene, view: vs.Image, zoom: float) -> None:
    """The zoomed view is the scene scaled about the centre by the zoom factor, without a turn."""
    angle, scale = _similarity(view, va.look(scene, 0, va.camera_move(scene.size, zoom=zoom)))
    assert abs(scale - zoom) < 0.01, scale
    assert abs(angle) < 0.2, angle


def test_a_small_shift_is_recovered_by_phase_correlation(scene: vs.Scene, view: vs.Image) -> None:
    """A 3 % shift (38 px of 1280) moves the whole picture by that much: phase correlation finds it within 1 px."""
    move = np.array([[1.0, 0.0, 0.03 * 1280], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    moved = va.look(scene, 0, move)
    (dx, dy), _ = cv2.phaseCorrelate(_gray(view), _gray(moved))
    assert abs(dx - 38.4) < 1.0 and abs(dy) < 1.0, (dx, dy)


def test_a_tilt_is_a_perspective_warp_not_an_affine_one(scene: vs.Scene) -> None:
    """Tilting the camera by 4° keystones the picture: the homography has perspective terms, a straight affine
    fit to it misses the picture's corners by more than 3 px, and the view moves vertically by about
    f·tan(4°) (f from the 60° field of view: ~77 px)."""
    h = va.camera_move(scene.size, tilt=4.0)
    assert abs(h[2, 1]) > 1e-5
    grid = np.float64([[x, y, 1.0] for x in (0, 640, 1280) for y in (0, 360, 720)])
    mapped = (h @ grid.T).T
    mapped = mapped[:, :2] / mapped[:, 2:]
    affine, *_ = np.linalg.lstsq(grid, mapped, rcond=None)
    assert float(np.abs(grid @ affine - mapped).max()) > 3.0
    centre = h @ np.array([640.0, 360.0, 1.0])
    f = 640 / np.tan(np.radians(va.HFOV / 2))
    assert abs(abs(centre[1] / centre[2] - 360) - f * np.tan(np.radians(4))) < 2.0


def test_paint_mist_lowers_contrast_outside_its_blotches_and_casts_the_paint_colour(view: vs.Image) -> None:
    """Red paint mist over the dome: away from the blotches (opacity < 2 %) the picture keeps under 75 % of its
    contrast (luma std) and under 60 % of its fine detail, and turns redder (mean R − G relative to luma up by
    ≥ 0.1); the blotches themselves cover about the share asked for."""
    red = va.PAINT[1]
    out, opacity = va.mist(view, np.random.default_rng(11), 0.35, 0.12, red)
    assert 0.1 <= float((opacity > 0.5).mean()) <= 0.3
    clear = opacity < 0.02
    assert clear.mean() > 0.5
    before, after = _gray(view)[clear], _gray(out)[clear]
    assert float(after.std()) < 0.75 * float(before.std())
    fine = (cv2.Laplacian(_gray(x), cv2.CV_64F) ** 2 for x in (view, out))
    sharp, soft = (float(f[clear].mean()) for f in fine)
    assert soft < 0.6 * sharp, soft / sharp

    def redness(image: npt.NDArray[np.generic]) -> float:
        pixels = np.asarray(image, np.float64)[clear]
        return float((pixels[:, 2] - pixels[:, 1]).mean() / max(float(pixels.mean()), 1.0))

    assert redness(out) >= redness(view) + 0.1, (redness(view), redness(out))


def test_a_spray_burst_has_an_opaque_core_and_a_fringe_of_droplets() -> None:
    """One burst asked for 25 %: an opaque core of 15–40 % of the picture, and droplets apart from it (many small
    connected patches beside the largest one)."""
    opacity = va.spray_burst((720, 1280), np.random.default_rng(5), 0.25)
    solid = (opacity > 0.9).astype(np.uint8)
    assert 0.15 <= float(solid.mean()) <= 0.4
    count, *_ = cv2.connectedComponentsWithStats((opacity > 0.3).astype(np.uint8))
    assert count - 2 >= 30, count  # beside the background and the core


@pytest.mark.parametrize("material", va.LEVELS["covered"])
def test_every_cover_hides_the_scene_s_detail(view: vs.Image, material: str) -> None:
    """Whatever the material, ≥ 60 % of the picture changed by more than 20 levels, and there the scene's fine
    detail (Laplacian) does not correlate with the healthy picture's (|r| < 0.15; < 0.25 for the hand, whose
    out-of-focus edge lets the scene through attenuated); the hand leaves part of the scene
    unchanged (it is over the lens partly), the translucent film and bag a blurred ghost of it."""
    rng = np.random.default_rng(7)
    out = va.cover(view, material, rng)
    lap_before = cv2.Laplacian(_gray(view), cv2.CV_64F)
    lap_after = cv2.Laplacian(_gray(out), cv2.CV_64F)
    change = np.abs(_gray(out) - _gray(view))
    kept, hidden = change < 2.0, change > 20.0
    assert hidden.mean() >= 0.6, hidden.mean()
    r = float(np.corrcoef(lap_before[hidden], lap_after[hidden])[0, 1])
    assert abs(r) < (0.25 if material == "hand, partly" else 0.15), r
    if material == "hand, partly":
        assert kept.mean() >= 0.1, kept.mean()
    if material in ("frosted film", "plastic bag, folds"):
        ghost = float(np.corrcoef(cv2.GaussianBlur(_gray(view), (0, 0), 40).ravel(), _gray(out).ravel())[0, 1])
        assert ghost > 0.3, ghost


def test_black_frozen_overexposed_too_dark_and_ir_cut_samples_are_what_they_say(scene: vs.Scene) -> None:
    """Through the whole pipeline (noise, JPEG): every black level decodes to mean luma < 20; the frozen levels
    repeat the previous picture (the same bytes, or re-encoded: luma within 2 levels on average; the upscaled
    substream with less fine detail); overexposed levels clip ≥ 25 % of the picture; too_dark levels keep ≤ 40 % of
    the light; the IR-cut levels raise the magenta cast (R + B)/2 − G relative to luma, more with more NIR, and
    stay a colour picture."""
    rng = np.random.default_rng(2)
    for level in range(va.levels_alt("black")):
        sample = va.fault_sample_alt(scene, "black", level, rng)
        assert _gray(_decode(sample.frame)).mean() < 20
    for level, label in enumerate(va.LEVELS["frozen"]):
        sample = va.fault_sample_alt(scene, "frozen", level, rng)
        now, before = _decode(sample.frame), _decode(sample.previous)
        if label == "same bytes":
            assert sample.frame == sample.previous
        elif label == "substream upscaled":
            assert _high(now) < 0.8 * _high(before)
        else:
            assert sample.frame != sample.previous
            assert float(np.abs(_gray(now) - _gray(before)).mean()) < 2.0, label
    for level in range(va.levels_alt("overexposed")):
        sample = va.fault_sample_alt(scene, "overexposed", level, rng)
        assert float((_gray(_decode(sample.frame)) >= 250).mean()) >= 0.25, va.LEVELS["overexposed"][level]
    healthy = _gray(va.look(scene, 0)).mean()
    for level in range(va.levels_alt("too_dark")):
        sample = va.fault_sample_alt(scene, "too_dark", level, rng)
        assert _gray(_decode(sample.frame)).mean() <= 0.4 * healthy, va.LEVELS["too_dark"][level]

    def cast(image: vs.Image) -> float:
        b, g, r = (image[..., i].astype(np.float64) for i in range(3))
        return float(((r + b) / 2 - g).mean() / max(_gray(image).mean(), 1.0))

    view = va.look(scene, 0)
    casts = [cast(va._ir_cut(view, float(label.split()[1]))) for label in va.LEVELS["ir_cut_stuck"]]
    assert casts[0] > cast(view) + 0.05
    assert casts == sorted(casts)
    small = cv2.resize(va._ir_cut(view, 0.35), (320, 180), interpolation=cv2.INTER_AREA).astype(np.float64)
    rg = small[..., 2] - small[..., 1]
    yb = 0.5 * (small[..., 2] + small[..., 1]) - small[..., 0]
    assert float(np.hypot(rg.std(), yb.std())) > IR_COLOURFULNESS


def test_every_level_makes_a_camera_jpeg_of_the_scene_and_its_predecessor() -> None:
    """Every kind at every level yields a decodable JPEG of the scene's size and a predecessor on a colour camera,
    and every kind's first level on an IR-only one (a grey picture); the same seed gives the same bytes."""
    for name in ("chelsea", "camera"):
        scene = vs.load_scene(name)
        for kind in va.KINDS:
            for level in range(va.levels_alt(kind) if scene.colour else 1):
                one = va.fault_sample_alt(scene, kind, level, np.random.default_rng(level))
                if level == 0:
                    assert one == va.fault_sample_alt(scene, kind, level, np.random.default_rng(level))
                frame, previous = _decode(one.frame), _decode(one.previous)
                assert frame.shape[:2] == previous.shape[:2] == (720, 1280)
                assert one.truth == kind and one.strength == va.LEVELS[kind][level]
                if not scene.colour and kind not in ("ir_cut_stuck", "black"):
                    spread = frame.astype(np.int16).max(axis=2) - frame.astype(np.int16).min(axis=2)
                    assert float(np.median(spread)) <= 6, (kind, level)
