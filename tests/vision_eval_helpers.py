"""The vision evaluation set: healthy variation and tampering at several strengths, on real scenes.

``scene_samples`` yields, for one scene, what its camera would send: normal samples (real video motion,
exposure drift, JPEG quality, sensor noise, haze, IR night, shake, passers-by, and mixes of them) and
faults of every kind at graded strengths, each with the sample taken a few minutes before it (the frozen
test compares the two). Everything is seeded: the same call builds the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import vision_helpers as vh
import vision_scene_helpers as vs

from camfleet.vision import Baseline, analyze_jpeg

Image = vs.Image
Rng = np.random.Generator
Params = dict[str, Any]


@dataclass(frozen=True)
class Sample:
    """One picture to judge: its truth (``ok`` or a status word), family, strength, bytes and predecessor."""

    scene: str
    truth: str
    case: str
    strength: str
    frame: bytes
    previous: bytes


#: ``CAMFLEET_EVAL_OSD=1`` (``vision_eval.py --osd``): every picture the cameras send carries an on-screen display,
#: as a field camera's does (clock and name, white with a dark outline, drawn after the lens, over any fault);
#: ``=zh`` (``--osd zh``): in Chinese, as most of a county's cameras are set up (年月日, 星期, the point's name).
OSD_ENV = "CAMFLEET_EVAL_OSD"
#: The Chinese OSD's glyphs (Debian's fonts-noto-cjk).
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
OSD_NAMES_ZH = ("殷汇镇东村村口", "梅街镇 02 学校", "双溪镇西湾村主路口 01", "通道 07")
WEEKDAYS_ZH = "一二三四五六日"
#: Where the encoder puts its clock and name (the makes differ): top left / bottom right, top right / bottom left,
#: both on the left; and the names it shows (channel names are pinyin or a number on these encoders).
OSD_LAYOUTS = (("tl", "br"), ("tr", "bl"), ("tl", "bl"))
OSD_NAMES = ("DONGCUN CUNKOU", "Camera 01", "YINHUI ZHEN 3", "CH07 XUEXIAO")


def stamp_osd(image: Image, tick: int) -> Image:
    """``image`` with the ``tick``-th OSD drawn on it (the layout, name and clock vary from tick to tick)."""
    out = image.copy()
    h, w = out.shape[:2]
    scale = h / 720
    when = dt.datetime(2026, 12, 6, 8, 0, 0) + dt.timedelta(seconds=97 * tick)
    clock = when.strftime("%Y-%m-%d %a %H:%M:%S")
    layout = OSD_LAYOUTS[tick % len(OSD_LAYOUTS)]
    font, size, thick = cv2.FONT_HERSHEY_SIMPLEX, 0.9 * scale, max(1, round(2 * scale))
    for text, corner in ((clock, layout[0]), (OSD_NAMES[tick % len(OSD_NAMES)], layout[1])):
        (tw, th), _ = cv2.getTextSize(text, font, size, thick)
        x = int(24 * scale) if corner[1] == "l" else w - tw - int(24 * scale)
        y = int(24 * scale) + th if corner[0] == "t" else h - int(24 * scale)
        cv2.putText(out, text, (x, y), font, size, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(out, text, (x, y), font, size, (255, 255, 255), thick, cv2.LINE_AA)
    return out


def stamp_osd_zh(image: Image, tick: int) -> Image:
    """``image`` with the ``tick``-th Chinese OSD: ``2026年12月06日 星期日 08:01:37`` and a point's name, in one of
    the layouts above, 26–34 px high at 720 lines (the makes differ), white with a dark outline."""
    from PIL import Image as PilImage
    from PIL import ImageDraw, ImageFont

    if not os.path.exists(CJK_FONT):
        raise SystemExit(f"--osd zh needs the Chinese OSD's glyphs: {CJK_FONT} (Debian: fonts-noto-cjk)")
    h, w = image.shape[:2]
    scale = h / 720
    size = max(8, round((26 + 2 * (tick % 5)) * scale))
    font = ImageFont.truetype(CJK_FONT, size)
    when = dt.datetime(2026, 12, 6, 8, 0, 0) + dt.timedelta(seconds=97 * tick)
    clock = when.strftime("%Y年%m月%d日 星期") + WEEKDAYS_ZH[when.weekday()] + when.strftime(" %H:%M:%S")
    layout = OSD_LAYOUTS[tick % len(OSD_LAYOUTS)]
    picture = PilImage.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(picture)
    margin, stroke = int(24 * scale), max(1, round(2 * scale))
    for text, corner in ((clock, layout[0]), (OSD_NAMES_ZH[tick % len(OSD_NAMES_ZH)], layout[1])):
        width = draw.textlength(text, font=font)
        x = margin if corner[1] == "l" else w - margin - width
        y = margin if corner[0] == "t" else h - margin - size
        draw.text((x, y), text, font=font, fill=(255, 255, 255), stroke_width=stroke, stroke_fill=(0, 0, 0))
    return np.asarray(cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2BGR), np.uint8)


def with_osd(image: Image) -> Image:
    """``image`` stamped with an OSD when the evaluation asks for one (``OSD_ENV``), else as it is. Its clock and
    layout follow from the picture (a sparse pixel sum), so a sample is the same bytes in any worker, any order."""
    which = os.environ.get(OSD_ENV)
    if which not in ("1", "zh"):
        return image
    tick = int(np.asarray(image[::61, ::67], np.int64).sum())
    return stamp_osd_zh(image, tick) if which == "zh" else stamp_osd(image, tick)


def shoot(image: Image, rng: Rng, noise: float, quality: int) -> bytes:
    """What the camera sends: fresh Gaussian sensor noise of ``noise`` levels, JPEG at ``quality``."""
    noisy = with_osd(image).astype(np.float32) + rng.normal(0.0, noise, image.shape).astype(np.float32)
    ok, buf = cv2.imencode(".jpg", np.clip(noisy, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(buf.tobytes())


def haze(image: Image, t: float, airlight: float) -> Image:
    """Light fog: a share ``t`` of every pixel replaced by the grey airlight."""
    return np.clip(image.astype(np.float32) * (1 - t) + airlight * t, 0, 255).astype(np.uint8)


def occlude(image: Image, rng: Rng, area: float) -> Image:
    """A passer-by: a tall, soft-edged patch of another real photo covering ``area`` of the frame."""
    h, w = image.shape[:2]
    ph = int(h * rng.uniform(0.4, 0.8))
    pw = max(8, int(area * h * w / ph / 0.8))  # the ellipse fills ~80 % of its box
    donor = vs.render(vs.load_scene(str(rng.choice(["astronaut", "chelsea", "motorcycle"]))))
    dy0, dx0 = int(rng.integers(0, donor.shape[0] - ph)), int(rng.integers(0, donor.shape[1] - pw))
    patch = donor[dy0 : dy0 + ph, dx0 : dx0 + pw].astype(np.float32)
    mask = np.zeros((ph, pw), np.float32)
    cv2.ellipse(mask, (pw // 2, ph // 2), (pw // 2, ph // 2), 0, 0, 360, 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 2.0)[..., None]
    x, y = int(rng.integers(0, w - pw)), int(rng.integers(h - ph - h // 10, h - ph + 1))
    out = image.astype(np.float32)
    out[y : y + ph, x : x + pw] = out[y : y + ph, x : x + pw] * (1 - mask) + patch * mask
    return np.clip(out, 0, 255).astype(np.uint8)


def exposure(image: Image, factor: float) -> Image:
    """Exposure drift through a camera's tone curve: linear up to a knee at 200, highlights rolled off."""
    y = image.astype(np.float32) * factor
    knee = 200.0
    rolled = knee + (255.0 - knee) * (1.0 - np.exp(-(y - knee) / (255.0 - knee)))
    return np.clip(np.where(y > knee, rolled, y), 0, 255).astype(np.uint8)


# --- healthy variation ----------------------------------------------------------------------------------

#: How far (full-resolution pixels, each way) the view sways between two samples minutes apart (the
#: baseline's learning samples; a normal sample and the one before it).
LEARN_SWAY = 2.0
NORMAL_KINDS = ("live", "exposure", "jpeg", "noise", "haze", "ir_night", "shake", "passer_by", "mixed")
#: The day-one evaluation's healthy kinds: the same, plus rain and ``ir_lit`` (IR night lit by the camera's own
#: illuminator: far parts and the sky dark; ``vision_helpers.ir_lit``). Not in NORMAL_KINDS, so that the baseline
#: evaluation's seeded samples, and its recorded figures, stay what they were.
DAY_ONE_KINDS = (*NORMAL_KINDS, "rain", "ir_lit")


IR_KINDS = ("ir_night", "ir_lit")


def rain(image: Image, rng: Rng, amount: float) -> Image:
    """Rain: ``amount`` (0..1) sets how many falling drops (short, slanted, soft bright streaks: drops
    lit from the camera's side, smeared by the exposure) and how much veil (the rain's mist, up to 15 %)."""
    h, w = image.shape[:2]
    streaks = np.zeros((h, w), np.float32)
    angle = rng.uniform(-0.35, 0.35)  # wind: radians off vertical
    for _ in range(int(amount * w * h / 900)):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        length = rng.uniform(0.02, 0.06) * h
        end = (int(x + length * np.sin(angle)), int(y + length * np.cos(angle)))
        cv2.line(streaks, (x, y), end, float(rng.uniform(0.3, 1.0)), 1, cv2.LINE_AA)
    streaks = cv2.GaussianBlur(streaks, (0, 0), 0.8)[..., None]
    veil = 0.15 * amount
    out = image.astype(np.float32) * (1 - veil) + 180.0 * veil
    return np.clip(out + streaks * rng.uniform(25, 60), 0, 255).astype(np.uint8)


def normal_params(kind: str, rng: Rng) -> Params:
    """Camera settings and conditions for one healthy sample of ``kind`` (shared with its predecessor)."""
    p: Params = {"noise": rng.uniform(1.5, 3.5), "quality": int(rng.integers(70, 91)), "ir": kind in IR_KINDS}
    sign = float(rng.choice([-1.0, 1.0]))
    if kind == "exposure":
        p["exposure"] = 1.0 + sign * rng.uniform(0.2, 0.3)
    elif kind == "jpeg":
        p.update(quality=int(rng.integers(30, 96)), noise=rng.uniform(1.0, 3.0))
    elif kind == "noise":
        p["noise"] = rng.uniform(4.0, 10.0)
    elif kind == "haze":
        p["haze"] = (rng.uniform(0.15, 0.35), rng.uniform(170, 220))
    elif kind == "ir_night":
        p.update(ir_gain=rng.uniform(0.5, 0.9), noise=rng.uniform(4.0, 8.0))
    elif kind == "ir_lit":
        p.update(ir_lit=(rng.uniform(0.9, 1.4), rng.uniform(0.05, 0.25)), noise=rng.uniform(6.0, 12.0))
    elif kind == "shake":
        p["shake"] = (sign * rng.uniform(1, 3), float(rng.choice([-1, 1])) * rng.uniform(0, 3), rng.uniform(-0.3, 0.3))
    elif kind == "passer_by":
        p["passer_by"] = rng.uniform(0.05, 0.15)
    elif kind == "rain":
        p.update(rain=rng.uniform(0.3, 1.0), exposure=rng.uniform(0.75, 0.95))
    elif kind == "mixed":
        p.update(exposure=rng.uniform(0.75, 1.25), quality=int(rng.integers(30, 96)), noise=rng.uniform(1.0, 8.0))
        if rng.random() < 0.3:
            p["haze"] = (rng.uniform(0.1, 0.3), rng.uniform(170, 220))
        if rng.random() < 0.5:
            p["shake"] = (rng.uniform(-3, 3), rng.uniform(-3, 3), rng.uniform(-0.3, 0.3))
        if rng.random() < 0.4:
            p["passer_by"] = rng.uniform(0.03, 0.12)
    return p


def healthy_image(scene: vs.Scene, p: Params, rng: Rng, index: int, occluded: bool = True) -> Image:
    """The scene as seen under ``p``: view (frame ``index``, shake), exposure, haze, passer-by, IR."""
    dx, dy, angle = p.get("shake", (0.0, 0.0, 0.0))
    image = vs.render(scene, index, dx, dy, angle)
    if occluded and "passer_by" in p:
        image = occlude(image, rng, p["passer_by"])
    if "exposure" in p:
        image = exposure(image, p["exposure"])
    if "haze" in p:
        image = haze(image, *p["haze"])
    if "rain" in p:
        image = rain(image, rng, p["rain"])
    if "ir_lit" in p:
        image = vh.ir_lit(image, *p["ir_lit"])
    elif p["ir"] or not scene.colour:
        image = vh.ir_night(image, p.get("ir_gain", 0.75))
    return image


def normal_sample(scene: vs.Scene, kind: str, rng: Rng) -> Sample:
    """One healthy sample of ``kind`` and the sample before it (earlier video frame, fresh noise)."""
    p = normal_params(kind, rng)
    if not scene.colour:
        p["noise"] = max(p["noise"], 4.0)
    index = int(rng.integers(0, len(scene.sources)))
    earlier = index - int(rng.integers(3, 16)) if scene.is_video else index
    frame = shoot(healthy_image(scene, p, rng, index), rng, p["noise"], p["quality"])
    # The sample before it, minutes earlier: the same conditions, the mounting swayed elsewhere.
    dx, dy, angle = p.get("shake", (0.0, 0.0, 0.0))
    before = {
        **p,
        "shake": (dx + rng.uniform(-LEARN_SWAY, LEARN_SWAY), dy + rng.uniform(-LEARN_SWAY, LEARN_SWAY), angle),
    }
    previous = shoot(healthy_image(scene, before, rng, earlier, occluded=False), rng, p["noise"], p["quality"])
    strength = kind if kind != "mixed" else "mixed"
    return Sample(scene.name, "ok", kind, strength, frame, previous)


def learning_frames(scene: vs.Scene, seed: int = 0, samples: int = 5) -> list[bytes]:
    """What the camera sends while its baseline learns: ``samples`` healthy day frames (spread over a video
    shot), then as many IR night ones, each with fresh noise and the mounting's sway.

    The sway (up to LEARN_SWAY full-resolution pixels each way, no turn) spans one period of the ÷4 decode's
    4-pixel grid: without it every learning frame sat at the same sub-pixel phase, and a scene whose detail is
    at that scale and aligned with the grid (clock_motion: a 400-px picture shown ×4) lost 15 % of its fine
    detail at a 2-px shift — the healthy `shake` samples read as `defocused` against a baseline that had never
    seen another phase. A camera on a pole is never that still between samples minutes apart.
    """
    rng = np.random.default_rng(seed)
    frames: list[bytes] = []
    for ir in (False, True) if scene.colour else (True,):
        for k in range(samples):
            p: Params = {"ir": ir, "noise": 5.0 if ir or not scene.colour else 2.0, "quality": 85}
            p["shake"] = (rng.uniform(-LEARN_SWAY, LEARN_SWAY), rng.uniform(-LEARN_SWAY, LEARN_SWAY), 0.0)
            index = k * len(scene.sources) // samples
            frames.append(shoot(healthy_image(scene, p, rng, index), rng, p["noise"], p["quality"]))
    return frames


def learn_from(frames: list[bytes], samples: int = 5) -> Baseline:
    """A baseline learned from ``frames`` in order, each judged against the one before it, as the poller does.

    The frames are healthy by construction: while their mode has no baseline they are learned vouched (as
    after a person's approval), whatever the day-one rules say — the day-one mode evaluates those; this
    baseline is what the with-baseline figures are measured against, learned as before the day-one rules."""
    baseline = Baseline(samples=samples)
    previous = None
    for data in frames:
        stats, verdict, signature = analyze_jpeg(data, baseline, previous, 4)
        baseline.learn(stats, signature, None if verdict.basis == "alone" else verdict.status, verdict.mode)
        previous = signature
    return baseline


def learn(scene: vs.Scene, seed: int = 0, samples: int = 5) -> Baseline:
    """The camera's baseline: ``samples`` healthy day frames (spread over a video shot), and as many IR ones."""
    return learn_from(learning_frames(scene, seed, samples), samples)
