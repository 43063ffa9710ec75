"""The checks of an RTSP-only camera (``access`` rtsp): ONVIF switched off, as on older 农村小天网 installs wired
straight to a recorder. ``probe_liveness``, ``probe_identity`` and ``discover`` hand such a camera to these.

- liveness: one OPTIONS without credentials. Any RTSP reply, a 401 too, means the camera is there; slower than
  ``degraded_latency_s`` is ``degraded/slow``. There is no clock to read, so no clock offset.
- identity: DESCRIBE with the credential group's user and password (Digest, Basic when that is all the camera
  offers). The stream is the camera's only word about itself: the identity's ``model`` is ``RTSP <codec>
  <width>x<height>`` (``RTSP H264 1920x1080``; ``RTSP H265`` when the SDP gives no size, the frame check then
  measures the picture), ``vendor``, ``firmware`` and ``serial`` stay empty. A change of the model word between
  two checks (a re-configured or swapped encoder) is reported in the result's detail, as a serial change is.
- discovery: the same DESCRIBE; one media profile, token ``stream``, whose ``stream_uri`` is
  ``rtsp://host:port<rtsp_path>`` (no credentials in it) and no snapshot URI, so the frame check takes one
  keyframe of the stream through FFmpeg in a picture worker, as for an ONVIF camera without snapshots.

Camera-side events (ONVIF pull points) do not exist here: ``has_onvif_events`` says so to their scheduler.
"""

from __future__ import annotations

import time

from camfleet.errors import DeviceAuthError, DeviceError, DeviceProtocolError
from camfleet.model import CameraTarget, CheckKind, DeviceIdentity, MediaProfile, ProbeResult, Reason, Status
from camfleet.probe.context import MediaInfo, ProbeContext
from camfleet.probe.outcome import failed
from camfleet.probe.rtsp import describe, options, shown, stream_uri
from camfleet.probe.sdp import StreamInfo, parse_sdp

#: The one profile token of an RTSP-only camera (its stream has no ONVIF profiles).
STREAM_TOKEN = "stream"
#: The identity model word's prefix: it marks identities that came from a stream description.
MODEL_PREFIX = "RTSP"


def has_onvif_events(target: CameraTarget) -> bool:
    """False for an RTSP-only camera (it has no ONVIF events service to pull: nothing to try, nothing to fail)
    and for a recorder's channel (the events would be the recorder's, not the camera's lens)."""
    return target.own_events


async def described(target: CameraTarget, ctx: ProbeContext) -> StreamInfo:
    """DESCRIBE with the camera's credential group; its first video stream. Raises ``DeviceError``
    (``auth_failed/no_credentials`` when the group is not in the credentials file)."""
    credential = ctx.credential(target)
    if credential is None:
        raise DeviceAuthError(ctx.credentials.missing(target.credential), "no_credentials")
    reply = await describe(target, ctx.cfg, credential.username, credential.password)
    info = parse_sdp(reply.body.decode("utf-8", "replace"))
    if not info.codec:
        raise DeviceProtocolError(
            f"RTSP DESCRIBE {shown(stream_uri(target))}: no video stream in its SDP", "wrong_type"
        )
    return info


def stream_identity(info: StreamInfo) -> DeviceIdentity:
    """The identity an RTSP-only camera can have: what its stream is (see the module's docstring)."""
    return DeviceIdentity(model=f"{MODEL_PREFIX} {info.words()}")


async def rtsp_liveness(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
    """One OPTIONS: reachable, how fast. Failures are values."""
    started_at = ctx.clock()
    t0 = time.perf_counter()
    try:
        reply, latency = await options(target, ctx.cfg)
    except DeviceError as exc:
        return failed(target, CheckKind.LIVENESS, exc, started_at, time.perf_counter() - t0)
    status, reason, detail = Status.OK, Reason.NONE, ""
    if latency > ctx.cfg.degraded_latency_s:
        status, reason = Status.DEGRADED, Reason.SLOW
        detail = f"answered in {latency:.1f} s (limit {ctx.cfg.degraded_latency_s:g} s)"
    elif reply.status == 401:
        detail = "RTSP OPTIONS needs credentials to answer"
    elif reply.status != 200:
        detail = f"RTSP OPTIONS answered {reply.status}"
    return ProbeResult(target.camera_id, CheckKind.LIVENESS, status, reason, detail, started_at, latency)


async def rtsp_identity(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
    """DESCRIBE with the credentials: proves them, and tells the stream's codec and size."""
    started_at = ctx.clock()
    t0 = time.perf_counter()
    try:
        info = await described(target, ctx)
    except DeviceError as exc:
        return failed(target, CheckKind.IDENTITY, exc, started_at, time.perf_counter() - t0)
    identity = stream_identity(info)
    old = ctx.identities.get(target.camera_id)
    detail = ""
    if old is not None and old.model.startswith(MODEL_PREFIX) and old.model != identity.model:
        detail = f"stream changed {old.model} → {identity.model}"
    ctx.identities[target.camera_id] = identity
    return ProbeResult(
        camera_id=target.camera_id,
        kind=CheckKind.IDENTITY,
        status=Status.OK,
        detail=detail,
        started_at=started_at,
        latency_s=time.perf_counter() - t0,
        identity=identity,
    )


def stream_profile(target: CameraTarget, info: StreamInfo) -> MediaProfile:
    """The camera's one stream as a media profile: named by its codec, no snapshot URI."""
    return MediaProfile(STREAM_TOKEN, info.codec, info.width, info.height, "", stream_uri(target))


async def rtsp_discover(target: CameraTarget, ctx: ProbeContext) -> MediaInfo:
    """The one stream as a media profile, cached for the frame check; raises ``DeviceError``."""
    profile = stream_profile(target, await described(target, ctx))
    media = MediaInfo(media_xaddr="", profiles=(profile,), chosen=profile, discovered_at=ctx.clock())
    ctx.media[target.camera_id] = media
    return media
