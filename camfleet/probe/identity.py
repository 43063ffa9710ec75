"""Identity: authenticated GetDeviceInformation. Vendor, model, firmware, serial; changes are reported."""

from __future__ import annotations

import time
from typing import Any

from camfleet.errors import DeviceError
from camfleet.model import Access, CameraTarget, CheckKind, DeviceIdentity, ProbeResult, Status
from camfleet.probe.auth import ready_client
from camfleet.probe.context import ProbeContext
from camfleet.probe.outcome import failed
from camfleet.probe.rtsp_checks import rtsp_identity


def _text(reply: Any, name: str) -> str:
    value = getattr(reply, name, None)
    return str(value).strip() if value is not None else ""


def identity_changes(old: DeviceIdentity | None, new: DeviceIdentity) -> list[str]:
    """Plain-language changes worth an event: a swapped device (serial) or a firmware change."""
    if old is None:
        return []
    changes = []
    if old.serial and new.serial and old.serial != new.serial:
        changes.append(f"serial changed {old.serial} → {new.serial} (device replaced?)")
    if old.firmware and new.firmware and old.firmware != new.firmware:
        changes.append(f"firmware changed {old.firmware} → {new.firmware}")
    return changes


async def probe_identity(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
    """Who the camera says it is; proves the credentials (and the clock) work. A recorder's channel takes its
    recorder's answer (``probe/recorder.py``): the camera behind a channel has no ONVIF identity of its own."""
    if target.access is Access.RTSP:
        return await rtsp_identity(target, ctx)  # no device service: DESCRIBE, the stream's codec and size
    if target.channel is not None:
        interval = ctx.cfg.identity_interval_s
        return await ctx.recorders.read(target, CheckKind.IDENTITY, interval, ctx.clock(), lambda t: _ask(t, ctx))
    return await _ask(target, ctx)


async def _ask(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
    started_at = ctx.clock()
    t0 = time.perf_counter()
    client = ctx.client(target)
    try:
        client = await ready_client(target, ctx)
        reply = await client.call("device", "GetDeviceInformation")
    except DeviceError as exc:
        return failed(target, CheckKind.IDENTITY, exc, started_at, time.perf_counter() - t0, client.clock_offset_s)
    identity = DeviceIdentity(
        vendor=_text(reply, "Manufacturer"),
        model=_text(reply, "Model"),
        firmware=_text(reply, "FirmwareVersion"),
        serial=_text(reply, "SerialNumber"),
        hardware=_text(reply, "HardwareId"),
    )
    changes = identity_changes(ctx.identities.get(target.camera_id), identity)
    ctx.identities[target.camera_id] = identity
    return ProbeResult(
        camera_id=target.camera_id,
        kind=CheckKind.IDENTITY,
        status=Status.OK,
        detail="; ".join(changes),
        started_at=started_at,
        latency_s=time.perf_counter() - t0,
        clock_offset_s=client.clock_offset_s,
        identity=identity,
    )
