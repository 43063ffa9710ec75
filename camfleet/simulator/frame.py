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
    dy, dx = rng.randrange(_PAD), rng.randrange(_PAD)
    out = cv2.add(img, pos[dy : dy + h, dx : dx + w])
    return np.asarray(cv2.subtract(out, neg[dy : dy + h, dx : dx + w]), np.uint8)


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


def _apply_faults(img: Image, req: FrameRequest, night: bool, rng: random.Random) -> Image:
    h, w = img.shape[:2]
    kinds = req.kinds
    if "black" in kinds:
        return np.zeros_like(img)
    if "covered" in kinds:
        # Lens covered (bag, tape, leaves): dark and flat, a little light leaking in from one edge.
        flat = _blur(img, 32).astype(np.float32) * 0.05
        leak = np.linspace(30, 0, w, dtype=np.float32)[None, :, None] * np.ones((h, 1, 1), np.float32)
        img = np.clip(flat + leak, 0, 255).astype(np.uint8)
    if "spray" in kinds:
        # Paint sprayed on the dome: opaque blotches over part of the frame.
        mask = np.zeros((h, w), np.float32)
        mrng = random.Random(req.seed + 99)
        for _ in range(7):
            c = (int(w * mrng.uniform(0.2, 0.8)), int(h * mrng.uniform(0.2, 0.8)))
            axes = (int(w * mrng.uniform(0.08, 0.22)), int(h * mrng.uniform(0.08, 0.25)))
            cv2.ellipse(mask, c, axes, mrng.uniform(0, 180), 0, 360, 1.0, -1)
        soft = np.asarray(cv2.GaussianBlur(mask, (0, 0), max(2.0, w / 120)), np.float32)[:, :, None]
        paint = np.full_like(img, (40, 45, 50)).astype(np.float32)
        smeared = _blur(img, 16).astype(np.float32) * 0.3 + paint * 0.7
        img = (img.astype(np.float32) * (1 - soft) + smeared * soft).astype(np.uint8)
    if "defocus" in kinds:
        img = _blur(img, 12)
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
