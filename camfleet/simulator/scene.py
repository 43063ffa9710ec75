"""The static part of a camera's picture: a deterministic rural scene per camera, day colour or IR night.

Drawn once per (camera, resolution, mode, view) and kept in a byte-bounded LRU cache; per request only
moving objects, faults, noise and the OSD are added (see ``frame``). Geometry is in relative units, so
the main and sub streams show the same scene.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


def _hills(rng: random.Random, w: int, h: int, base_y: float, amp: float) -> npt.NDArray[np.int32]:
    xs = np.linspace(0, w, 64)
    ys = np.full_like(xs, base_y * h)
    for _ in range(3):
        ys += rng.uniform(0.3, 1.0) * amp * h * np.sin(xs / w * rng.uniform(2, 9) + rng.uniform(0, 6.3))
    pts = np.stack([xs, ys], axis=1).astype(np.int32)
    return np.vstack([pts, [[w, h], [0, h]]]).astype(np.int32)


def _house(img: Image, rng: random.Random, x: int, y: int, s: int) -> None:
    wall = rng.choice([(200, 205, 210), (180, 190, 200), (150, 170, 190), (215, 215, 205)])
    roof = rng.choice([(60, 60, 150), (90, 90, 90), (50, 70, 120), (110, 100, 90)])
    bw, bh = int(s * rng.uniform(1.2, 2.0)), s
    cv2.rectangle(img, (x, y - bh), (x + bw, y), wall, -1)
    roof_pts = np.array([[x - s // 6, y - bh], [x + bw + s // 6, y - bh], [x + bw // 2, y - bh - s // 2]], np.int32)
    cv2.fillPoly(img, [roof_pts], roof)
    for k in range(max(1, bw // max(1, s // 2))):
        wx = x + s // 6 + k * (s // 2)
        if wx + s // 5 < x + bw:
            cv2.rectangle(img, (wx, y - bh + s // 4), (wx + s // 5, y - bh + s // 2), (70, 60, 50), -1)


def _tree(img: Image, rng: random.Random, x: int, y: int, s: int) -> None:
    cv2.line(img, (x, y), (x, y - s), (40, 55, 70), max(1, s // 10))
    green = (rng.randint(20, 50), rng.randint(80, 130), rng.randint(30, 60))
    for _ in range(5):
        cx, cy = x + rng.randint(-s // 3, s // 3), y - s - rng.randint(-s // 4, s // 3)
        cv2.circle(img, (cx, cy), max(2, int(s * rng.uniform(0.25, 0.45))), green, -1, cv2.LINE_AA)


def render_day(seed: int, width: int, height: int) -> Image:
    """The daytime colour scene of camera ``seed``: sky, hills, fields, road, houses, trees, texture."""
    rng = random.Random(seed)
    w, h = width, height
    horizon = rng.uniform(0.32, 0.48)
    img = np.zeros((h, w, 3), np.uint8)
    top, low = np.array([200, 150, 90], float), np.array([235, 215, 190], float)
    t = np.linspace(0, 1, int(horizon * h) + 1)[:, None]
    img[: len(t)] = (top * (1 - t) + low * t).astype(np.uint8)[:, None, :]
    far = (rng.randint(120, 150), rng.randint(130, 150), rng.randint(100, 120))
    cv2.fillPoly(img, [_hills(rng, w, h, horizon - 0.06, 0.05)], far)
    cv2.fillPoly(img, [_hills(rng, w, h, horizon, 0.03)], (rng.randint(40, 70), rng.randint(110, 140), 80))
    vx = int(w * rng.uniform(0.35, 0.65))
    hy = int(horizon * h) + h // 40
    road = np.array([[vx - w // 60, hy], [vx + w // 60, hy], [int(w * 0.95), h], [int(w * 0.15), h]], np.int32)
    cv2.fillPoly(img, [road], (105, 110, 115))
    for k in range(8):
        f0, f1 = (k + 0.3) / 8, (k + 0.7) / 8
        p0 = (int(vx + (w * 0.55 - vx) * f0**2), int(hy + (h - hy) * f0**2))
        p1 = (int(vx + (w * 0.55 - vx) * f1**2), int(hy + (h - hy) * f1**2))
        cv2.line(img, p0, p1, (230, 230, 230), max(1, int(w / 400 * (1 + 4 * f1))))
    for _ in range(rng.randint(3, 6)):
        s = int(h * rng.uniform(0.06, 0.12))
        _house(img, rng, int(w * rng.uniform(0.02, 0.85)), hy + rng.randint(0, h // 12), s)
    for _ in range(rng.randint(6, 12)):
        s = int(h * rng.uniform(0.08, 0.25))
        _tree(img, rng, int(w * rng.uniform(0, 1)), int(hy + rng.uniform(0.02, 0.5) * (h - hy)), s)
    cv2.line(img, (int(w * 0.9), hy - h // 5), (int(w * 0.9), h), (60, 60, 60), max(2, w // 300))
    return _texture(img, seed, horizon)


def _texture(img: Image, seed: int, horizon: float) -> Image:
    """Mottled ground and fine grain: fields are not flat colour, and detectors need edges to find."""
    h, w = img.shape[:2]
    nrng = np.random.default_rng(seed)
    coarse = cv2.resize(nrng.normal(0, 14, (h // 24 + 1, w // 24 + 1)).astype(np.float32), (w, h))
    fine = nrng.normal(0, 6, (h, w)).astype(np.float32)
    mask = np.zeros((h, 1), np.float32)
    mask[int(horizon * h) :] = 1.0
    delta = (coarse + fine) * mask
    return np.clip(img.astype(np.float32) + delta[:, :, None], 0, 255).astype(np.uint8)


def render_night(day: Image) -> Image:
    """IR night from the day scene: vegetation bright (it reflects near-IR), sky black, vignetting."""
    h, w = day.shape[:2]
    b, g, r = cv2.split(day.astype(np.float32))
    gray = 0.15 * b + 0.65 * g + 0.2 * r
    sky = (b > r + 40) & (b > 150)
    gray[sky] *= 0.15
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h * 0.6) / (h * 0.7)) ** 2
    gray = gray * np.clip(1.25 - 0.75 * d, 0.15, 1.2)
    out = np.clip(gray * 0.8, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(out, cv2.COLOR_GRAY2BGR), np.uint8)


def render_view(seed: int, width: int, height: int, mode: str, view: str) -> Image:
    """A cached-to-be base: ``mode`` is ``day`` or ``night``; ``view`` ``normal`` or ``displaced``."""
    if view == "displaced":
        # Knocked or turned camera: another part of the landscape, tilted.
        day = render_day(seed ^ 0x5EED, width, height)
        m = cv2.getRotationMatrix2D((width / 2, height / 2), 9.0, 1.15)
        day = np.asarray(cv2.warpAffine(day, m, (width, height), borderMode=cv2.BORDER_REFLECT), np.uint8)
    else:
        day = render_day(seed, width, height)
    return day if mode == "day" else render_night(day)


class BaseCache:
    """LRU cache of rendered bases, bounded by bytes (a 1080p base is 6 MB; the fleet has thousands)."""

    def __init__(self, max_bytes: int = 160 * 1024 * 1024) -> None:
        self._max = max_bytes
        self._items: OrderedDict[tuple[int, int, int, str, str], Image] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, seed: int, width: int, height: int, mode: str, view: str) -> Image:
        """The base, rendered on first use."""
        key = (seed, width, height, mode, view)
        with self._lock:
            img = self._items.get(key)
            if img is not None:
                self._items.move_to_end(key)
                return img
        img = render_view(seed, width, height, mode, view)
        img.setflags(write=False)
        with self._lock:
            if key not in self._items:
                self._items[key] = img
                self._bytes += img.nbytes
            while self._bytes > self._max and len(self._items) > 1:
                _, old = self._items.popitem(last=False)
                self._bytes -= old.nbytes
        return img

    @property
    def nbytes(self) -> int:
        """Bytes held."""
        return self._bytes
