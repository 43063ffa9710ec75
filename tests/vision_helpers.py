"""Field faults synthesised on real photographs (scikit-image's bundled data), encoded as camera JPEGs.

Each helper takes a clean 1280×720 BGR scene and returns what a camera with that fault would send.
Sensor noise and JPEG encoding are applied to every frame, faulty or healthy, as a camera would.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt
from skimage import data as skdata

from camfleet.vision import Baseline, analyze_jpeg

Image = npt.NDArray[np.uint8]
FRAME_SIZE = (1280, 720)

#: Photos bundled in scikit-image that load offline (the pooch-fetched ones do not).
SCENES = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle", "immunohistochemistry")
#: Grayscale photos: usable as IR-night scenes only (a colour camera by day is never gray).
GRAY_SCENES = ("camera", "brick")


def _load(name: str) -> npt.NDArray[np.uint8]:
    if name == "motorcycle":
        return np.asarray(skdata.stereo_motorcycle()[0], np.uint8)
    if name == "motorcycle_right":
        return np.asarray(skdata.stereo_motorcycle()[1], np.uint8)
    return np.asarray(getattr(skdata, name)(), np.uint8)


def scene(name: str, size: tuple[int, int] = FRAME_SIZE) -> Image:
    """A bundled photo as a BGR frame of ``size``: centre-cropped to its aspect, then resized."""
    rgb = _load(name)
    if rgb.ndim == 2:
        rgb = np.stack([rgb] * 3, axis=-1)
    h, w = rgb.shape[:2]
    target = size[0] / size[1]
    if w / h > target:
        cw = int(h * target)
        rgb = rgb[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    else:
        ch = int(w / target)
        rgb = rgb[(h - ch) // 2 : (h - ch) // 2 + ch]
    bgr = cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2BGR)
    return np.asarray(cv2.resize(bgr, size, interpolation=cv2.INTER_CUBIC), np.uint8)


def camera_jpeg(image: Image, seed: int, noise: float = 2.0, quality: int = 85) -> bytes:
    """What the camera sends: the image plus fresh sensor noise, JPEG-encoded."""
    rng = np.random.default_rng(seed)
    noisy = image.astype(np.float32) + rng.normal(0.0, noise, image.shape).astype(np.float32)
    ok, buf = cv2.imencode(".jpg", np.clip(noisy, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return bytes(buf.tobytes())


def _gray3(image: Image) -> Image:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return np.asarray(cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), np.uint8)


def _blobs(shape: tuple[int, int], coverage: float, seed: int, scale: int = 24) -> npt.NDArray[np.float32]:
    """A soft, irregular 0..1 mask covering about ``coverage`` of the frame (paint splashes)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    field = rng.random((max(2, h // scale), max(2, w // scale))).astype(np.float32)
    field = cv2.GaussianBlur(field, (0, 0), 2.0)
    field = cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
    cut = float(np.quantile(field, 1.0 - coverage))
    mask = (field >= cut).astype(np.float32)
    return np.asarray(cv2.GaussianBlur(mask, (0, 0), 3.0), np.float32)


# --- faults -------------------------------------------------------------------------------------------


def black(image: Image) -> Image:
    """Video signal lost: a black picture (the encoder still adds a little noise)."""
    return np.full_like(image, 2)


def covered(image: Image, seed: int = 0) -> Image:
    """Lens covered (bag, tape, hand): dark and flat, with a light leak fading in from one edge."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    leak = 70.0 * np.exp(-((xx / w) ** 2 + ((yy - h) / h) ** 2) / 0.15)
    base = 18.0 + leak
    tint = np.array([0.9, 1.0, 1.1], np.float32)  # a faint warm cast from the cover's material
    out = base[..., None] * tint[None, None, :]
    return np.clip(out, 0, 255).astype(np.uint8)


def spray(image: Image, seed: int = 0, coverage: float = 0.3, colour: tuple[int, int, int] = (30, 30, 40)) -> Image:
    """Spray paint on the dome: opaque blotches over about ``coverage`` of the frame."""
    mask = _blobs(image.shape[:2], coverage, seed)[..., None] * 0.95
    paint = np.empty_like(image, dtype=np.float32)
    paint[:] = colour
    out = image.astype(np.float32) * (1 - mask) + paint * mask
    return np.clip(out, 0, 255).astype(np.uint8)


def defocus(image: Image, sigma: float = 6.0) -> Image:
    """Lens out of focus (knocked, or the focus motor drifted)."""
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), np.uint8)


def shift(image: Image, dx: float, dy: float = 0.0) -> Image:
    """The view moved by (dx, dy) pixels (edges filled by reflection, as the wider scene would)."""
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    h, w = image.shape[:2]
    return np.asarray(cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REFLECT), np.uint8)


def glare(image: Image) -> Image:
    """Sun or headlights straight into the lens: a bloom that clips most of the frame."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bloom = 420.0 * np.exp(-(((xx - 0.55 * w) / w) ** 2 + ((yy - 0.4 * h) / h) ** 2) / 0.25)
    out = image.astype(np.float32) * 0.6 + 120.0 + bloom[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


def ir_night(image: Image, gain: float = 0.75) -> Image:
    """An IR night picture of the scene: grayscale, dimmer, vignetted (noise comes with camera_jpeg)."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = 1.0 - 0.45 * (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32) * gain * vignette
    return np.asarray(cv2.cvtColor(np.clip(gray, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR), np.uint8)


def ir_lit(image: Image, gain: float, floor: float) -> Image:
    """An IR night picture as a camera's own illuminator lights it: grayscale, the light falling with distance.
    A camera looks down at its ground: the bottom of the view is near and lit, the top far (a street's end,
    the sky, which returns nothing) and left dark, ``floor`` of the light at the top edge; the LEDs' beam makes
    a hotspot in the middle; the camera's gain (``gain``) lifts it all. (``ir_night`` lights every distance alike,
    a day sky staying the brightest part: kinder than the field.)"""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    reach = floor + (1.0 - floor) * (yy / (h - 1)) ** 1.5
    hotspot = 1.0 + 0.4 * np.exp(-(((xx - w / 2) / (0.4 * w)) ** 2 + ((yy - h / 2) / (0.4 * h)) ** 2))
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32) * gain * reach * hotspot
    return np.asarray(cv2.cvtColor(np.clip(gray, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR), np.uint8)


def ir_failure(image: Image) -> Image:
    """IR illuminator dead at night: the IR picture at a sixth of its light."""
    return np.asarray(np.clip(ir_night(image).astype(np.float32) * 0.18, 0, 255).astype(np.uint8))


def ir_cut_stuck(image: Image) -> Image:
    """IR-cut filter stuck out by day: IR light floods red and blue, foliage and skin turn magenta."""
    f = image.astype(np.float32)
    luma = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    grey = 0.5 * f + 0.5 * luma[..., None]  # washed-out colour
    ir = 0.45 * luma
    out = grey + np.stack([0.8 * ir, 0.15 * ir, 0.9 * ir], axis=-1)  # B, G, R
    return np.clip(out * 0.85, 0, 255).astype(np.uint8)


# --- healthy variations -------------------------------------------------------------------------------


def exposure(image: Image, factor: float) -> Image:
    """Auto-exposure or weather: the whole picture ``factor`` brighter or darker."""
    return np.clip(image.astype(np.float32) * factor, 0, 255).astype(np.uint8)


def passer_by(image: Image, seed: int = 0, area: float = 0.06) -> Image:
    """A person or vehicle crossing: a textured patch from another photo covering ``area`` of the frame."""
    rng = np.random.default_rng(seed)
    h, w = image.shape[:2]
    ph = int(h * 0.45)
    pw = max(8, int(area * h * w / ph))
    visitor = scene("chelsea", (pw, ph))
    x = int(rng.integers(0, w - pw))
    y = int(rng.integers(h // 3, h - ph))
    out = image.copy()
    out[y : y + ph, x : x + pw] = visitor
    return out


FAULTS: dict[str, Callable[[Image], Image]] = {
    "black": black,
    "covered": covered,
    "spray": lambda im: spray(im, coverage=0.5),  # 30 % paint is near the detection limit (docs/vision.md)
    "defocused": defocus,
    "displaced": lambda im: shift(im, 0.12 * im.shape[1], 0.05 * im.shape[0]),
    "overexposed": glare,
    "ir_cut_stuck": ir_cut_stuck,
}


# --- judging helpers ----------------------------------------------------------------------------------


def learn_baseline(frames: list[bytes], reduction: int = 4, samples: int | None = None) -> Baseline:
    """A baseline learned from ``frames`` the way the poller learns it (frames judged while learning).

    The frames are healthy by construction: while their mode has no baseline they are learned as a person's
    approval has them learned (vouched, whatever the day-one rules say: those are tested on their own)."""
    baseline = Baseline(samples=samples or len(frames))
    for frame in frames:
        stats, verdict, signature = analyze_jpeg(frame, baseline.to_dict(), None, reduction)
        baseline.learn(stats, signature, None if verdict.basis == "alone" else verdict.status, verdict.mode)
    return baseline


def day_and_night_baseline(image: Image, reduction: int = 4, samples: int = 5) -> Baseline:
    """Both modes learned from healthy frames of the scene: colour by day, IR by night."""
    day = [camera_jpeg(image, seed) for seed in range(samples)]
    night = [camera_jpeg(ir_night(image), 50 + seed, noise=5.0) for seed in range(samples)]
    return learn_baseline(day + night, reduction, samples)


# --- network peers for the frame probe ----------------------------------------------------------------

RTSP_SERVER_SCRIPT = r"""
import sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(sys.argv[1])
factory = GstRtspServer.RTSPMediaFactory()
factory.set_launch(
    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,width=640,height=360,framerate=15/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! rtph264pay name=pay0 pt=96 )"
)
factory.set_shared(True)
server.get_mount_points().add_factory("/stream", factory)
if server.attach(None) == 0:
    sys.exit("could not listen")
print("ready", flush=True)
GLib.MainLoop().run()
"""


def digest_response(username: str, password: str, realm: str, method: str, fields: dict[str, str]) -> str:
    """The RFC 7616 MD5 ``response`` value for qop=auth."""
    import hashlib

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{username}:{realm}:{password}")
    ha2 = md5(f"{method}:{fields['uri']}")
    return md5(f"{ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:{fields['qop']}:{ha2}")


def parse_auth_fields(header: str) -> dict[str, str]:
    """Key/value pairs of a Digest Authorization header."""
    import re

    return {k: v1 or v2 for k, v1, v2 in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', header)}
