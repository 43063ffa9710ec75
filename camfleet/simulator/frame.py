"""One snapshot: cached base + moving people/vehicles + image faults + sensor noise + OSD → JPEG.

Per request this costs a copy, a few draws, two saturating adds and a JPEG encode (~20 ms at 1080p);
the scene itself comes from ``scene.BaseCache``. Runs in a worker thread (OpenCV releases the GIL).
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.simulator.scene import BaseCache, Image

_NOISE: dict[tuple[int, int, int, bool], tuple[Image, Image]] = {}
_NOISE_LOCK = threading.Lock()
_PAD = 32


@dataclass(frozen=True, slots=True)
class FrameRequest:
    """What to draw: which camera and size, its local time, name for the OSD and the faults in force."""

    seed: int
    width: int
    height: int
    local_time: float  # camera clock shifted to local time (epoch seconds)
    name: str
    kinds: frozenset[str]
    quality: int = 80
    material: str = ""  # covered: one of ``MATERIALS``; "" = drawn by the camera's seed
    blur: str = ""  # defocus: one of ``BLURS``; "" = drawn by the camera's seed
    paint: str = ""  # spray: one of ``PAINTS``; "" = drawn by the camera's seed


def is_night(local_time: float) -> bool:
    """IR mode between 18:30 and 06:30 camera local time."""
    t = time.gmtime(local_time)
    minutes = t.tm_hour * 60 + t.tm_min
    return minutes >= 18 * 60 + 30 or minutes < 6 * 60 + 30


def _noise(width: int, height: int, sigma: int, mono: bool) -> tuple[Image, Image]:
    """Positive and negative halves of a Gaussian noise field, a little larger than the frame.

    ``mono``: the same noise on every channel (an IR frame is monochrome, its noise too).
    """
    key = (width, height, sigma, mono)
    with _NOISE_LOCK:
        if key not in _NOISE:
            rng = np.random.default_rng(sigma)
            shape = (height + _PAD, width + _PAD, 1 if mono else 3)
            n = rng.normal(0, sigma, shape).astype(np.int16)
            if mono:
                n = np.repeat(n, 3, axis=2)
            _NOISE[key] = (np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8))
        return _NOISE[key]


def _add_noise(img: Image, sigma: int, rng: random.Random, mono: bool) -> Image:
    h, w = img.shape[:2]
    pos, neg = _noise(w, h, sigma, mono)
    # Each half at its own offset: with one offset for both, a flat picture (a cloth over the lens) repeated
    # itself pixel for pixel once in ~1,000 samples and read frozen; a sensor's noise never repeats.
    dy, dx, ny, nx = (rng.randrange(_PAD) for _ in range(4))
    out = cv2.add(img, pos[dy : dy + h, dx : dx + w])
    return np.asarray(cv2.subtract(out, neg[ny : ny + h, nx : nx + w]), np.uint8)


def _movers(img: Image, seed: int, now: float, night: bool) -> None:
    """People and vehicles moving along the lower half; positions follow the clock."""
    h, w = img.shape[:2]
    rng = random.Random(seed + 17)
    for k in range(rng.randint(2, 5)):
        period, phase = rng.uniform(20, 90), rng.uniform(0, 1)
        f = ((now / period) + phase) % 1.0
        x = int(w * (0.05 + 0.9 * f)) if k % 2 == 0 else int(w * (0.95 - 0.9 * f))
        y = int(h * rng.uniform(0.6, 0.92))
        s = max(3, int(h * 0.05 * (0.5 + y / h)))
        if k % 3 == 0:
            color = (200, 200, 200) if night else rng.choice([(30, 30, 160), (160, 60, 20), (220, 220, 220)])
            cv2.rectangle(img, (x - s, y - s // 2), (x + s, y + s // 3), color, -1)
            cv2.circle(img, (x - s // 2, y + s // 3), max(1, s // 4), (20, 20, 20), -1)
            cv2.circle(img, (x + s // 2, y + s // 3), max(1, s // 4), (20, 20, 20), -1)
        else:
            color = (170, 170, 170) if night else (rng.randint(20, 200), rng.randint(20, 120), rng.randint(20, 200))
            cv2.ellipse(img, (x, y - s // 2), (max(1, s // 5), s // 2), 0, 0, 360, color, -1)
            cv2.circle(img, (x, y - s - s // 6), max(1, s // 6), (60, 80, 120), -1)


def _blur(img: Image, factor: int) -> Image:
    """Strong blur, cheaply: shrink, blur, grow back (a 1080p Gaussian of sigma ~20 is 10× slower)."""
    h, w = img.shape[:2]
    small = cv2.resize(img, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), 1.5)
    return np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR), np.uint8)


#: Cover materials (scenario key ``material``): a camera covered with no material given gets one by its seed.
MATERIALS = ("dark_cloth", "grey_cloth", "translucent", "leaf")
MATERIAL_SALT = 11
#: Defocus blurs (scenario key ``blur``): a real lens out of focus blurs with a disc (pillbox), not a Gaussian.
BLURS = ("disc", "gaussian")
#: Spray paint (scenario key ``paint``): ``mist``, blotches and a mist of paint over the rest of the dome; ``burst``,
#: one even blot of one colour from a can sprayed once, close, the rest of the view clear (no mist to give it away).
PAINTS = ("mist", "burst")
PAINT_SALT = 17


def pick(options: tuple[str, ...], given: str, seed: int, salt: int) -> str:
    """``given`` if set, else one of ``options`` drawn from the camera's seed (same camera, same choice)."""
    return given or random.Random(seed + salt).choice(options)


def _disc_blur(img: Image, radius: float) -> Image:
    """Defocus as a lens does it: a pillbox kernel of ``radius`` px, drawn at a quarter scale (cheap at 1080p)."""
    h, w = img.shape[:2]
    f = 4 if min(h, w) >= 200 else 1
    small = cv2.resize(img, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA) if f > 1 else img
    r = max(1.0, radius / f)
    n = math.ceil(r) * 2 + 1
    kernel = np.zeros((n, n), np.float32)
    cv2.circle(kernel, (n // 2, n // 2), round(r), 1.0, -1, cv2.LINE_AA)
    kernel /= kernel.sum()
    out = cv2.filter2D(small, -1, kernel, borderType=cv2.BORDER_REFLECT)
    return np.asarray(cv2.resize(out, (w, h), interpolation=cv2.INTER_LINEAR) if f > 1 else out, np.uint8)


def _soft(mask: npt.NDArray[np.float32], sigma: float, w: int, h: int) -> npt.NDArray[np.float32]:
    """``mask`` (drawn at a quarter scale) blurred by ``sigma`` full-scale px and grown to w×h, as H×W×1."""
    soft = cv2.GaussianBlur(mask, (0, 0), max(0.5, sigma / 4))
    return np.asarray(cv2.resize(soft, (w, h), interpolation=cv2.INTER_LINEAR), np.float32)[:, :, None]


def _cover(img: Image, material: str, seed: int) -> Image:
    """A covered lens. The field's covers are not all black: cloth of any shade, a plastic bag the scene
    shows faintly through, a leaf stuck over a corner of the dome (the rest of the view still there)."""
    h, w = img.shape[:2]
    qw, qh = max(1, w // 4), max(1, h // 4)
    mrng = random.Random(seed + 41)
    if material in ("dark_cloth", "grey_cloth"):
        # Cloth right on the lens: flat, out of focus, lit unevenly from the side the light leaks in.
        level = mrng.uniform(20, 40) if material == "dark_cloth" else mrng.uniform(95, 150)
        side = np.linspace(0, 1, w, dtype=np.float32)[None, :]
        side = side if mrng.random() < 0.5 else 1 - side
        leak = (30 if material == "dark_cloth" else 15) * np.clip(0.15 - side, 0, 1) / 0.15
        shade = np.repeat(level * (0.75 + 0.5 * side) + leak, h, axis=0)
        tint = np.array([1.0, 1.0, 1.0] if material == "grey_cloth" else [1.1, 1.0, 0.95], np.float32)
        return np.clip(shade[:, :, None] * tint, 0, 255).astype(np.uint8)
    if material == "translucent":
        # A milky plastic bag: the scene faintly through it, much softer and lower in contrast, a few creases.
        out = _disc_blur(img, w / 45).astype(np.float32) * 0.3 + mrng.uniform(150, 200) * 0.7
        crease = np.zeros((qh, qw), np.float32)
        for _ in range(mrng.randint(2, 4)):
            p0 = (int(qw * mrng.uniform(0, 1)), int(qh * mrng.uniform(0, 1)))
            p1 = (int(qw * mrng.uniform(0, 1)), int(qh * mrng.uniform(0, 1)))
            cv2.line(crease, p0, p1, 1.0, max(1, qw // 60))
        return np.asarray(np.clip(out + 18 * _soft(crease, max(2.0, w / 100), w, h), 0, 255), np.uint8)
    # A leaf over a corner, close to the lens so out of focus: dark green, its midrib lighter, half the view gone.
    corner = (mrng.choice((0, qw)), mrng.choice((0, qh)))
    axes = (int(qw * mrng.uniform(0.6, 0.8)), int(qh * mrng.uniform(0.75, 1.0)))
    mask = np.zeros((qh, qw), np.float32)
    cv2.ellipse(mask, corner, axes, mrng.uniform(-25, 25), 0, 360, 1.0, -1)
    cv2.line(mask, corner, (qw // 2, qh // 2), 0.8, 1)
    soft = np.clip(_soft(mask, w / 40, w, h) * 1.05, 0, 1)
    leaf = np.array([25, mrng.uniform(55, 85), 35], np.float32) * (0.8 + 0.25 * soft)
    return np.asarray(img.astype(np.float32) * (1 - soft) + leaf * soft, np.uint8)


def _burst(img: Image, seed: int) -> Image:
    """One burst of paint on the dome: an even, opaque blot of one colour over 8–18 % of the view, inside it, its
    outline ragged a little and softened (the dome is out of focus), the rest of the picture untouched."""
    h, w = img.shape[:2]
    qw, qh = max(1, w // 4), max(1, h // 4)
    mrng = random.Random(seed + 98)
    share = mrng.uniform(0.08, 0.18)
    a = math.sqrt(share * qw * qh / math.pi * mrng.uniform(0.7, 1.4))
    b = share * qw * qh / math.pi / a
    cx, cy, turn = qw * mrng.uniform(0.35, 0.65), qh * mrng.uniform(0.35, 0.65), mrng.uniform(0, math.pi)
    phases = [mrng.uniform(0, 6.3) for _ in range(3)]
    points = []
    for i in range(72):
        t = 2 * math.pi * i / 72
        r = 1 + sum(0.06 * math.cos(k * t + p) for k, p in zip((2, 3, 5), phases, strict=True))
        x, y = a * r * math.cos(t), b * r * math.sin(t)
        points.append((cx + x * math.cos(turn) - y * math.sin(turn), cy + x * math.sin(turn) + y * math.cos(turn)))
    mask = np.zeros((qh, qw), np.float32)
    cv2.fillPoly(mask, [np.array(points, np.int32)], 1.0)
    soft = _soft(mask, max(2.0, w / 200), w, h)
    paint = np.array([mrng.uniform(20, 200), mrng.uniform(20, 200), mrng.uniform(20, 200)], np.float32)
    return np.asarray(img.astype(np.float32) * (1 - soft) + paint * soft, np.uint8)


def _spray(img: Image, seed: int) -> Image:
    """Paint sprayed on the dome: opaque blotches over part of the frame and a mist of it over the rest."""
    h, w = img.shape[:2]
    qw, qh = max(1, w // 4), max(1, h // 4)
    mask = np.zeros((qh, qw), np.float32)
    mrng = random.Random(seed + 99)
    for _ in range(7):
        c = (int(qw * mrng.uniform(0.2, 0.8)), int(qh * mrng.uniform(0.2, 0.8)))
        axes = (int(qw * mrng.uniform(0.08, 0.22)), int(qh * mrng.uniform(0.08, 0.25)))
        cv2.ellipse(mask, c, axes, mrng.uniform(0, 180), 0, 360, 1.0, -1)
    soft = _soft(mask, max(2.0, w / 120), w, h)
    paint = np.array([mrng.uniform(35, 70), 45, mrng.uniform(45, 80)], np.float32)
    # The mist: fine droplets everywhere scatter light (softer, lower contrast, tinted by the paint).
    haze = mrng.uniform(0.3, 0.5)
    misted = _disc_blur(img, w / 250).astype(np.float32) * (1 - haze) + (paint + 90) * haze
    smeared = _blur(img, 16).astype(np.float32) * 0.3 + paint * 0.7
    return (misted * (1 - soft) + smeared * soft).astype(np.uint8)


def _defocus(img: Image, blur: str, seed: int) -> Image:
    """Out of focus: a disc (pillbox) of a radius drawn per camera, or a Gaussian as before."""
    w = img.shape[1]
    if blur == "gaussian":
        return _blur(img, 12)
    return _disc_blur(img, w * random.Random(seed + 5).uniform(0.009, 0.016))


def _apply_faults(img: Image, req: FrameRequest, night: bool, rng: random.Random) -> Image:
    h, w = img.shape[:2]
    kinds = req.kinds
    if "black" in kinds:
        return np.zeros_like(img)
    if "covered" in kinds:
        img = _cover(img, pick(MATERIALS, req.material, req.seed, MATERIAL_SALT), req.seed)
    if "spray" in kinds:
        burst = pick(PAINTS, req.paint, req.seed, PAINT_SALT) == "burst"
        img = _burst(img, req.seed) if burst else _spray(img, req.seed)
    if "defocus" in kinds:
        # The OSD is drawn after this (``render_frame``): a camera overlays it sharp on a blurred picture.
        img = _defocus(img, pick(BLURS, req.blur, req.seed, 13), req.seed)
    if "glare" in kinds:
        yy, xx = np.ogrid[0:h, 0:w]
        cx, cy = w * 0.7, h * 0.25
        flare = 255.0 * np.exp(-(((xx - cx) / (w * 0.35)) ** 2 + ((yy - cy) / (h * 0.45)) ** 2))
        img = np.clip(img.astype(np.float32) * 1.7 + 60 + flare[:, :, None], 0, 255).astype(np.uint8)
    if "ir_cut" in kinds and not night:
        # IR-cut filter stuck open by day: near-IR floods the sensor, everything turns magenta/pink.
        f = img.astype(np.float32)
        f = f * np.array([1.0, 0.55, 1.1], np.float32) + np.array([35, 0, 55], np.float32)
        img = np.clip(f, 0, 255).astype(np.uint8)
    return img


def _osd(img: Image, req: FrameRequest, shown_time: float) -> None:
    h, _w = img.shape[:2]
    scale = h / 720
    text = time.strftime("%Y-%m-%d %H:%M:%S %a", time.gmtime(shown_time))
    name = req.name.encode("ascii", "replace").decode()
    thick = max(1, int(2 * scale))
    for label, org in ((text, (int(20 * scale), int(40 * scale))), (name, (int(20 * scale), h - int(24 * scale)))):
        cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.9 * scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(img, label, org, cv2.FONT_HERSHEY_SIMPLEX, 0.9 * scale, (255, 255, 255), thick, cv2.LINE_AA)


def render_frame(req: FrameRequest, cache: BaseCache) -> bytes:
    """Draw and encode one snapshot."""
    night = is_night(req.local_time)
    ir_stuck_closed = night and "ir_cut" in req.kinds
    # A stuck IR-cut filter at night keeps the sensor in colour mode: a dark, colour, noisy picture.
    mode = "day" if (not night or ir_stuck_closed) else "night"
    view = "displaced" if "displaced" in req.kinds else "normal"
    img = cache.get(req.seed, req.width, req.height, mode, view).copy()
    rng = random.Random(req.local_time)
    _movers(img, req.seed, req.local_time, mode == "night")
    img = _apply_faults(img, req, night, rng)
    if ir_stuck_closed:
        img = (img.astype(np.float32) * 0.3).astype(np.uint8)
    # Night gain amplifies sensor noise.
    img = _add_noise(img, 10 if night else 4, rng, mono=mode == "night")
    _osd(img, req, math.floor(req.local_time))
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, req.quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 BGR image
        raise RuntimeError("JPEG encoding failed")
    return bytes(buf)
