"""One virtual camera's state: identity, clock, boot time and the faults that currently apply to it."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from camfleet.simulator.auth import NonceCache
from camfleet.simulator.frame import MATERIAL_SALT, MATERIALS, pick
from camfleet.simulator.scenario import Fault
from camfleet.simulator.spec import SimCameraSpec, camera_seed, mac_address

if TYPE_CHECKING:
    from camfleet.simulator.events import Subscription

#: Kinds that take the camera off the network (the fleet closes or swaps its listener for these); ``nvr_down``
#: only ever reaches a recorder (see ``nvr``).
LISTENER_KINDS = frozenset({"offline", "reboot", "uplink_down", "nvr_down"})
#: Kinds a camera's picture shows (a lying tamper detector is quiet about these, and cries wolf without them).
_PICTURE_KINDS = frozenset({"covered", "spray", "defocus", "displaced", "black", "glare", "ir_cut", "frozen"})


@dataclass
class FleetClock:
    """When the fleet started, on the monotonic clock: fault windows are measured from it."""

    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        """Seconds since the fleet started."""
        return time.monotonic() - self.started


class SimCamera:
    """A virtual camera. Others read ``spec``, ``boot_time`` and ``active_faults()``; the fleet writes."""

    def __init__(self, spec: SimCameraSpec, fleet_seed: int, clock: FleetClock) -> None:
        self.spec = spec
        self.seed = camera_seed(fleet_seed, spec.camera_id)
        rng = random.Random(self.seed)
        self.mac = mac_address(fleet_seed, spec.camera_id)
        # Real camera clocks drift a little even with NTP; a second or two keeps offsets honest.
        self.drift = rng.uniform(-2.0, 2.0)
        self.boot_time = time.time() - rng.uniform(3600.0, 90 * 86400.0)
        self.base_url = f"http://{spec.host}:{spec.port}"
        self.faults: list[Fault] = []
        self.nonces = NonceCache()
        self.rtsp_port = 0
        self.frozen: dict[str, bytes] = {}
        self.listening = False
        self.rebooting = False
        self.fleet_clock = clock
        self.subscriptions: dict[int, Subscription] = {}
        #: what its own events do: truthful, silent, lying or none (no events service; set by the fleet)
        self.events = "truthful"
        #: a recorder's channels, by channel number (empty: a camera); a channel's recorder (None: standalone)
        self.channels: dict[int, SimCamera] = {}
        self.recorder: SimCamera | None = None

    def __repr__(self) -> str:
        return f"SimCamera({self.spec.camera_id!r} at {self.base_url})"

    def active_faults(self) -> list[Fault]:
        """The faults in force right now."""
        if not self.faults:
            return []
        elapsed = self.fleet_clock.elapsed()
        return [f for f in self.faults if fault_in_force(f, elapsed)]

    def fault(self, kind: str) -> Fault | None:
        """The first fault of ``kind`` in force right now, if any."""
        if not self.faults:
            return None
        elapsed = self.fleet_clock.elapsed()
        return next((f for f in self.faults if f.kind == kind and fault_in_force(f, elapsed)), None)

    def image_fault_kinds(self) -> frozenset[str]:
        """The kinds of the faults in force (for the renderer)."""
        return frozenset(f.kind for f in self.active_faults())

    def claimed_kinds(self) -> frozenset[str] | None:
        """The image fault kinds its events report (None: it offers no events). A silent camera reports none;
        a lying one's tamper detector says the opposite of the picture (see ``events.claimed_topics``)."""
        if self.events == "none":
            return None
        if self.events == "silent":
            return frozenset()
        if self.events == "lying":
            return frozenset() if self.image_fault_kinds() & _PICTURE_KINDS else frozenset({"lie"})
        kinds = self.image_fault_kinds()
        cover = self.fault("covered") if "covered" in kinds else None
        if cover is not None and pick(MATERIALS, cover.material, self.seed, MATERIAL_SALT) == "dark_cloth":
            # Only a dark cover trips the camera's too-dark detector; a grey cloth or a bag is bright enough.
            kinds |= {"dark_cover"}
        return kinds

    def clock(self) -> float:
        """The camera's clock, as epoch seconds: real time plus drift plus any clock_skew fault."""
        skew = sum(f.skew for f in self.active_faults() if f.kind == "clock_skew")
        return time.time() + self.drift + skew

    def should_listen(self) -> bool:
        """Whether the camera's listening socket should be open (not offline, not rebooting)."""
        return not any(f.kind in ("offline", "reboot", "nvr_down") for f in self.active_faults())

    def rtsp_uri(self, token: str) -> str:
        """The stream URI of a profile; the RTSP server listens on the camera's host when enabled."""
        port = self.rtsp_port or 554
        return f"rtsp://{self.spec.host}:{port}/{token}"

    @property
    def uptime(self) -> float:
        """Seconds since the camera (last) booted."""
        return time.time() - self.boot_time


def fault_in_force(fault: Fault, elapsed: float) -> bool:
    """A reboot is in force only while the camera is down; other faults over their whole window."""
    if fault.kind == "reboot":
        return fault.start <= elapsed < fault.start + fault.down
    return fault.active(elapsed)
