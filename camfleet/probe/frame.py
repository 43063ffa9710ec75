"""Frame probe: fetch one picture (ONVIF snapshot URI, else one RTSP keyframe) and judge it off the loop.

Failures are values: ``probe_frame`` returns a ``ProbeResult`` whatever happens on the wire. The words:

| what happened | status | reason |
| --- | --- | --- |
| no answer in time / refused / no route | ``offline`` | ``timeout`` / ``refused`` / ``unreachable`` |
| 401/403 after authenticating | ``auth_failed`` | ``password`` |
| HTTP error, foreign host, bad URI | ``protocol_error`` | ``snapshot_error`` |
| not a JPEG (HTML login page, truncated) | ``protocol_error`` | ``not_a_jpeg`` |
| more bytes or pixels than allowed | ``protocol_error`` | ``oversized`` |
| no snapshot and no stream URI | ``protocol_error`` | ``no_snapshot_uri`` |
| a picture was judged | the verdict's status (``ok``, an image fault, ``cannot_judge``) | the verdict's |

Credentials travel only in the Authorization header (or, for RTSP, to FFmpeg inside the worker); messages
name the URI by scheme, host, port and path — never its user info or query (some cameras put the
password in the query string).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import aiohttp
import cv2
import numpy as np
from yarl import URL

from camfleet.errors import FrameError
from camfleet.model import CameraTarget, CheckKind, FrameStats, ProbeResult, Reason, Status
from camfleet.probe.pool import FFMPEG_CAPTURE_OPTIONS, VisionPool
from camfleet.probe.rtsp_auth import refuses_credentials
from camfleet.vision import Baseline, FrameSignature, Verdict, encode_jpeg
from camfleet.vision.decode import SOI
from camfleet.vision.lifecycle import Judged, Judging, analyze_frame

#: ``review(stats, signature, verdict, judged) -> (verdict, keep_picture)``: the caller's say on a judged frame
#: (the baseline states of ``runtime/review.py``): the verdict to report, having learned what it wants into the
#: memory's baseline itself; ``keep_picture`` keeps the JPEG in ``FrameMemory.review_jpeg``.
Review = Callable[[FrameStats, FrameSignature, Verdict, Judged], tuple[Verdict, bool]]

_CHUNK = 64 * 1024
_REASONS = {r.value: r for r in Reason}
_OFFLINE = {Reason.TIMEOUT, Reason.REFUSED, Reason.UNREACHABLE}


@dataclass(frozen=True, slots=True)
class FrameSettings:
    """How pictures are fetched and decoded (from config ``poller.*`` and ``vision.*``)."""

    max_bytes: int = 8 * 1024 * 1024
    timeout_s: float = 15.0
    reduction: int = 4
    allow_foreign_host: bool = False


@dataclass(slots=True)
class FrameMemory:
    """What the caller keeps per camera between samples: its baseline and the previous signature.

    ``learned`` counts frames folded into the baseline (a caller saving baselines watches it change);
    ``fault_jpeg`` holds the last picture judged an image fault until the caller has made its evidence
    thumbnail (then it drops it: a full picture per faulty camera would be megabytes across a fleet);
    ``review_jpeg`` likewise the last picture a ``Review`` wanted kept.
    """

    baseline: Baseline = field(default_factory=Baseline)
    previous: FrameSignature | None = None
    learned: int = 0
    fault_jpeg: bytes | None = None
    review_jpeg: bytes | None = None
    digest: aiohttp.DigestAuthMiddleware | None = field(default=None, repr=False)
    digest_key: str = field(default="", repr=False)
    picture_bytes: int = 0  # the size of the camera's last picture (what its next check reserves)
    #: The baseline and previous signature wait in the poller's spill file (runtime/spill.py); ``baseline`` is
    #: an empty stand-in until they are read back.
    spilled: bool = False


def kept_digest(memory: FrameMemory, uri: str, username: str, password: str) -> aiohttp.DigestAuthMiddleware:
    """The camera's HTTP Digest state, kept between samples: a later fetch answers the camera's last
    challenge at once (RFC 7616 §3.6), one request instead of two; a nonce the camera no longer accepts
    (``stale``) costs the second request as before. Without it, every snapshot of a full sweep paid a 401
    and a retry: a request and a reply more for the loop and for the camera, and one more round trip.

    A new state for other credentials or another snapshot URI (the middleware sends its answer only to the
    origin of its first request). Only a digest of the key is kept, never the password in the clear.
    """
    key = hashlib.sha256("\0".join((uri, username, password)).encode()).hexdigest()
    if memory.digest is None or memory.digest_key != key:
        memory.digest = aiohttp.DigestAuthMiddleware(username, password, preemptive=True)
        memory.digest_key = key
    return memory.digest


def redact(uri: URL | str) -> str:
    """The URI as it may be shown: scheme, host, port and path only."""
    url = URL(uri) if isinstance(uri, str) else uri
    try:
        return str(url.with_user(None).with_query(None).with_fragment(None))
    except ValueError:
        return "<unusable URI>"


def _checked_uri(uri: str, camera_host: str, allow_foreign_host: bool, schemes: tuple[str, ...]) -> URL:
    url = URL(uri)
    if url.scheme not in schemes or not url.host:
        raise FrameError(f"unusable picture URI {redact(url)}", Reason.SNAPSHOT_ERROR)
    # Quirk: some firmwares embed user:password in the URIs they report (symptom: credentials in
    # GetSnapshotUri's answer). They are dropped; the camera's credential group is used instead.
    url = url.with_user(None)
    if not allow_foreign_host and (url.host or "").lower().strip("[]") != camera_host.lower().strip("[]"):
        raise FrameError(f"picture URI {redact(url)} points away from the camera's host", Reason.SNAPSHOT_ERROR)
    return url


async def fetch_snapshot(
    session: aiohttp.ClientSession,
    uri: str,
    camera_host: str,
    username: str,
    password: str,
    *,
    max_bytes: int,
    timeout_s: float,
    allow_foreign_host: bool,
    digest: aiohttp.DigestAuthMiddleware | None = None,
) -> bytes:
    """GET a snapshot with HTTP Digest (Basic only when the camera asks for it); return its JPEG bytes.

    ``digest``: the camera's kept Digest state (``kept_digest``); without it, a one-off one that waits for
    the camera's challenge. Raises ``FrameError`` whose ``reason`` is a ``model.Reason`` value; never a
    credential in its message.
    """
    url = _checked_uri(uri, camera_host, allow_foreign_host, ("http", "https"))
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with asyncio.timeout(timeout_s):
            if digest is None:
                digest = aiohttp.DigestAuthMiddleware(username, password, preemptive=False)
            async with session.get(url, timeout=timeout, middlewares=(digest,), allow_redirects=False) as resp:
                challenge = resp.headers.get("WWW-Authenticate", "")
                if resp.status != 401 or not challenge.lower().startswith("basic"):
                    return await _read_jpeg(resp, url, max_bytes)
            # Quirk: older firmwares accept only Basic on the snapshot URL (symptom: 401 with a Basic
            # challenge). Basic is sent only after the camera asked for it, never pre-emptively.
            # UTF-8 as RFC 7617 allows: passwords here may hold Chinese characters (latin-1 would fail).
            basic = {"Authorization": aiohttp.encode_basic_auth(username, password, "utf-8")}
            async with session.get(url, timeout=timeout, headers=basic, allow_redirects=False) as resp:
                return await _read_jpeg(resp, url, max_bytes)
    except TimeoutError:
        raise FrameError(f"no picture from {redact(url)} within {timeout_s:g} s", Reason.TIMEOUT) from None
    except aiohttp.ClientConnectorCertificateError:
        # An https snapshot URL with a self-signed or expired certificate answers, but cannot be trusted.
        raise FrameError(
            f"{redact(url)}: TLS certificate not trusted (self-signed or expired)", Reason.SNAPSHOT_ERROR
        ) from None
    except aiohttp.ClientConnectorError as exc:
        refused = isinstance(exc.os_error, ConnectionRefusedError)
        reason = Reason.REFUSED if refused else Reason.UNREACHABLE
        raise FrameError(f"cannot connect to {redact(url)} ({reason.value})", reason) from None
    except aiohttp.ClientError as exc:
        raise FrameError(
            f"picture transfer from {redact(url)} failed: {type(exc).__name__}", Reason.SNAPSHOT_ERROR
        ) from None


async def _read_jpeg(resp: aiohttp.ClientResponse, url: URL, max_bytes: int) -> bytes:
    """Check status, type and size, then read at most ``max_bytes``."""
    where = redact(url)
    if resp.status in (401, 403):
        raise FrameError(f"{where} refused the credentials (HTTP {resp.status})", Reason.PASSWORD)
    if resp.status != 200:
        raise FrameError(f"{where} answered HTTP {resp.status}", Reason.SNAPSHOT_ERROR)
    ctype = resp.headers.get("Content-Type", "").split(";")[0].strip().lower()
    # Quirk: cameras label JPEGs image/jpg, application/octet-stream or nothing at all; only a text type
    # (typically an HTML login or error page) is refused by label. The bytes are checked anyway.
    if ctype.startswith("text/") or ctype.endswith("/html") or ctype.endswith("/xml"):
        raise FrameError(f"{where} sent {ctype} instead of a picture", Reason.NOT_A_JPEG)
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise FrameError(f"{where} announced {resp.content_length} bytes (cap {max_bytes})", Reason.OVERSIZED)
    body = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise FrameError(f"{where} sent more than {max_bytes} bytes", Reason.OVERSIZED)
    if not body.startswith(SOI):
        raise FrameError(f"{where} sent something that is not a JPEG", Reason.NOT_A_JPEG)
    return bytes(body)


def grab_rtsp_frame(uri: str, timeout_s: float, username: str = "", password: str = "") -> bytes:
    """Open an RTSP stream with FFmpeg, decode its first picture and return it as JPEG bytes.

    Blocking: run it in the ``VisionPool``. FFmpeg takes credentials only inside the URL, so they are
    added here, in the worker, and never leave it; messages use the redacted URI.
    """
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", FFMPEG_CAPTURE_OPTIONS)
    url = URL(uri)
    if url.scheme not in ("rtsp", "rtsps") or not url.host:
        raise FrameError(f"unusable stream URI {redact(url)}", Reason.SNAPSHOT_ERROR)
    if username:
        url = url.with_user(username).with_password(password)
    ms = int(timeout_s * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
    deadline = time.monotonic() + timeout_s
    cap = cv2.VideoCapture(str(url), cv2.CAP_FFMPEG, params)
    try:
        if not cap.isOpened():
            # FFmpeg does not say why; the camera does, to one DESCRIBE (``rtsp_auth``).
            if refuses_credentials(uri, username, password, deadline - time.monotonic()):
                raise FrameError(f"stream {redact(url)} refused the credentials", Reason.PASSWORD)
            raise FrameError(f"stream {redact(url)} could not be opened", Reason.SNAPSHOT_ERROR)
        while time.monotonic() < deadline:
            ok, image = cap.read()
            if ok and image is not None and image.size:
                return encode_jpeg(np.asarray(image, np.uint8), 90)
        raise FrameError(f"no picture from stream {redact(url)} within {timeout_s:g} s", Reason.TIMEOUT)
    finally:
        cap.release()


def failure_status(reason: Reason) -> Status:
    """The status a picture fetch failure stands for (offline, auth_failed or protocol_error)."""
    if reason in _OFFLINE:
        return Status.OFFLINE
    if reason is Reason.PASSWORD:
        return Status.AUTH_FAILED
    return Status.PROTOCOL_ERROR


class Picture(NamedTuple):
    """A fetched picture: JPEG bytes, and whether camfleet encoded them from a stream keyframe."""

    data: bytes
    from_stream: bool


async def fetch_picture(
    target: CameraTarget,
    session: aiohttp.ClientSession,
    run_blocking: Callable[..., Awaitable[bytes]],
    snapshot_uri: str,
    stream_uri: str,
    username: str,
    password: str,
    settings: FrameSettings,
    memory: FrameMemory | None = None,
) -> Picture:
    """Snapshot first; one RTSP keyframe when there is no snapshot URI or it serves no usable picture.

    ``run_blocking(fn, *args)`` runs the blocking stream grab off the loop: the poller's ``VisionPool.run``,
    or ``asyncio.to_thread`` for a one-off ``check``. ``memory``: the camera's, to keep its Digest state.
    """
    if not snapshot_uri and not stream_uri:
        raise FrameError("the camera reports neither a snapshot nor a stream URI", Reason.NO_SNAPSHOT_URI)
    if snapshot_uri:
        try:
            data = await fetch_snapshot(
                session,
                snapshot_uri,
                target.host,
                username,
                password,
                max_bytes=settings.max_bytes,
                timeout_s=settings.timeout_s,
                allow_foreign_host=settings.allow_foreign_host,
                digest=kept_digest(memory, snapshot_uri, username, password) if memory is not None else None,
            )
            return Picture(data, from_stream=False)
        except FrameError as exc:
            # Quirk: some firmwares' snapshot URL answers HTTP 500 or an HTML page while RTSP works.
            if not stream_uri or exc.reason not in (Reason.SNAPSHOT_ERROR, Reason.NOT_A_JPEG):
                raise
    _checked_uri(stream_uri, target.host, settings.allow_foreign_host, ("rtsp", "rtsps"))
    data = await run_blocking(grab_rtsp_frame, stream_uri, settings.timeout_s, username, password)
    return Picture(data, from_stream=True)


async def probe_frame(
    target: CameraTarget,
    *,
    session: aiohttp.ClientSession,
    pool: VisionPool,
    memory: FrameMemory,
    username: str,
    password: str,
    snapshot_uri: str = "",
    stream_uri: str = "",
    settings: FrameSettings = FrameSettings(),
    review: Review | None = None,
    judging: Judging = Judging(),
) -> ProbeResult:
    """Fetch, analyse in the pool, judge; update ``memory`` (previous signature, baseline learning).

    Without ``review`` only frames judged ``ok`` are learned. ``judging`` (``vision/lifecycle.py``): the
    camera's peers, an acceptance picture whose baseline replaces the memory's, a peer recheck.
    """
    started_at = time.time()
    t0 = time.perf_counter()
    try:
        data, from_stream = await fetch_picture(
            target, session, pool.run, snapshot_uri, stream_uri, username, password, settings, memory
        )
        memory.picture_bytes = len(data)
        # A copy of the baseline object, not ``to_dict()``: that encodes a PNG and lists every cell on the
        # event loop for each frame (~1 ms against ~0.05 ms for the copy). The copy is pickled off the loop
        # by the pool's feeder thread, and the loop may go on learning into the original.
        stats, verdict, signature, judged = await pool.run(
            analyze_frame,
            data,
            copy.deepcopy(memory.baseline),
            memory.previous,
            settings.reduction,
            settings.max_bytes,
            not from_stream,
            judging,
        )
    except FrameError as exc:
        reason = _REASONS.get(exc.reason, Reason.SNAPSHOT_ERROR)
        return ProbeResult(
            camera_id=target.camera_id,
            kind=CheckKind.FRAME,
            status=failure_status(reason),
            reason=reason,
            detail=str(exc),
            started_at=started_at,
            latency_s=time.perf_counter() - t0,
        )
    memory.previous = signature
    if judged.made is not None:
        memory.baseline = judged.made
        memory.learned += 1
    keep = False
    if review is not None:
        verdict, keep = review(stats, signature, verdict, judged)
    elif verdict.status is Status.OK and memory.baseline.learn(stats, signature, verdict.status, verdict.mode):
        memory.learned += 1
    memory.fault_jpeg = data if verdict.status.is_image_fault else None
    memory.review_jpeg = data if keep else None
    return ProbeResult(
        camera_id=target.camera_id,
        kind=CheckKind.FRAME,
        status=verdict.status,
        reason=verdict.reason,
        detail=verdict.detail,
        started_at=started_at,
        latency_s=time.perf_counter() - t0,
        frame=stats,
        scores=verdict.scores,
    )
