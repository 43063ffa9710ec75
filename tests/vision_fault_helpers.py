"""Tampering and failures at graded strengths, for the vision evaluation set.

Each entry of ``STRENGTHS`` maps a fault kind to (label, picture transform) pairs, from obvious to the
faintest worth reporting; ``fault_sample`` puts one on a healthy frame of a scene with random camera
settings (noise, JPEG quality, video frame) and pairs it with the healthy sample taken before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import cv2
import numpy as np
import numpy.typing as npt
import vision_eval_helpers as ve
import vision_helpers as vh
import vision_scene_helpers as vs

from camfleet.model import FrameStats
from camfleet.vision import PeerView, Verdict, analyze_jpeg

Image = vs.Image
Rng = np.random.Generator
Transform = Callable[[Image, Rng], Image]

PAINTS = {
    "black": (30, 30, 40),
    "white": (225, 230, 235),
    "red": (40, 40, 200),
    "blue": (160, 60, 30),
    "green": (50, 150, 40),
    "grey": (120, 120, 120),
}


def black(level: int, osd: bool = False) -> Transform:
    """No video: a flat picture at ``level`` (16 = limited-range black), optionally with the DVR's OSD text."""

    def make(image: Image, rng: Rng) -> Image:
        out = np.full_like(image, level)
        if osd:
            cv2.putText(out, "CAM 07  NO VIDEO", (40, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (235, 235, 235), 2)
        return out

    return make


def covered(material: str, leak: float) -> Transform:
    """A cover on the lens: bag or cloth (dark, weave texture), hand (skin, lit), tape (translucent)."""

    def make(image: Image, rng: Rng) -> Image:
        h, w = image.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        corner = rng.integers(0, 2, 2)
        fade = np.exp(-(((xx / w - corner[0]) ** 2) + ((yy / h - corner[1]) ** 2)) / 0.15)
        colour = {"bag": (18, 18, 20), "cloth": (40, 30, 55), "hand": (95, 120, 165), "tape": (190, 195, 200)}
        out = np.array(colour[material], np.float32)[None, None, :] * np.ones((h, w, 1), np.float32)
        out += (leak * fade)[..., None]
        if material == "cloth":  # an out-of-focus weave still leaves a faint texture
            weave = np.sin(xx / 3.0) * np.sin(yy / 3.0) * 4.0
            out += cv2.GaussianBlur(weave, (0, 0), 1.0)[..., None]
        if material == "tape":  # translucent: a ghost of the scene shows through
            out = 0.9 * out + 0.1 * cv2.GaussianBlur(image, (0, 0), 12).astype(np.float32)
        return np.clip(out, 0, 255).astype(np.uint8)

    return make


def plastic(opacity: float) -> Transform:
    """A translucent plastic bag over the dome: right on the lens, so the scene behind is far out of focus (a
    Gaussian of 1.5–3 % of the width) and seen through a milky film of ``opacity`` (light scattered by the film,
    pale and faintly tinted), lit unevenly from one side, with a few soft creases a little lighter or darker."""

    def make(image: Image, rng: Rng) -> Image:
        h, w = image.shape[:2]
        behind = cv2.GaussianBlur(image.astype(np.float32), (0, 0), rng.uniform(0.015, 0.03) * w)
        milk = rng.uniform(150, 215) + rng.uniform(-12, 12, 3)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        light = 1.0 + rng.uniform(0.05, 0.2) * ((xx / w - 0.5) * np.cos(angle) + (yy / h - 0.5) * np.sin(angle))
        film = milk[None, None, :] * light[..., None]
        creases = np.zeros((h, w), np.float32)
        for _ in range(int(rng.integers(2, 6))):
            p0 = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
            p1 = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
            cv2.line(creases, p0, p1, float(rng.choice([-1.0, 1.0])) * rng.uniform(8, 25), max(1, w // 200))
        creases = cv2.GaussianBlur(creases, (0, 0), rng.uniform(0.004, 0.01) * w)
        out = behind * (1 - opacity) + film * opacity + creases[..., None]
        return np.clip(out, 0, 255).astype(np.uint8)

    return make


#: Partial covers: colour (BGR) of a near object over part of the lens, and its opacity (tape lets a little through).
NEAR = {"leaf": ((35, 85, 45), 1.0), "hand": ((95, 125, 175), 1.0), "tape": ((150, 175, 185), 0.85)}


def partial_cover(material: str, share: float) -> Transform:
    """Something stuck on the dome over about ``share`` of the view — a leaf, a hand, a strip of tape — the rest of
    the scene still in sight. The object is on the lens, far nearer than the focus: it shows no detail (its own
    shading only, lit from one side) and its outline is blurred over 2–5 % of the width. It reaches in from a
    corner or a side (where it is held or stuck); tape lets a blurred ghost of the scene through."""

    def make(image: Image, rng: Rng) -> Image:
        h, w = image.shape[:2]
        colour, opacity = NEAR[material]
        mask = np.zeros((h, w), np.float32)
        if rng.random() < 0.5:  # from a corner: a quarter-ellipse-like blob
            cx, cy = float(rng.choice([0, w])), float(rng.choice([0, h]))
            ax = np.sqrt(share * 4 / np.pi) * w * rng.uniform(0.8, 1.2)
            ay = share * 4 / np.pi * w * h / ax
        else:  # from the middle of one side: half an ellipse
            if rng.random() < 0.5:
                cx, cy = float(rng.choice([0, w])), rng.uniform(0.3, 0.7) * h
            else:
                cx, cy = rng.uniform(0.3, 0.7) * w, float(rng.choice([0, h]))
            ax = np.sqrt(share * 2 / np.pi) * w * rng.uniform(0.8, 1.2)
            ay = share * 2 / np.pi * w * h / ax
        cv2.ellipse(mask, (int(cx), int(cy)), (int(ax), int(min(ay, 2 * h))), rng.uniform(-20, 20), 0, 360, 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(0.02, 0.05) * w)[..., None]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        shade = 1.0 + rng.uniform(0.1, 0.3) * ((xx - cx) ** 2 + (yy - cy) ** 2) ** 0.5 / w - 0.1
        near = np.array(colour, np.float32) * rng.uniform(0.7, 1.2) * shade[..., None]
        if opacity < 1.0:
            near = near * opacity + cv2.GaussianBlur(image.astype(np.float32), (0, 0), 0.02 * w) * (1 - opacity)
        out = image.astype(np.float32) * (1 - mask) + near * mask
        return np.clip(out, 0, 255).astype(np.uint8)

    return make


def spray(coverage: float) -> Transform:
    """Paint over about ``coverage`` of the frame, in a colour drawn per sample."""

    def make(image: Image, rng: Rng) -> Image:
        colour = PAINTS[str(rng.choice(list(PAINTS)))]
        return vh.spray(image, seed=int(rng.integers(0, 1 << 30)), coverage=coverage, colour=colour)

    return make


def spray_mist(coverage: float) -> Transform:
    """Paint blotches over about ``coverage`` of the frame, and the mist the can left over the rest of the dome:
    a veil of the paint's colour (20–40 % of the light) and droplets too fine to see that soften the picture (a
    Gaussian of 1.5–3 px at 1280 px width): every cell loses contrast and fine detail, as under a defocus."""

    def make(image: Image, rng: Rng) -> Image:
        colour = PAINTS[str(rng.choice(list(PAINTS)))]
        veil = rng.uniform(0.2, 0.4)
        soft = cv2.GaussianBlur(image.astype(np.float32), (0, 0), rng.uniform(1.5, 3.0) * image.shape[1] / 1280)
        hazed = np.clip(soft * (1 - veil) + np.array(colour, np.float32) * veil, 0, 255).astype(np.uint8)
        return vh.spray(hazed, seed=int(rng.integers(0, 1 << 30)), coverage=coverage, colour=colour)

    return make


def _painted(image: Image, mask: npt.NDArray[np.float32], colour: tuple[int, int, int]) -> Image:
    """``image`` under paint of ``colour`` with the opacity ``mask`` (h × w × 1, 0..1)."""
    out = image.astype(np.float32) * (1 - mask) + np.array(colour, np.float32) * mask
    return np.clip(out, 0, 255).astype(np.uint8)


def spray_patch(share: float) -> Transform:
    """One burst of paint close to the dome: a single patch of ``share`` of the frame in one colour drawn per sample,
    an irregular polygon (10–16 corners, each 0.6–1.4 of the mean radius) anywhere in the middle of the view, opaque
    (90–100 %) and even, its rim softened over 1–3 px at 1280 px width: sharper than paint a few centimetres from
    the lens would be (docs/journal.md, tenth round), as every generator's paint is so far."""

    def make(image: Image, rng: Rng) -> Image:
        colour = PAINTS[str(rng.choice(list(PAINTS)))]
        h, w = image.shape[:2]
        corners = int(rng.integers(10, 17))
        radius = float(np.sqrt(share * h * w / np.pi))
        angles = np.sort(rng.uniform(0, 2 * np.pi, corners))
        reach = radius * rng.uniform(0.6, 1.4, corners)
        cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.3, 0.7) * h
        points = np.stack([cx + reach * np.cos(angles), cy + reach * np.sin(angles)], axis=1).astype(np.int32)
        mask = np.zeros((h, w), np.float32)
        cv2.fillPoly(mask, [points], 1.0)
        mask = cv2.GaussianBlur(mask, (0, 0), rng.uniform(1.0, 3.0) * w / 1280)[..., None] * rng.uniform(0.9, 1.0)
        return _painted(image, mask, colour)

    return make


#: Paint on a dome a few centimetres before a 4 mm lens focused at 10 m is blurred over a circle of about 0.3 mm on
#: the sensor: about a hundred pixels at 1280 (docs/journal.md, tenth round). A Gaussian of this σ (at 1280) spreads
#: a blotch's rim about as far.
DOME_BLUR = 25.0


def spray_dome(coverage: float) -> Transform:
    """Paint on the dome as a camera sees it: the blotches of ``spray`` (about ``coverage`` of the frame, a colour
    drawn per sample), out of focus — their rims spread over about a hundred pixels at 1280 px width (DOME_BLUR),
    small droplets left as faint smudges, only the cores of large blotches opaque."""

    def make(image: Image, rng: Rng) -> Image:
        colour = PAINTS[str(rng.choice(list(PAINTS)))]
        h, w = image.shape[:2]
        mask = vh._blobs((h, w), coverage, int(rng.integers(0, 1 << 30)))
        mask = cv2.GaussianBlur(mask, (0, 0), DOME_BLUR * w / 1280)[..., None] * 0.95
        return _painted(image, mask, colour)

    return make


def defocus(sigma: float) -> Transform:
    """Lens out of focus: Gaussian blur of ``sigma`` pixels at 1280 px width."""
    return lambda image, rng: vh.defocus(image, sigma * image.shape[1] / 1280)


def glare(bloom: float) -> Transform:
    """Sun or headlights in the lens: a bloom of ``bloom`` levels over a lifted picture."""

    def make(image: Image, rng: Rng) -> Image:
        h, w = image.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        cx, cy = rng.uniform(0.3, 0.7) * w, rng.uniform(0.2, 0.6) * h
        spot = bloom * np.exp(-(((xx - cx) / w) ** 2 + ((yy - cy) / h) ** 2) / 0.25)
        return np.clip(image.astype(np.float32) * 0.6 + 120.0 + spot[..., None], 0, 255).astype(np.uint8)

    return make


def ir_cut(amount: float) -> Transform:
    """IR-cut filter stuck out by day: ``amount`` of IR light added to red and blue."""

    def make(image: Image, rng: Rng) -> Image:
        f = image.astype(np.float32)
        luma = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
        grey = 0.5 * f + 0.5 * luma[..., None]
        ir = amount * luma
        return np.clip((grey + np.stack([0.8 * ir, 0.15 * ir, 0.9 * ir], axis=-1)) * 0.85, 0, 255).astype(np.uint8)

    return make


#: Displacements: (label, dx share of width, dy share of height, degrees, zoom).
MOVES = [
    ("shift 5 %", 0.05, 0.0, 0, 1.0),
    ("shift 10 %", 0.1, 0.05, 0, 1.0),
    ("shift 20 %", 0.2, 0.1, 0, 1.0),
    ("rotate 4°", 0, 0, 4, 1.0),
    ("rotate 12°", 0, 0, 12, 1.0),
    ("zoom ×1.4", 0, 0, 0, 1.4),
]
STRENGTHS: dict[str, list[tuple[str, Transform]]] = {
    "black": [("level 0", black(0)), ("level 16", black(16)), ("level 8 + OSD", black(8, osd=True))],
    "covered": [
        ("bag", covered("bag", 30)),
        ("bag, leak", covered("bag", 110)),
        ("cloth", covered("cloth", 40)),
        ("hand", covered("hand", 40)),
        ("tape", covered("tape", 20)),
    ],
    "spray": [
        *((f"{round(c * 100)} %", spray(c)) for c in (0.2, 0.35, 0.5, 0.7)),
        *((f"{round(c * 100)} % + mist", spray_mist(c)) for c in (0.2, 0.35)),
    ],
    "defocused": [(f"sigma {s:g}", defocus(s)) for s in (1.5, 2, 3, 5, 8)],
    "overexposed": [
        ("bloom 420", glare(420)),
        ("bloom 250", glare(250)),
        ("gain ×3", lambda im, r: vh.exposure(im, 3)),
    ],
    "too_dark": [(f"IR light ×{f:g}", lambda im, r, f=f: vh.exposure(im, f)) for f in (0.25, 0.18, 0.1)],
    "ir_cut_stuck": [(f"IR {a:g}", ir_cut(a)) for a in (0.3, 0.45, 0.7)],
}
#: Day one only: covers that leave light or part of the view (judged after every other fault, so the samples of
#: the faults above, and the baseline evaluation, are unchanged).
MORE_COVERS: list[tuple[str, Transform]] = [
    ("plastic", plastic(0.75)),
    ("plastic, thin", plastic(0.55)),
    ("leaf, half", partial_cover("leaf", 0.5)),
    ("leaf, third", partial_cover("leaf", 0.33)),
    ("hand, half", partial_cover("hand", 0.5)),
    ("tape, 40 %", partial_cover("tape", 0.4)),
]
#: Day one only, after the MORE_COVERS: paint as one patch, not blotches, and blotches as far out of focus as paint
#: on the dome is (the samples before are unchanged).
MORE_SPRAYS: list[tuple[str, Transform]] = [
    ("patch 15 %", spray_patch(0.15)),
    ("patch 30 %", spray_patch(0.3)),
    ("35 %, out of focus", spray_dome(0.35)),
    ("60 %, out of focus", spray_dome(0.6)),
]
FROZEN = ("same bytes", "re-encoded", "re-encoded q-15", "OSD clock")
KINDS = ("black", "covered", "spray", "defocused", "displaced", "frozen", "overexposed", "too_dark", "ir_cut_stuck")


def _osd(image: Image, when: dt.datetime) -> Image:
    out = image.copy()
    cv2.putText(out, when.strftime("%Y-%m-%d %H:%M:%S"), (24, 44), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (240, 240, 240), 2)
    return out


def reencode(data: bytes, quality: int) -> bytes:
    """A recorder re-encoding the picture it last got: ``data`` decoded and encoded again at ``quality``."""
    return vh.camera_jpeg(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), 0, noise=0.0, quality=quality)


def fault_sample(scene: vs.Scene, kind: str, strength: int, rng: Rng) -> ve.Sample:
    """Fault ``kind`` at its ``strength``-th level on a random healthy frame of ``scene``."""
    p: ve.Params = {"noise": rng.uniform(1.5, 4.0), "quality": int(rng.integers(50, 91)), "ir": kind == "too_dark"}
    if p["ir"] or not scene.colour:
        p["noise"] = rng.uniform(4.0, 8.0)
    index = int(rng.integers(0, len(scene.sources)))
    before = ve.healthy_image(scene, p, rng, index - 5 if scene.is_video else index)
    previous = ve.shoot(before, rng, p["noise"], p["quality"])
    if kind == "frozen":
        label = FROZEN[strength]
        when = dt.datetime(2026, 11, 27, 3, 14, 0)
        if label == "OSD clock":  # the encoder is stuck but the DVR still stamps the time on each copy
            stuck = ve.healthy_image(scene, p, rng, index)
            noisy = np.clip(stuck + rng.normal(0, p["noise"], stuck.shape), 0, 255).astype(np.uint8)
            previous = vh.camera_jpeg(_osd(noisy, when), 0, noise=0.0, quality=p["quality"])
            frame = vh.camera_jpeg(_osd(noisy, when + dt.timedelta(minutes=5)), 0, noise=0.0, quality=p["quality"])
        elif label == "same bytes":
            frame = previous
        else:  # a recorder re-encoding the last picture it got
            frame = reencode(previous, p["quality"] - (15 if label.endswith("15") else 0))
        return ve.Sample(scene.name, kind, kind, label, frame, previous)
    if kind == "displaced":
        label, dx, dy, angle, zoom = MOVES[strength]
        w, h = scene.size
        sign = float(rng.choice([-1.0, 1.0]))
        image = vs.render(scene, index, sign * dx * w, dy * h, sign * angle, zoom)
        if not scene.colour:
            image = vh.ir_night(image)
    else:
        more = MORE_COVERS if kind == "covered" else MORE_SPRAYS if kind == "spray" else []
        label, transform = (STRENGTHS[kind] + more)[strength]
        image = transform(ve.healthy_image(scene, p, rng, index), rng)
        if not scene.colour and kind != "ir_cut_stuck":  # an IR-only camera sees paint and covers in grey
            image = vh.ir_night(image, 1.0)
    return ve.Sample(scene.name, kind, kind, label, ve.shoot(image, rng, p["noise"], p["quality"]), previous)


def levels(kind: str) -> int:
    """How many strengths ``kind`` is tried at."""
    return len(FROZEN) if kind == "frozen" else len(MOVES) if kind == "displaced" else len(STRENGTHS[kind])


def normal_makers(
    scene: vs.Scene, normal_per_kind: int, rng: Rng, kinds: tuple[str, ...] = ve.NORMAL_KINDS
) -> list[Callable[[], ve.Sample]]:
    """The scene's healthy samples, in order, as calls: ``normal_per_kind`` of each kind of ``kinds`` (twice
    that for "live" on video)."""
    samples: list[Callable[[], ve.Sample]] = []
    for kind in kinds:
        if kind == "ir_night" and not scene.colour:
            continue
        samples += [lambda k=kind: ve.normal_sample(scene, k, rng)] * normal_per_kind
    if scene.is_video:
        samples += [lambda: ve.normal_sample(scene, "live", rng)] * normal_per_kind
    return samples


def fault_makers(
    scene: vs.Scene, fault_repeats: int, rng: Rng, more_covers: bool = False
) -> list[Callable[[], ve.Sample]]:
    """``fault_repeats`` faults of every kind and strength of this generator, in order, as calls; with
    ``more_covers`` (day one), then the MORE_COVERS and the MORE_SPRAYS."""
    samples: list[Callable[[], ve.Sample]] = []
    for kind in KINDS:
        for level in range(levels(kind)):
            samples += [lambda k=kind, lv=level: fault_sample(scene, k, lv, rng)] * fault_repeats
    if more_covers:
        first = len(STRENGTHS["covered"])
        for level in range(first, first + len(MORE_COVERS)):
            samples += [lambda lv=level: fault_sample(scene, "covered", lv, rng)] * fault_repeats
        first = len(STRENGTHS["spray"])
        for level in range(first, first + len(MORE_SPRAYS)):
            samples += [lambda lv=level: fault_sample(scene, "spray", lv, rng)] * fault_repeats
    return samples


def judge_scene(
    name: str, normal_per_kind: int, fault_repeats: int, seed: int = 0
) -> Iterator[tuple[ve.Sample, Verdict]]:
    """Learn the scene's baseline, then judge its normal samples and faults (each with its predecessor)."""
    scene = vs.load_scene(name)
    baseline = ve.learn(scene, seed).to_dict()
    rng = np.random.default_rng([seed, sum(name.encode())])
    for make in normal_makers(scene, normal_per_kind, rng) + fault_makers(scene, fault_repeats, rng):
        sample = make()
        previous = analyze_jpeg(sample.previous, None, None, 4)[2]
        yield sample, analyze_jpeg(sample.frame, baseline, previous, 4)[1]


def first_pictures(name: str, seed: int = 0) -> list[FrameStats]:
    """What the scene's camera shows its peers: one healthy day picture (colour scenes) and one IR night one."""
    frames = ve.learning_frames(vs.load_scene(name), seed, samples=1)
    return [analyze_jpeg(data, None, None, 4)[0] for data in frames]


def judge_scene_alone(
    name: str,
    normal_per_kind: int,
    fault_repeats: int,
    peers: PeerView | None,
    seed: int = 0,
    generators: tuple[str, ...] = ("default",),
) -> Iterator[tuple[str, ve.Sample, Verdict]]:
    """Day one: the scene's healthy samples (``ve.DAY_ONE_KINDS``, rain included) and the faults of each of
    ``generators`` ("default": this module's; "alt": tests/vision_fault_alt.py's, never tuned on) judged with
    no baseline, against ``peers`` (the other cameras) and the sample before each. Yields (generator, sample,
    verdict), generator "" for a healthy sample; each generator's faults come from a stream of their own."""
    scene = vs.load_scene(name)
    rng = np.random.default_rng([seed, sum(name.encode()), 1])
    samples = [("", make) for make in normal_makers(scene, normal_per_kind, rng, ve.DAY_ONE_KINDS)]
    if "default" in generators:
        samples += [("default", make) for make in fault_makers(scene, fault_repeats, rng, more_covers=True)]
    if "alt" in generators:
        import vision_fault_alt as va  # here: it imports this module

        own = np.random.default_rng([seed, sum(name.encode()), 19, 1])
        for kind in va.KINDS:
            for level in range(va.levels_alt(kind)):
                make = lambda k=kind, lv=level: va.fault_sample_alt(scene, k, lv, own)  # noqa: E731
                samples += [("alt", make)] * fault_repeats
    for generator, make in samples:
        sample = make()
        previous = analyze_jpeg(sample.previous, None, None, 4)[2]
        yield generator, sample, analyze_jpeg(sample.frame, None, previous, 4, peers=peers)[1]
