"""Turn a ``DeviceError`` into a ``ProbeResult``: the one place that decides status and reason words."""

from __future__ import annotations

from camfleet.errors import DeviceAuthError, DeviceError, DeviceProtocolError, DeviceTimeout, DeviceUnreachable
from camfleet.model import CameraTarget, CheckKind, ProbeResult, Reason, Status

_REASONS = {r.value: r for r in Reason}


def _reason(exc: DeviceError, default: Reason) -> Reason:
    return _REASONS.get(exc.reason, default)


def status_of(exc: DeviceError) -> tuple[Status, Reason]:
    """The status and reason a device error stands for."""
    if isinstance(exc, DeviceTimeout):
        return Status.OFFLINE, Reason.TIMEOUT
    if isinstance(exc, DeviceUnreachable):
        return Status.OFFLINE, _reason(exc, Reason.UNREACHABLE)
    if isinstance(exc, DeviceAuthError):
        return Status.AUTH_FAILED, _reason(exc, Reason.PASSWORD)
    if isinstance(exc, DeviceProtocolError):
        return Status.PROTOCOL_ERROR, _reason(exc, Reason.MALFORMED)
    return Status.PROTOCOL_ERROR, Reason.MALFORMED


def failed(
    target: CameraTarget,
    kind: CheckKind,
    exc: DeviceError,
    started_at: float,
    latency_s: float,
    clock_offset_s: float | None = None,
) -> ProbeResult:
    """A failed check as a value."""
    status, reason = status_of(exc)
    return ProbeResult(
        camera_id=target.camera_id,
        kind=kind,
        status=status,
        reason=reason,
        detail=str(exc),
        started_at=started_at,
        latency_s=latency_s,
        clock_offset_s=clock_offset_s,
    )
