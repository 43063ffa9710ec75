"""One virtual camera's description, and the identity (vendor, model, firmware, serial) derived from a seed."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

#: Vendor → (models, firmware versions): a rural fleet is a mix of a few vendors and generations.
_CATALOGUE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "HIKVISION": (
        ("DS-2CD2T47G2-L", "DS-2CD3T46WDV3-I3", "DS-2CD2047G2-LU"),
        ("V5.7.3 build 220112", "V5.5.82 build 190909", "V5.7.12 build 230215"),
    ),
    "Dahua": (
        ("IPC-HFW2431S-S-S2", "IPC-HFW3441E-AS", "IPC-HDW2431T-AS"),
        ("V2.800.0000000.25.R", "V2.820.0000000.18.R"),
    ),
    "Uniview": (("IPC2124LB-SF40KM-G", "IPC2324SB-DZK-I0"), ("IPC_G6103-B0008P63D1903", "IPC_Q1201-B5003P32D1907")),
    "TVT": (("TD-9421S3", "TD-9441E3"), ("3.2.0.4-r4", "3.1.7.2-r1")),
}


@dataclass
class SimCameraSpec:
    """One virtual camera: where it listens, its credentials, where it stands, and who made it.

    Empty ``vendor``/``model``/``firmware``/``serial`` are filled deterministically from the fleet seed
    and the camera id (see ``with_identity``), so the same seed gives the same fleet every run.
    """

    camera_id: str
    host: str
    port: int
    username: str
    password: str
    town: str = ""
    village: str = ""
    uplink: str = ""
    vendor: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    rtsp: bool = False  # serve H.264 RTSP streams (GStreamer, see ``rtsp``)
    snapshot: bool = True  # False: a camera without a snapshot URI (only RTSP gives a picture)
    main_only: bool = False  # only the 1920×1080 main profile (the worst case for the frame checks)
    program: str = ""  # e.g. 一村一探头, 农村小天网 (legacy): decides how likely the camera offers events
    #: camera-side events: "truthful", "silent" (offered, never claim a fault), "lying" (the tamper topic says
    #: the opposite of the picture), "none" (no events service); "" = the fleet draws it (see ``events_mode``)
    events: str = ""
    #: the recorder channel (1-based) this camera is seen through; 0 = a standalone camera. Specs sharing a host
    #: and port with channels are served as one virtual NVR (see ``nvr``)
    channel: int = 0
    #: "onvif", or "rtsp": ONVIF switched off, only an H.264 stream at ``rtsp_path`` on ``port`` (see ``rtsp``)
    access: str = "onvif"
    rtsp_path: str = ""

    def __repr__(self) -> str:
        # The password never appears in a repr (logs, test failure output).
        channel = f", channel={self.channel}" if self.channel else ""
        return f"SimCameraSpec(camera_id={self.camera_id!r}, host={self.host!r}, port={self.port}{channel})"


def camera_seed(seed: int, camera_id: str) -> int:
    """A stable 64-bit seed for one camera (Python's ``hash`` is salted per process, so not that)."""
    digest = hashlib.blake2b(f"{seed}:{camera_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def with_identity(spec: SimCameraSpec, seed: int) -> SimCameraSpec:
    """Fill the empty identity fields of ``spec`` from ``seed`` (in place) and return it."""
    rng = random.Random(camera_seed(seed, spec.camera_id))
    vendor = spec.vendor or rng.choice(sorted(_CATALOGUE))
    models, firmwares = _CATALOGUE.get(vendor, _CATALOGUE["HIKVISION"])
    spec.vendor = vendor
    spec.model = spec.model or rng.choice(models)
    spec.firmware = spec.firmware or rng.choice(firmwares)
    if not spec.serial:
        spec.serial = f"{spec.model.split('-')[0][:4].upper()}{rng.randrange(10**11, 10**12)}"
    if not spec.uplink:
        spec.uplink = f"{spec.town}/{spec.village}"
    return spec


#: What a camera's own events do (docs/simulator.md, "Events").
EVENT_MODES = ("truthful", "silent", "lying", "none")
#: Share of cameras that offer events at all, by programme: most legacy cameras send no tamper events in the field.
EVENTS_OFFERED = {"农村小天网": 0.2, "一村一探头": 0.8}


def events_mode(spec: SimCameraSpec, seed: int, offered: float | None) -> str:
    """The camera's events mode: its own ``events`` if set; else drawn, stable per seed and camera, with
    ``offered`` (or its programme's share; a camera of no known programme offers truthful events)."""
    if spec.events:
        return spec.events
    share = offered if offered is not None else EVENTS_OFFERED.get(spec.program, 1.0)
    draw = random.Random(camera_seed(seed, "events:" + spec.camera_id)).random()
    return "truthful" if draw < share else "none"


def mac_address(seed: int, camera_id: str) -> str:
    """A stable, locally administered MAC address for the camera's network interface."""
    raw = camera_seed(seed, "mac:" + camera_id).to_bytes(8, "big")[:6]
    first = (raw[0] | 0x02) & 0xFE
    return ":".join(f"{b:02x}" for b in (first, *raw[1:]))
