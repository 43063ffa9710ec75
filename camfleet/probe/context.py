"""What every probe shares: the ONVIF client factory, credentials, config, and per-camera caches."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from camfleet.config.credentials import Credential, CredentialStore
from camfleet.config.poller import PollerConfig
from camfleet.model import CameraTarget, DeviceIdentity, MediaProfile, ProbeResult
from camfleet.onvif.client import CameraClient, OnvifClientFactory
from camfleet.probe.recorder import RecorderShare


@dataclass(slots=True)
class MediaInfo:
    """Discovery's findings for one camera: every profile and the one chosen for pictures."""

    media_xaddr: str
    profiles: tuple[MediaProfile, ...]
    chosen: MediaProfile | None
    discovered_at: float


@dataclass
class ProbeContext:
    """Shared by every probe of one poller. Probes read and update the caches; nothing else writes them."""

    cfg: PollerConfig
    onvif: OnvifClientFactory
    credentials: CredentialStore
    clients: dict[str, CameraClient] = field(default_factory=dict)
    media: dict[str, MediaInfo] = field(default_factory=dict)
    identities: dict[str, DeviceIdentity] = field(default_factory=dict)
    recorders: RecorderShare = field(default_factory=RecorderShare)  # readings shared by a recorder's channels
    clock: Callable[[], float] = time.time

    def credential(self, target: CameraTarget) -> Credential | None:
        """The credential of the camera's group, or None when the group is unknown."""
        return self.credentials.get(target.credential)

    def client(self, target: CameraTarget) -> CameraClient:
        """The camera's client handle, rebuilt when its address or credential group changed. The channels of one
        recorder share the recorder's handle (keyed ``@host:port``): one clock offset, one media address."""
        key = f"@{target.recorder}" if target.channel is not None else target.camera_id
        cached = self.clients.get(key)
        credential = self.credential(target)
        if cached is not None and (cached.host, cached.port, cached.credential) == (
            target.host,
            target.port,
            credential,
        ):
            return cached
        fresh = self.onvif.camera(target.host, target.port, credential)
        if cached is not None:
            # Same device behind a new address: keep the clock offset, re-discover media.
            fresh.clock_offset_s = cached.clock_offset_s
            self.media.pop(target.camera_id, None)
        self.clients[key] = fresh
        return fresh

    def forget(self, camera_id: str) -> None:
        """Drop every cache of a camera removed from the inventory."""
        self.clients.pop(camera_id, None)
        self.media.pop(camera_id, None)
        self.identities.pop(camera_id, None)
        self.recorders.forget(camera_id)


#: The signature every probe has, the optional frame probe included.
Probe = Callable[[CameraTarget, ProbeContext], Awaitable[ProbeResult]]
