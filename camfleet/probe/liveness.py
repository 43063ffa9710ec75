"""Liveness: unauthenticated GetSystemDateAndTime. Reachable? How fast? How far off is its clock?"""

from __future__ import annotations

import time

from camfleet.errors import DeviceError
from camfleet.model import Access, CameraTarget, CheckKind, ProbeResult, Reason, Status
from camfleet.probe.context import ProbeContext
from camfleet.probe.outcome import failed
from camfleet.probe.rtsp_checks import rtsp_liveness


async def probe_liveness(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
    """One clock read. Slower than ``degraded_latency_s`` → degraded/slow; failures are values. A recorder's
    channel takes its recorder's reading (``probe/recorder.py``): one call per recorder per interval."""
    if target.access is Access.RTSP:
        return await rtsp_liveness(target, ctx)  # no device service: one RTSP OPTIONS
    if target.channel is not None:
        interval = ctx.cfg.liveness_interval_s
        return await ctx.recorders.read(target, CheckKind.LIVENESS, interval, ctx.clock(), lambda t: _clock(t, ctx))
    return await _clock(target, ctx)


async def _clock(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
    client = ctx.client(target)
    started_at = ctx.clock()
    t0 = time.perf_counter()
    try:
        reading = await client.get_system_date_and_time()
    except DeviceError as exc:
        return failed(target, CheckKind.LIVENESS, exc, started_at, time.perf_counter() - t0, client.clock_offset_s)
    latency = time.perf_counter() - t0
    status, reason, detail = Status.OK, Reason.NONE, ""
    if latency > ctx.cfg.degraded_latency_s:
        status, reason = Status.DEGRADED, Reason.SLOW
        detail = f"answered in {latency:.1f} s (limit {ctx.cfg.degraded_latency_s:g} s)"
    elif reading.auth_required:
        detail = "clock needs credentials to read"
    return ProbeResult(
        camera_id=target.camera_id,
        kind=CheckKind.LIVENESS,
        status=status,
        reason=reason,
        detail=detail,
        started_at=started_at,
        latency_s=latency,
        clock_offset_s=reading.offset_s if reading.offset_s is not None else client.clock_offset_s,
    )
