"""Getting ready for an authenticated call: a known credential group and a fresh clock offset."""

from __future__ import annotations

from camfleet.errors import DeviceAuthError
from camfleet.model import CameraTarget
from camfleet.onvif.client import CLOCK_REFRESH_S, CameraClient
from camfleet.probe.context import ProbeContext


async def ready_client(target: CameraTarget, ctx: ProbeContext) -> CameraClient:
    """The camera's client with a measured clock; raises ``DeviceError`` (auth/no_credentials for a missing group)."""
    client = ctx.client(target)
    if client.credential is None:
        raise DeviceAuthError(ctx.credentials.missing(target.credential), "no_credentials")
    if client.clock_offset_s is None or ctx.clock() - client.clock_measured_at > CLOCK_REFRESH_S:
        # Sign with the camera's own time: measure it first (WS-Security Created is checked against it).
        await client.get_system_date_and_time()
    return client
