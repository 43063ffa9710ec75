"""One camera as JSON: the same keys for ``sweep --json``, ``check --json`` and ``/api/cameras/{id}``.

Never a credential: the target names only its credential group, and that is not shown either. A camera
never checked has every key, with ``unknown`` status and null measurements.
"""

from __future__ import annotations

from typing import Any

from camfleet.model import CameraClaim, CameraState, CameraTarget


def claim_json(claim: CameraClaim | None) -> dict[str, Any] | None:
    """The camera's own tamper-event claim, or None when its events are not read."""
    if claim is None:
        return None
    return {
        "claim": [str(f) for f in claim.faults],
        "known": claim.known,
        "agreement": str(claim.agreement) if claim.agreement is not None else None,
        "since": claim.since or None,
        "last_pull_at": claim.last_pull_at or None,
        "error": claim.error,
    }


def camera_json(target: CameraTarget, state: CameraState | None) -> dict[str, Any]:
    """Target and state of one camera as one JSON object (timestamps are unix seconds, null when never)."""
    s = state or CameraState(target.camera_id)
    ident = s.identity
    return {
        "id": target.camera_id,
        "status": str(s.status),
        "reason": str(s.reason),
        "town": target.town,
        "village": target.village,
        "point": target.point_id,
        "program": target.program,
        "uplink": target.uplink,
        "host": target.host,
        "port": target.port,
        "access": str(target.access),
        "channel": target.channel,  # null for a standalone camera
        "recorder": target.recorder or None,  # host:port of the NVR a channel is on
        "latency_ms": round(s.latency_s * 1000, 1) if s.last_probe_at else None,
        "clock_offset_s": s.clock_offset_s,
        "detail": s.detail,
        "since": s.since or None,
        "last_probe_at": s.last_probe_at or None,
        "last_ok_at": s.last_ok_at or None,
        "last_frame_at": s.last_frame_at or None,
        "flapping": s.flapping,
        "vendor": ident.vendor if ident else "",
        "model": ident.model if ident else "",
        "firmware": ident.firmware if ident else "",
        "serial": ident.serial if ident else "",
        "scores": dict(s.scores),
        "camera_events": claim_json(s.camera_events),
        "baseline": str(s.baseline),
        "baseline_since": s.baseline_since or None,
    }
