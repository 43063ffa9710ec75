"""A virtual NVR: one ONVIF device at the recorder's address whose channels are the inventory's channel cameras.

The contract with clients (the poller maps a channel to a video source by it):

- Video sources, one per channel present, listed in channel order; the source of channel N has the token
  ``VideoSource_N``. Channels may be sparse (1, 2, 16): only those present are listed, so a client should read
  the channel number from the token and fall back to the position only when a token carries no number.
- Profiles, two per channel: ``Profile_N01`` (main, 1920×1080) and ``Profile_N02`` (sub, 640×360), as Hikvision
  numbers its stream channels (101, 102, …, 1601); each profile's VideoSourceConfiguration has
  ``SourceToken`` = ``VideoSource_N``. A ``--main-only`` fleet offers only ``Profile_N01``.
- GetSnapshotUri of a profile gives ``/onvif/snapshot?profile=Profile_N0x`` on the recorder: that channel's own
  picture, drawn exactly as a standalone virtual camera with the channel's camera id would draw it (its scene,
  its image faults). GetStreamUri gives ``rtsp://host:554/Streaming/Channels/N0x``; nothing serves it.
- The recorder answers the device service as a camera does (GetSystemDateAndTime without credentials, WS-Security
  digest with the channels' credential group for the rest) and says it is a recorder (GetDeviceInformation:
  e.g. HIKVISION DS-7816N-K2). It offers no events service.

Faults (docs/simulator.md, "Recorders"): a channel whose camera is ``offline`` or under ``video_loss`` shows the
recorder's "no video" picture (black, same size); device-level kinds selected through any channel (``nvr_down``,
``reboot``, ``uplink_down``, ``blackhole``, ``slow``, ``auth``, ``clock_skew``, ``malformed_xml``, ``oversized``)
act on the whole recorder. ``nvr_down`` closes its listener: connections are refused, as for ``offline``.
"""

from __future__ import annotations

import random
import re

import cv2
import numpy as np

from camfleet.simulator.camera import FleetClock, SimCamera
from camfleet.simulator.spec import SimCameraSpec, camera_seed, with_identity

#: Kinds that act on the recorder when a channel is selected: the box is one network peer with one login and clock.
DEVICE_KINDS = frozenset(
    {"nvr_down", "reboot", "uplink_down", "blackhole", "slow", "auth", "clock_skew", "malformed_xml", "oversized"}
)
#: A channel under these shows the recorder's "no video" picture: the camera behind it is gone or its cable is.
NO_SIGNAL_KINDS = frozenset({"offline", "video_loss"})
_RECORDERS = {
    "HIKVISION": (("DS-7816N-K2", "DS-7608N-K2", "DS-7104N-F1"), ("V4.30.085 build 200916", "V4.22.005 build 191220")),
    "Dahua": (("NVR4216-4KS2", "NVR4108HS-4KS2"), ("V4.001.0000000.3.R", "V4.000.0000002.2.R")),
    "Uniview": (("NVR301-08S", "NVR302-16S"), ("NVR-B3801.16.10.200413",)),
}
_TOKEN_CHANNEL = re.compile(r"^Profile_(\d+)0([12])$")


def recorder_id(host: str, port: int) -> str:
    """The recorder's name in logs and the control API (its channels keep their own camera ids)."""
    return f"NVR@{host}:{port}"


def make_recorder(channels: list[SimCameraSpec], fleet_seed: int, clock: FleetClock) -> SimCamera:
    """One recorder serving ``channels`` (specs sharing its host and port, each with its channel number)."""
    first = channels[0]
    rid = recorder_id(first.host, first.port)
    rng = random.Random(camera_seed(fleet_seed, rid))
    vendor = rng.choice(sorted(_RECORDERS))
    models, firmwares = _RECORDERS[vendor]
    model = rng.choice(models)
    spec = SimCameraSpec(
        rid, first.host, first.port, first.username, first.password, town=first.town, village=first.village,
        uplink=first.uplink, vendor=vendor, model=model, firmware=rng.choice(firmwares),
        serial=f"{model.split('-')[0][:4].upper()}{rng.randrange(10**11, 10**12)}", program=first.program,
        main_only=first.main_only, events="none",
    )  # fmt: skip
    recorder = SimCamera(with_identity(spec, fleet_seed), fleet_seed, clock)
    recorder.events = "none"
    for channel_spec in sorted(channels, key=lambda s: s.channel):
        cam = SimCamera(with_identity(channel_spec, fleet_seed), fleet_seed, clock)
        cam.events = "none"
        cam.recorder = recorder
        recorder.channels[channel_spec.channel] = cam
    return recorder


def profile_channel(token: str) -> tuple[int, int] | None:
    """(channel, 1 main / 2 sub) of a recorder's profile token ``Profile_N01``/``Profile_N02``; None if not one."""
    m = _TOKEN_CHANNEL.match(token)
    return (int(m.group(1)), int(m.group(2))) if m else None


def no_video_jpeg(width: int, height: int, quality: int = 80) -> bytes:
    """The recorder's picture for a channel without signal: black, luma 0–3 with a little noise, as a real JPEG."""
    noise = np.random.default_rng().integers(0, 4, (height, width), dtype=np.uint8)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(noise, cv2.COLOR_GRAY2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("JPEG encode failed")
    return bytes(data)
