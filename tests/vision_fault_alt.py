"""A second fault generator, written apart from vision_fault_helpers.py and never used to tune the rules.

The evaluation's tampering used to come from one generator per kind, and the rules were tuned on it: a rule
can learn the generator (its Gaussian blur, its blotch shape, its shift-only moves) rather than the fault.
This one draws every kind again from the physics of the fault, with other models:

- **black**: a dead sensor (dark current, column pattern, hot pixels), limited-range black under the
  encoder's OSD, a "NO SIGNAL" card;
- **covered**: masking tape in strips (translucent, layered), a leaf against the dome (backlit, veined), a
  plastic bag with folds, a hand partly over the lens, frosted film, a black cloth with a light leak along
  one edge — all out of focus, as anything on the dome is;
- **spray**: bursts of a spray can (an opaque core, a fringe of droplets, drips), fine speckle from afar,
  and paint *mist* over the dome (a veil of the paint's colour, forward scatter softening everything, a few
  soft blotches);
- **defocused**: a lens blur with a disc (pillbox) PSF, motion blur (a line PSF), water droplets and a dirt
  film on the dome;
- **displaced**: small and large moves of a camera about its own centre — shift (a slipped pan), roll,
  tilt and pan through a homography (keystone included), zoom in and out;
- **frozen**: the same bytes, re-encodes at lower and higher quality, a stuck sensor under a live OSD, and a
  recorder serving its substream's last picture upscaled;
- **overexposed**: the sun in the lens (disc, halo, ghosts, veil), an iris stuck open, headlights into an IR
  camera, gain runaway;
- **too_dark**: an iris stuck closed by day, a dying IR illuminator (only its hot spot left), half the IR
  LEDs dead;
- **ir_cut_stuck**: near-infrared through the colour filters by day (per-channel NIR response, foliage
  bright in NIR, partial auto white balance and auto exposure).

The healthy pipeline is its own as well: signal-dependent sensor noise (read noise plus shot noise), JPEG
quality 50–90, a small sway of the mounting between samples, the encoder's OSD over black, covered and frozen
pictures (it is drawn after the sensor, so a covered lens still shows the clock). Faults on the lens or dome
happen before the sensor (an IR-only camera sees them in grey), faults of the sensor and ISP after it.

``fault_sample_alt(scene, kind, strength, rng)`` and ``levels_alt(kind)`` mirror ``fault_sample`` and
``levels``; ``judge_generators`` judges a scene's normal samples once and the faults of either generator or
both (benchmarks/vision_eval.py ``--generator``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence

import cv2
import numpy as np
import numpy.typing as npt
import vision_eval_helpers as ve
import vision_fault_helpers as vf
import vision_scene_helpers as vs

from camfleet.vision import Verdict, analyze_jpeg

Image = vs.Image
Rng = np.random.Generator
Float = npt.NDArray[np.float32]

#: Paint colours (BGR) of this generator: matte black, signal red, silver, white, fluorescent orange, navy.
PAINT = ((22, 22, 26), (35, 30, 190), (175, 178, 180), (235, 238, 240), (20, 120, 250), (90, 40, 20))

LEVELS: dict[str, tuple[str, ...]] = {
    "black": ("dead sensor", "limited-range + OSD", "NO SIGNAL card"),
    "covered": ("tape strips", "leaf", "plastic bag, folds", "hand, partly", "frosted film", "cloth, edge leak"),
    "spray": ("burst 25 %", "two bursts 45 %", "burst 60 % + drips", "mist", "mist, heavy", "speckle"),
    "defocused": ("disc r3", "disc r6", "disc r12", "motion 15 px", "motion 30 px", "water droplets", "dirt film"),
    "displaced": (
        "shift 3 %",
        "shift 6 %",
        "roll 3°",
        "roll 5°",
        "tilt 4°",
        "pan 3° + roll 2°",
        "zoom ×1.15",
        "zoom ÷1.25",
    ),
    "frozen": ("same bytes", "re-encoded q-25", "re-encoded q+10", "stuck + OSD", "substream upscaled"),
    "overexposed": ("sun in lens", "iris stuck open", "headlights, IR", "gain runaway"),
    "too_dark": ("iris stuck closed", "IR hot spot only", "half the IR LEDs dead"),
    "ir_cut_stuck": ("NIR 0.35", "NIR 0.55", "NIR 0.8", "NIR 1.2"),
}
KINDS = vf.KINDS
#: Horizontal field of view the homographies assume (degrees): a 4 mm lens on a 1/2.8" sensor.
HFOV = 60.0


def levels_alt(kind: str) -> int:
    """How many strengths ``kind`` is tried at by this generator."""
    return len(LEVELS[kind])


# --- the healthy pipeline -----------------------------------------------------------------------------


def shoot_alt(image: Image, rng: Rng, noise: float, quality: int) -> bytes:
    """What the sensor and encoder make of ``image``: read noise plus shot noise (variance growing with the
    signal, ``noise`` levels at mid-grey), then JPEG at ``quality``."""
    f = ve.with_osd(image).astype(np.float32)
    read = 0.6 * noise
    shot = (noise * noise - read * read) / 128.0
    sigma = np.sqrt(read * read + shot * np.clip(f, 0, 255)).astype(np.float32)
    noisy = f + rng.standard_normal(f.shape).astype(np.float32) * sigma
    ok, buf = cv2.imencode(".jpg", np.clip(noisy, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(buf.tobytes())


def osd(image: Image, when: dt.datetime, name: str = "XC-031 DONGCUN") -> Image:
    """The encoder's overlay: date and time top right, the camera's name bottom left (white, dark outline)."""
    out = image.copy()
    h, w = out.shape[:2]
    scale = w / 1280
    stamp = when.strftime("%Y-%m-%d %H:%M:%S")
    for text, org in ((stamp, (int(w - 470 * scale), int(50 * scale))), (name, (int(30 * scale), int(h - 30 * scale)))):
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_DUPLEX, 1.1 * scale, (0, 0, 0), max(1, int(5 * scale)))
        cv2.putText(out, text, org, cv2.FONT_HERSHEY_DUPLEX, 1.1 * scale, (250, 250, 250), max(1, int(2 * scale)))
    return out


def _gray(image: Image) -> Float:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.float32)


def night(image: Image, gain: float) -> Image:
    """The IR camera's picture of ``image``: the sensor sees grey (the scene's luma stands in for its NIR
    reflectance) under an illuminator whose beam falls off from the centre."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
    beam = 1.0 - 0.45 * r2 / 2  # as the baseline's learning frames (the IR vignette)
    g = np.clip(_gray(image) * gain * beam, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(g, cv2.COLOR_GRAY2BGR), np.uint8)


def view_matrix(scene: vs.Scene) -> npt.NDArray[np.float64]:
    """The 3×3 map from the scene's source pixels to its healthy view (as ``vision_scene_helpers.render``)."""
    h, w = scene.sources[0].shape[:2]
    out_w, out_h = scene.size
    m = np.eye(3)
    m[:2] = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, scene.scale)
    m[0, 2] += out_w / 2 - w / 2
    m[1, 2] += out_h / 2 - h / 2
    return m


def camera_move(
    size: tuple[int, int], pan: float = 0.0, tilt: float = 0.0, roll: float = 0.0, zoom: float = 1.0
) -> npt.NDArray[np.float64]:
    """Homography from the old view to the new one when the camera turns about its own centre (pan, tilt,
    roll in degrees) and zooms: ``K' R K⁻¹`` with a pinhole of HFOV degrees."""
    w, h = size
    f = (w / 2) / np.tan(np.radians(HFOV / 2))
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    k2 = np.array([[f * zoom, 0, w / 2], [0, f * zoom, h / 2], [0, 0, 1]])
    a, b, c = (np.radians(x) for x in (pan, tilt, roll))
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return np.asarray(k2 @ rz @ rx @ ry @ np.linalg.inv(k), np.float64)


def look(
    scene: vs.Scene, index: int, move: npt.NDArray[np.float64] | None = None, sway: float = 0.0, rng: Rng | None = None
) -> Image:
    """Source frame ``index`` seen through the view, moved by the homography ``move`` (old view → new view),
    the mounting swayed up to ``sway`` pixels each way."""
    m = view_matrix(scene)
    if sway and rng is not None:
        m = np.array([[1, 0, rng.uniform(-sway, sway)], [0, 1, rng.uniform(-sway, sway)], [0, 0, 1]]) @ m
    if move is not None:
        m = move @ m
    source = scene.sources[index % len(scene.sources)]
    return np.asarray(
        cv2.warpPerspective(source, m, scene.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT), np.uint8
    )


# --- shapes and optics on the dome --------------------------------------------------------------------


def disc_psf(radius: float) -> Float:
    """A pillbox PSF: a uniform disc of ``radius`` pixels (a defocused aperture), anti-aliased, summing to 1."""
    r = max(0.5, radius)
    n = int(np.ceil(r)) + 1
    yy, xx = np.mgrid[-n : n + 1, -n : n + 1].astype(np.float32)
    kernel = np.clip(r + 0.5 - np.hypot(xx, yy), 0.0, 1.0)
    return np.asarray(kernel / kernel.sum(), np.float32)


def line_psf(length: float, angle: float) -> Float:
    """A motion-blur PSF: a line of ``length`` pixels at ``angle`` degrees, summing to 1."""
    n = int(np.ceil(length / 2)) + 1
    kernel = np.zeros((2 * n + 1, 2 * n + 1), np.float32)
    dx, dy = np.cos(np.radians(angle)) * length / 2, np.sin(np.radians(angle)) * length / 2
    cv2.line(kernel, (round(n - dx), round(n - dy)), (round(n + dx), round(n + dy)), 1.0, 1, cv2.LINE_AA)
    return np.asarray(kernel / kernel.sum(), np.float32)


def convolve(image: Image | Float, psf: Float) -> Float:
    """``image`` through ``psf`` (edges reflected), as float."""
    return np.asarray(cv2.filter2D(image.astype(np.float32), -1, psf, borderType=cv2.BORDER_REFLECT), np.float32)


def _soft(mask: Float, sigma: float) -> Float:
    return np.asarray(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigma), np.float32)


def spray_burst(shape: tuple[int, int], rng: Rng, share: float, drips: bool = False) -> Float:
    """Opacity 0..1 of one spray-can burst on the dome: an opaque elliptical core of about ``share`` of the
    picture, a fringe of droplets thinning outwards, optionally paint running down in drips; out of focus."""
    h, w = shape
    out = np.zeros(shape, np.float32)
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    area = share * h * w
    ratio = rng.uniform(0.6, 1.6)
    a = np.sqrt(area / np.pi * ratio)
    b = area / np.pi / a
    # A ragged core: the ellipse's radius modulated by a few random harmonics.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = float(rng.uniform(0, np.pi))
    u = (xx - cx) * np.cos(theta) + (yy - cy) * np.sin(theta)
    v = -(xx - cx) * np.sin(theta) + (yy - cy) * np.cos(theta)
    phi = np.arctan2(v / b, u / a)
    wobble = 1.0 + sum(rng.uniform(0.03, 0.1) * np.cos(k * phi + rng.uniform(0, 6.3)) for k in (2, 3, 5, 7))
    rho = np.hypot(u / a, v / b) / wobble
    out[rho <= 1.0] = 1.0
    # The fringe: droplets of 1-5 px, their density falling off past the core.
    count = int(rng.integers(1500, 4000))
    for _ in range(count):
        r = 1.0 + rng.exponential(0.35)
        t = rng.uniform(0, 2 * np.pi)
        x = cx + r * (a * np.cos(t) * np.cos(theta) - b * np.sin(t) * np.sin(theta))
        y = cy + r * (a * np.cos(t) * np.sin(theta) + b * np.sin(t) * np.cos(theta))
        cv2.circle(out, (int(x), int(y)), int(rng.integers(1, 6)), 1.0, -1)
    if drips:
        for _ in range(int(rng.integers(3, 8))):
            x0 = int(cx + rng.uniform(-0.8, 0.8) * a)
            y0 = int(cy + rng.uniform(0.0, 0.6) * b)
            cv2.line(
                out,
                (x0, y0),
                (x0 + int(rng.integers(-8, 9)), min(h - 1, y0 + int(rng.uniform(0.1, 0.4) * h))),
                1.0,
                int(rng.integers(4, 12)),
            )
    return _soft(out, rng.uniform(2.0, 5.0))


def speckle(shape: tuple[int, int], rng: Rng, share: float) -> Float:
    """Fine droplets from a can held far off: thousands of small dots until about ``share`` is painted."""
    h, w = shape
    out = np.zeros(shape, np.float32)
    # Denser on one side of the dome (the can's direction).
    side = rng.uniform(0, 2 * np.pi)
    while float(out.mean()) < share:
        for _ in range(500):
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            lean = 0.5 + 0.5 * np.cos(np.arctan2(y - h / 2, x - w / 2) - side)
            if rng.random() < 0.3 + 0.7 * lean:
                cv2.circle(out, (int(x), int(y)), int(rng.integers(2, 7)), 1.0, -1)
    return _soft(out, 1.5)


def paint_over(image: Image | Float, opacity: Float, colour: Sequence[float], strength: float = 0.97) -> Float:
    """``image`` under paint of ``colour`` with the given opacity map (times ``strength``)."""
    alpha = (opacity * strength)[..., None]
    return np.asarray(image.astype(np.float32) * (1 - alpha) + np.array(colour, np.float32) * alpha, np.float32)


def mist(image: Image, rng: Rng, veil: float, blotches: float, paint: Sequence[int]) -> tuple[Float, Float]:
    """Paint mist over the dome: micro-droplets scatter light forward (a share of the picture spread wide, the
    rest softened a little), absorb it in the paint's colour (a veil and a colour cast), and a few larger
    drops sit as soft blotches. Returns the picture and the blotches' opacity."""
    colour = np.array(paint, np.float32)
    f = image.astype(np.float32)
    scatter = rng.uniform(0.25, 0.45)
    soft = convolve(f, disc_psf(rng.uniform(2.0, 4.0) * image.shape[1] / 1280))
    wide = cv2.GaussianBlur(f, (0, 0), image.shape[1] / 40)
    lit = (1 - scatter) * soft + scatter * wide
    tint = 0.5 + 0.5 * colour / 255.0  # the film passes its own colour best
    hazed = lit * tint * (1 - veil) + colour * veil
    opacity = np.zeros(image.shape[:2], np.float32)
    while float(opacity.mean()) < blotches:
        opacity = np.maximum(
            opacity, spray_burst(image.shape[:2], rng, rng.uniform(0.04, 0.12)) * rng.uniform(0.6, 0.9)
        )
    return paint_over(hazed, opacity, colour, 1.0), opacity


def droplets(image: Image, rng: Rng) -> Float:
    """Water on the dome: round drops (each a small lens far out of focus: the view inside blurred, a bright rim
    at the top where the sky catches it) over most of the picture, a thin wet film softening the rest."""
    h, w = image.shape[:2]
    s = w / 1280
    base = convolve(image, disc_psf(2.5 * s))
    inside = convolve(image, disc_psf(12.0 * s))
    mask = np.zeros((h, w), np.float32)
    rim = np.zeros((h, w), np.float32)
    while float(mask.mean()) < rng.uniform(0.55, 0.8):
        r = int(rng.uniform(12, 55) * s)
        x, y = int(rng.uniform(0, w)), int(rng.uniform(0, h))
        cv2.circle(mask, (x, y), r, 1.0, -1)
        cv2.ellipse(rim, (x, y), (r, r), 0, 200, 340, 1.0, max(1, int(3 * s)))
    mask = _soft(mask, 2.0 * s)[..., None]
    out = base * (1 - mask) + inside * mask + 30.0 * _soft(rim, 3.0 * s)[..., None]
    return np.asarray(out, np.float32)


def dirt(image: Image, rng: Rng) -> Float:
    """A dirt film on the dome: dust scatters light into a veil and blurs (a disc), with a few dark specks."""
    h, w = image.shape[:2]
    s = w / 1280
    blurred = convolve(image, disc_psf(rng.uniform(4.0, 7.0) * s))
    veil = rng.uniform(0.15, 0.3)
    out = blurred * (1 - veil) + veil * float(blurred.mean()) * np.array([0.95, 1.0, 1.05], np.float32)
    specks = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(20, 60))):
        cv2.circle(specks, (int(rng.uniform(0, w)), int(rng.uniform(0, h))), int(rng.uniform(3, 12) * s), 1.0, -1)
    return paint_over(out, _soft(specks, 4.0 * s), (45, 50, 55), 0.6)


def folds(shape: tuple[int, int], rng: Rng, count: int, amplitude: float, width: float) -> Float:
    """Smooth ridges and creases (a bag's or a cloth's folds): sums of soft lines at random angles."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.zeros(shape, np.float32)
    for _ in range(count):
        t = rng.uniform(0, np.pi)
        d = (xx - rng.uniform(0, w)) * np.cos(t) + (yy - rng.uniform(0, h)) * np.sin(t)
        out += float(rng.choice([-1.0, 1.0])) * amplitude * np.exp(-((d / (width * w)) ** 2))
    return out


def cover(image: Image, material: str, rng: Rng) -> Float:
    """Something on the dome, out of focus, over all (or, for the hand, most) of the picture."""
    h, w = image.shape[:2]
    s = w / 1280
    f = image.astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = float(_gray(image).mean())
    if material == "tape strips":
        # Layers of masking tape across the lens: each layer passes ~20 % of the light, diffused.
        layers = np.zeros((h, w), np.float32)
        while float((layers > 0).mean()) < 0.999:
            t = rng.uniform(0, np.pi)
            d = (xx - rng.uniform(0, w)) * np.cos(t) + (yy - rng.uniform(0, h)) * np.sin(t)
            layers += (np.abs(d) < rng.uniform(0.12, 0.25) * w).astype(np.float32)
        passed = 0.2 ** _soft(layers, 6 * s)
        crepe = _soft(rng.normal(0, 6, (h, w)).astype(np.float32), 2.5 * s)
        tape = np.array([150, 190, 205], np.float32) * (0.4 + light / 255)
        ghost = cv2.GaussianBlur(f, (0, 0), 25 * s)
        out = ghost * passed[..., None] * 0.5 + tape * (1 - passed[..., None] * 0.5) * (0.6 + 0.4 * passed[..., None])
        return np.asarray(out + crepe[..., None], np.float32)
    if material == "leaf":
        # A leaf pressed against the dome, lit from behind: green, veined, filling all but a corner.
        cx, cy = rng.uniform(0.35, 0.65) * w, rng.uniform(0.35, 0.65) * h
        t = rng.uniform(0, np.pi)
        u = (xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)
        v = -(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)
        shape = (u / (0.95 * w)) ** 2 + (v / (0.62 * w)) ** 2 < 1.0
        veins = np.exp(-((v / (4 * s)) ** 2)) + sum(
            np.exp(-(((v - k * 0.5 * u) / (3 * s)) ** 2)) * (u * k > 0) for k in (-1.2, -0.6, 0.6, 1.2)
        )
        green = (
            np.array([40, 150, 70], np.float32)
            * (0.5 + 0.7 * light / 255)
            * (1 - 0.35 * np.clip(veins, 0, 1))[..., None]
        )
        mask = _soft(shape.astype(np.float32), 20 * s)[..., None]
        return np.asarray(cv2.GaussianBlur(green, (0, 0), 6 * s) * mask + f * (1 - mask), np.float32)
    if material == "plastic bag, folds":
        # Translucent film: most light diffused to a bright veil, a faint ghost of the scene, folds as ridges.
        ghost = cv2.GaussianBlur(f, (0, 0), 30 * s)
        tint = np.array(PAINT[int(rng.integers(2, 4))], np.float32) * 0.75
        out = 0.25 * ghost + 0.75 * tint * (0.5 + light / 255)
        return np.asarray(out + folds((h, w), rng, 6, 22.0, 0.04)[..., None], np.float32)
    if material == "hand, partly":
        # A palm held over most of the lens: skin, shaded, far out of focus; the rest of the scene shows.
        cx = float(rng.choice([0.15, 0.85])) * w
        cy = rng.uniform(0.3, 0.7) * h
        r = rng.uniform(0.55, 0.7) * w
        palm = np.hypot((xx - cx) / r, (yy - cy) / (0.85 * r)) < 1.0
        skin = np.array([110, 140, 190], np.float32) * (0.45 + 0.4 * light / 255)
        shade = 1.0 - 0.35 * np.clip((xx - cx) / w * np.sign(w / 2 - cx), 0, 1)
        mask = _soft(palm.astype(np.float32), 35 * s)[..., None]
        return np.asarray(skin * shade[..., None] * mask + f * (1 - mask), np.float32)
    if material == "frosted film":
        # A frosted sticker: every ray scattered widely; only the big light and dark areas come through.
        diffuse = cv2.GaussianBlur(f, (0, 0), 45 * s)
        grain = _soft(rng.normal(0, 5, (h, w)).astype(np.float32), 1.2 * s)
        out = 0.4 * diffuse + 0.6 * np.array([200, 205, 210], np.float32) * (0.35 + light / 255)
        return np.asarray(out + grain[..., None], np.float32)
    # Black cloth over the dome, folds in it, daylight leaking in along one edge.
    edge = int(rng.integers(0, 4))
    dist = (xx / w, 1 - xx / w, yy / h, 1 - yy / h)[edge]
    leak = rng.uniform(40, 120) * np.exp(-dist / 0.08)
    cloth = 20.0 + folds((h, w), rng, 5, 6.0, 0.03) + leak
    return np.asarray(cloth[..., None] * np.array([1.0, 0.95, 0.92], np.float32), np.float32)


def sun(image: Image, rng: Rng) -> Float:
    """The sun in the lens: a clipped disc, a halo falling off as 1/r², ghosts mirrored through the centre,
    and a veil of scattered light over the whole picture; the auto exposure cannot bring it down in time."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    sx, sy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.05, 0.4) * h
    r = np.hypot(xx - sx, yy - sy) / w
    halo = 60.0 / (r * r * 40 + 0.04)
    ghosts = np.zeros((h, w), np.float32)
    for k in (0.4, 0.8, 1.3):
        gx, gy = w / 2 + (w / 2 - sx) * k, h / 2 + (h / 2 - sy) * k
        cv2.circle(ghosts, (int(gx), int(gy)), int(w * rng.uniform(0.02, 0.06)), 80.0, -1)
    veil = rng.uniform(130, 170)
    out = image.astype(np.float32) * 0.75 + veil + (halo + _soft(ghosts, 6))[..., None]
    return out


# --- the faults ---------------------------------------------------------------------------------------


def _params(scene: vs.Scene, rng: Rng, night_light: bool) -> tuple[float, int, float]:
    """Sensor noise at mid-grey, JPEG quality and IR gain for one sample (IR pictures are noisier)."""
    ir = night_light or not scene.colour
    noise = rng.uniform(4.0, 8.0) if ir else rng.uniform(1.5, 4.0)
    return noise, int(rng.integers(50, 91)), rng.uniform(0.6, 0.9)


def fault_sample_alt(scene: vs.Scene, kind: str, strength: int, rng: Rng) -> ve.Sample:
    """Fault ``kind`` at its ``strength``-th level (``LEVELS``) on a healthy frame of ``scene``, with the
    healthy sample taken before it (minutes earlier: another video frame, the mounting swayed)."""
    label = LEVELS[kind][strength]
    at_night = (kind == "too_dark" and label != "iris stuck closed") or label == "headlights, IR"
    noise, quality, gain = _params(scene, rng, at_night)
    ir = at_night or not scene.colour
    index = int(rng.integers(0, len(scene.sources)))
    earlier = index - int(rng.integers(3, 12)) if scene.is_video else index
    when = dt.datetime(2026, 12, 6, 2, 40, 0) + dt.timedelta(seconds=int(rng.integers(0, 80_000)))

    def sensor(image: Image | Float) -> Image:
        clipped = np.clip(image, 0, 255).astype(np.uint8)
        return night(clipped, gain) if ir else clipped

    before = sensor(look(scene, earlier, sway=2.0, rng=rng))
    stamped = kind in ("black", "covered")
    if stamped:
        before = osd(before, when - dt.timedelta(minutes=5))
    previous = shoot_alt(before, rng, noise, quality)
    if kind == "frozen":
        frame, previous = _frozen(label, previous, scene, index, rng, noise, quality, when)
        return ve.Sample(scene.name, kind, kind, label, frame, previous)
    healthy = look(scene, index, sway=2.0, rng=rng)
    image = _fault(kind, label, scene, index, healthy, sensor, rng, gain)
    if stamped and label != "NO SIGNAL card":
        image = osd(image, when)
    if kind == "too_dark":
        noise *= 1.5  # the camera raises its gain in the dark
    return ve.Sample(scene.name, kind, kind, label, shoot_alt(image, rng, noise, quality), previous)


def _fault(
    kind: str,
    label: str,
    scene: vs.Scene,
    index: int,
    healthy: Image,
    sensor: Callable[[Image | Float], Image],
    rng: Rng,
    gain: float,
) -> Image:
    """The faulty picture before noise and encoding."""
    h, w = healthy.shape[:2]
    s = w / 1280
    if kind == "black":
        if label == "dead sensor":
            dark = 3.0 + np.tile(rng.normal(0, 1.2, (1, w)), (h, 1)).astype(np.float32)
            hot = rng.random((h, w)) < 0.0004
            dark[hot] = rng.uniform(80, 255, int(hot.sum()))
            return np.repeat(np.clip(dark, 0, 255)[..., None], 3, axis=2).astype(np.uint8)
        if label == "NO SIGNAL card":
            card = np.full((h, w, 3), 4, np.uint8)
            text, size = "NO SIGNAL", 2.4 * s
            (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, size, max(1, int(4 * s)))
            cv2.putText(
                card,
                text,
                ((w - tw) // 2, (h + th) // 2),
                cv2.FONT_HERSHEY_SIMPLEX,
                size,
                (200, 200, 200),
                max(1, int(4 * s)),
            )
            return card
        return np.full((h, w, 3), 16, np.uint8)
    if kind == "covered":
        return sensor(cover(healthy, label, rng))
    if kind == "spray":
        colour = PAINT[int(rng.integers(0, len(PAINT)))]
        if label.startswith("mist"):
            heavy = label.endswith("heavy")
            veil = rng.uniform(0.45, 0.6) if heavy else rng.uniform(0.25, 0.4)
            blotches = rng.uniform(0.2, 0.3) if heavy else rng.uniform(0.08, 0.15)
            return sensor(mist(healthy, rng, veil, blotches, colour)[0])
        if label == "speckle":
            return sensor(paint_over(healthy, speckle((h, w), rng, rng.uniform(0.25, 0.35)), colour))
        opacity = np.zeros((h, w), np.float32)
        bursts = 2 if label.startswith("two") else 1
        share = {"burst 25 %": 0.2, "two bursts 45 %": 0.2, "burst 60 % + drips": 0.5}[label]
        for _ in range(bursts):
            opacity = np.maximum(opacity, spray_burst((h, w), rng, share, drips="drips" in label))
        return sensor(paint_over(healthy, opacity, colour))
    if kind == "defocused":
        if label.startswith("disc"):
            return sensor(convolve(healthy, disc_psf(float(label[6:]) * s)))
        if label.startswith("motion"):
            return sensor(convolve(healthy, line_psf(float(label.split()[1]) * s, rng.uniform(0, 180))))
        return sensor(droplets(healthy, rng) if label == "water droplets" else dirt(healthy, rng))
    if kind == "displaced":
        sign = float(rng.choice([-1.0, 1.0]))
        move = _move(label, scene.size, sign, rng)
        return sensor(look(scene, index, move))
    if kind == "overexposed":
        if label == "sun in lens":
            return sensor(sun(healthy, rng))
        if label == "iris stuck open":
            lifted = healthy.astype(np.float32) * rng.uniform(3.5, 5.0)
            return sensor(255.0 * (1.0 - np.exp(-lifted / 200.0)) * 1.1)
        if label == "headlights, IR":
            lit = night(healthy, gain).astype(np.float32) * 1.8 + 60.0
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            cy = rng.uniform(0.55, 0.8) * h
            for cx in (rng.uniform(0.3, 0.45) * w, rng.uniform(0.55, 0.7) * w):
                lit += (300.0 * np.exp(-np.hypot(xx - cx, yy - cy) / (0.2 * w)))[..., None]
            return np.clip(lit, 0, 255).astype(np.uint8)
        return sensor(healthy.astype(np.float32) * 8.0 + 40.0)
    if kind == "too_dark":
        if label == "iris stuck closed":
            return sensor(healthy.astype(np.float32) * rng.uniform(0.12, 0.22))
        lit = night(healthy, gain).astype(np.float32)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        if label == "IR hot spot only":
            spot = 0.25 * np.exp(-(((xx - w / 2) / (0.3 * w)) ** 2 + ((yy - h / 2) / (0.3 * h)) ** 2))
            return np.clip(lit * (0.05 + spot)[..., None], 0, 255).astype(np.uint8)
        side = xx / w if rng.random() < 0.5 else 1 - xx / w
        return np.clip(lit * (0.06 + 0.3 * side)[..., None], 0, 255).astype(np.uint8)
    return _ir_cut(healthy, float(label.split()[1]))


def _move(label: str, size: tuple[int, int], sign: float, rng: Rng) -> npt.NDArray[np.float64]:
    """The homography of a displacement level (``sign`` picks the direction)."""
    w = size[0]
    if label.startswith("shift"):
        share = float(label.split()[1]) / 100
        t = rng.uniform(0, 2 * np.pi)  # any direction: a bracket slipping sideways or down
        return np.array([[1, 0, share * w * np.cos(t)], [0, 1, share * w * np.sin(t)], [0, 0, 1]])
    if label.startswith("roll"):
        return camera_move(size, roll=sign * float(label.split()[1].rstrip("°")))
    if label.startswith("tilt"):
        return camera_move(size, tilt=sign * float(label.split()[1].rstrip("°")))
    if label.startswith("pan"):
        return camera_move(size, pan=sign * 3.0, roll=float(rng.choice([-1.0, 1.0])) * 2.0)
    factor = float(label.split()[1][1:])
    return camera_move(size, zoom=factor if label[5] == "×" else 1 / factor)


def _frozen(
    label: str, previous: bytes, scene: vs.Scene, index: int, rng: Rng, noise: float, quality: int, when: dt.datetime
) -> tuple[bytes, bytes]:
    """A picture that stopped, and the sample before it: resent, re-encoded, stamped anew, or rescaled."""
    if label == "same bytes":
        return previous, previous
    decoded = np.asarray(cv2.imdecode(np.frombuffer(previous, np.uint8), cv2.IMREAD_COLOR), np.uint8)
    if label.startswith("re-encoded"):
        q = max(30, quality - 25) if label.endswith("25") else min(95, quality + 10)
        ok, buf = cv2.imencode(".jpg", decoded, [cv2.IMWRITE_JPEG_QUALITY, q])
        assert ok
        return bytes(buf.tobytes()), previous
    if label == "substream upscaled":
        h, w = decoded.shape[:2]
        small = cv2.resize(decoded, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        upscaled = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        ok, buf = cv2.imencode(".jpg", upscaled, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        return bytes(buf.tobytes()), previous
    # The sensor's last picture stuck in the encoder, the OSD (drawn after it) still ticking.
    ir = not scene.colour
    image = look(scene, index, sway=2.0, rng=rng)
    image = night(image, 0.75) if ir else image
    f = image.astype(np.float32)
    stuck = np.clip(f + rng.standard_normal(f.shape).astype(np.float32) * noise, 0, 255).astype(np.uint8)
    earlier = shoot_alt(osd(stuck, when - dt.timedelta(minutes=5)), rng, 0.0, quality)
    return shoot_alt(osd(stuck, when), rng, 0.0, quality), earlier


def _ir_cut(image: Image, nir: float) -> Image:
    """Daylight with the IR-cut filter out. At 850 nm the three colour filters pass near-infrared about
    equally, so the raw channels gain alike; the daylight white balance then multiplies raw red and blue
    (≈ 1.9 and 1.6 against green), which turns that added light magenta. Foliage reflects NIR strongly and
    sky little; auto exposure brings the mean back, auto white balance corrects a quarter of the cast, and
    highlights roll off at a knee."""
    f = image.astype(np.float32)
    b, g, r = f[..., 0], f[..., 1], f[..., 2]
    luma = _gray(image)
    foliage = np.clip((g - np.maximum(r, b)) / 40.0, 0, 1)
    sky = np.clip((b - r) / 60.0, 0, 1) * np.clip((luma - 120) / 80, 0, 1)
    reflect = luma * (1.0 + 1.2 * foliage - 0.5 * sky)
    white_balance = np.array([1.6, 1.0, 1.9], np.float32)  # B, G, R gains for daylight
    raw = f / white_balance + nir * reflect[..., None] * np.array([0.95, 0.9, 1.0], np.float32)
    out = raw * white_balance
    means = out.reshape(-1, 3).mean(axis=0)
    out *= 1.0 + (means.mean() / np.maximum(means, 1.0) - 1.0) / 4.0
    out *= float(luma.mean()) / max(float(np.mean(out @ np.array([0.114, 0.587, 0.299], np.float32))), 1.0)
    knee = 200.0  # the ISP rolls highlights off rather than clipping them
    out = np.where(out > knee, knee + 55.0 * (1.0 - np.exp(-(out - knee) / 55.0)), out)
    return np.clip(out, 0, 255).astype(np.uint8)


# --- judging ------------------------------------------------------------------------------------------

GENERATORS = ("default", "alt")


def judge_generators(
    name: str, normal_per_kind: int, fault_repeats: int, seed: int = 0, generators: Sequence[str] = ("alt",)
) -> Iterator[tuple[str, ve.Sample, Verdict]]:
    """As ``vision_fault_helpers.judge_scene``, with the faults of each generator in ``generators``; yields
    (generator, sample, verdict), generator "" for a normal sample.

    The normal samples and the default generator's faults are drawn exactly as ``judge_scene`` draws them (the
    same seeded samples: its recorded figures); this generator's faults come from a stream of their own, so
    they are the same samples whichever generators run beside them.
    """
    scene = vs.load_scene(name)
    baseline = ve.learn(scene, seed).to_dict()
    rng = np.random.default_rng([seed, sum(name.encode())])
    samples: list[tuple[str, Callable[[], ve.Sample]]] = []
    for kind in ve.NORMAL_KINDS:
        if kind == "ir_night" and not scene.colour:
            continue
        samples += [("", lambda k=kind: ve.normal_sample(scene, k, rng))] * normal_per_kind
    if scene.is_video:
        samples += [("", lambda: ve.normal_sample(scene, "live", rng))] * normal_per_kind
    if "default" in generators:
        for kind in vf.KINDS:
            for level in range(vf.levels(kind)):
                samples += [("default", lambda k=kind, lv=level: vf.fault_sample(scene, k, lv, rng))] * fault_repeats
    if "alt" in generators:
        own = np.random.default_rng([seed, sum(name.encode()), 19])
        for kind in KINDS:
            for level in range(levels_alt(kind)):
                samples += [("alt", lambda k=kind, lv=level: fault_sample_alt(scene, k, lv, own))] * fault_repeats
    for generator, make in samples:
        sample = make()
        previous = analyze_jpeg(sample.previous, None, None, 4)[2]
        yield generator, sample, analyze_jpeg(sample.frame, baseline, previous, 4)[1]
