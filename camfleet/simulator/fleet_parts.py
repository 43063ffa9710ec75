"""Rules the fleet applies to recorders and RTSP-only cameras: which object a fault reaches, what the RTSP child
serves for a camera, and the state an RTSP-only camera's faults put its stream in."""

from __future__ import annotations

from typing import Any

from camfleet.errors import ConfigError
from camfleet.simulator.camera import SimCamera
from camfleet.simulator.media_ops import PROFILES
from camfleet.simulator.nvr import DEVICE_KINDS
from camfleet.simulator.rtsp import RTSP_PORT
from camfleet.simulator.spec import SimCameraSpec

#: An RTSP-only camera's stream: small, so that hundreds of them cost little (a client opens one at a time).
RTSP_ONLY_SIZE = (640, 360)
#: Kinds that take an RTSP-only camera off the air (its stream port refuses connections).
_RTSP_DOWN = frozenset({"offline", "reboot"})


def check_channels(group: list[SimCameraSpec]) -> list[SimCameraSpec]:
    """The specs of one recorder, checked: distinct channels, one login (the recorder has one)."""
    first = group[0]
    where = f"recorder {first.host}:{first.port}"
    channels: dict[int, str] = {}
    for spec in group:
        if spec.channel in channels:
            raise ConfigError(
                f"{where}: channel {spec.channel} is both {channels[spec.channel]!r} and {spec.camera_id!r}"
            )
        channels[spec.channel] = spec.camera_id
        if (spec.username, spec.password) != (first.username, first.password):
            raise ConfigError(f"{where}: {spec.camera_id!r} has another credential group than {first.camera_id!r}")
    return group


def fault_target(cam: SimCamera, kind: str) -> SimCamera | None:
    """What a fault selecting ``cam`` acts on: the camera, its recorder (device-level kinds), or nothing.

    ``nvr_down`` and ``video_loss`` mean nothing to a standalone camera; on a channel, ``offline`` stays with the
    channel (its camera is gone: the recorder shows "no video" for it) and image kinds change its picture.
    """
    if cam.recorder is not None:
        return cam.recorder if kind in DEVICE_KINDS else cam
    if kind in ("nvr_down", "video_loss"):
        return None
    return cam


def rtsp_entry(cam: SimCamera) -> dict[str, Any]:
    """What the RTSP child serves for ``cam``: its profiles' tokens (a camera with streams), or one explicit path
    (an RTSP-only camera; a query such as Dahua's ``?channel=1&subtype=0`` is not part of the mount)."""
    spec = cam.spec
    if spec.access == "rtsp":
        mounts = [{"path": spec.rtsp_path.split("?", 1)[0], "width": RTSP_ONLY_SIZE[0], "height": RTSP_ONLY_SIZE[1]}]
        port = spec.port
    else:
        cam.rtsp_port = port = RTSP_PORT
        mounts = [{"token": p.token, "width": p.width, "height": p.height} for p in PROFILES]
    return {"host": spec.host, "port": port, "username": spec.username, "password": spec.password, "mounts": mounts}


def rtsp_state(cam: SimCamera) -> tuple[str, bool]:
    """("up", "down" or "trap", whether the stream accepts the inventory password) under the faults in force.

    "trap" (``uplink_down``): the child closes the address and the fleet holds a full backlog-0 listener there,
    so connects time out as behind a cut fibre; "down" refuses them (the camera is off)."""
    kinds = {f.kind for f in cam.active_faults()} if cam.faults else set()
    state = "down" if kinds & _RTSP_DOWN else "trap" if "uplink_down" in kinds else "up"
    return state, "auth" not in kinds
