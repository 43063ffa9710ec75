"""``camfleet check``: one camera, step by step, with timings, a plain-language verdict and a hint.

The last step fetches the picture exactly as the poller does (``probe.frame.fetch_picture``: snapshot with
Digest, size cap and foreign-host check, else one keyframe of the stream) and judges it against the
camera's stored baseline when there is one. An RTSP-only camera (``access`` rtsp) has no device service: its
steps are RTSP OPTIONS (reachable?), DESCRIBE with its credentials (accepted? which codec and size?) and the
same stream keyframe. A picture without a baseline is reported as
``cannot_judge``/``no_baseline`` in ``picture``; the device itself is then still ``ok`` (it answers,
authenticates and serves a JPEG) — the check says so in its verdict.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import aiohttp

from camfleet.config import CamfleetConfig, CredentialStore
from camfleet.errors import DeviceError, FrameError
from camfleet.model import Access, CameraTarget, MediaProfile, Reason, Status
from camfleet.onvif.client import OnvifClientFactory
from camfleet.onvif.errors import to_device_error
from camfleet.probe.auth import ready_client
from camfleet.probe.context import ProbeContext
from camfleet.probe.discovery import discover
from camfleet.probe.frame import FrameSettings, failure_status, fetch_picture, redact
from camfleet.probe.outcome import status_of
from camfleet.probe.rtsp import options
from camfleet.probe.rtsp_checks import described, stream_profile
from camfleet.runtime.frames import reduction_for
from camfleet.vision import Baseline, analyze_jpeg

T = TypeVar("T")
_REASONS = {r.value: r for r in Reason}
_IDENTITY_FIELDS = ("Manufacturer", "Model", "FirmwareVersion", "SerialNumber")


@dataclass
class Step:
    """One step: its name, whether it passed, how long it took, what it found."""

    name: str
    ok: bool
    ms: float
    detail: str


@dataclass
class Diagnosis:
    """Every step run (stops at the first failure), the status it adds up to, and what to do."""

    camera_id: str
    host: str
    port: int
    steps: list[Step] = field(default_factory=list)
    status: Status = Status.OK
    reason: Reason = Reason.NONE
    verdict: str = "the camera answers, authenticates and serves its media URIs"
    hint: str = ""
    baseline_modes: list[str] = field(default_factory=list)  # stored baselines ready to judge ('day', 'ir')
    picture: Status | None = None  # the picture's verdict (None: no picture was judged)
    picture_reason: Reason = Reason.NONE
    picture_detail: str = ""
    scores: dict[str, float] = field(default_factory=dict)


def _human(seconds: float) -> str:
    s = abs(seconds)
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 60:.0f} min" if s >= 120 else f"{s:.0f} s"


def _hint(target: CameraTarget, exc: DeviceError, offset: float | None, source: str) -> tuple[str, str]:
    status, reason = status_of(exc)
    where = f"{target.host}:{target.port}"
    if target.channel is not None and status is Status.OFFLINE:
        return "the recorder does not answer", (
            f"no answer from recorder {where}: every channel on it is dark; check the recorder's power and the "
            "village uplink"
        )
    if reason is Reason.REFUSED:
        return "connection refused", f"nothing listens on {where}: is the camera powered and ONVIF on this port?"
    if status is Status.OFFLINE:
        return "no answer", f"no answer from {where}: check the camera's power and the village uplink"
    if reason is Reason.CLOCK and offset is not None:
        side = "behind" if offset < 0 else "ahead"
        return "clock too far off", f"clock is {_human(offset)} {side}: fix NTP on the camera"
    if status is Status.AUTH_FAILED:
        group = target.credential or "(none)"
        where_file = source or "the credentials file"
        return "password refused", f"password refused: check credential group {group!r} in {where_file}"
    return "answers, but not proper ONVIF", f"{exc}: is {where} the ONVIF port? check the firmware"


class _Steps:
    """Runs steps in order, recording each; the first failure sets the verdict and stops the run."""

    def __init__(self, out: Diagnosis, target: CameraTarget, ctx: ProbeContext, source: str) -> None:
        self.out, self.target, self.ctx, self.source = out, target, ctx, source

    async def run(self, name: str, awaitable: Awaitable[T]) -> T:
        t0 = time.perf_counter()
        try:
            value = await awaitable
        except DeviceError as exc:
            self.fail(name, exc, t0)
            raise
        self.out.steps.append(Step(name, True, (time.perf_counter() - t0) * 1000, ""))
        return value

    def fail(self, name: str, exc: DeviceError, t0: float) -> None:
        self.out.steps.append(Step(name, False, (time.perf_counter() - t0) * 1000, str(exc)))
        self.out.status, self.out.reason = status_of(exc)
        if self.target.channel is not None and self.out.status is Status.OFFLINE:
            self.out.reason = Reason.NVR  # the poller's words for a channel whose recorder does not answer
        offset = self.ctx.client(self.target).clock_offset_s
        self.out.verdict, self.out.hint = _hint(self.target, exc, offset, self.source)

    def note(self, detail: str, ok: bool = True) -> None:
        self.out.steps[-1].detail = detail
        self.out.steps[-1].ok = ok


async def diagnose(
    target: CameraTarget, cfg: CamfleetConfig, credentials: CredentialStore, baseline: Baseline | None = None
) -> Diagnosis:
    """Run the steps: TCP connect, clock, auth + identity, profiles, snapshot URI, snapshot fetch (+ verdict).
    For a recorder's channel the first three are the recorder's and the profiles are the channel's."""
    out = Diagnosis(target.camera_id, target.host, target.port)
    device = "recorder " if target.channel is not None else ""
    if baseline is not None:
        out.baseline_modes = [m for m in sorted(baseline.modes) if baseline.ready(m) is not None]
    async with OnvifClientFactory(cfg.poller) as factory:
        ctx = ProbeContext(cfg.poller, factory, credentials)
        if target.access is Access.RTSP:
            await _rtsp_steps(out, target, cfg, ctx, factory.session, baseline)
            return out
        client = ctx.client(target)
        steps = _Steps(out, target, ctx, credentials.source)
        try:
            await steps.run(f"{device}tcp connect", _connect(target, cfg.poller.connect_timeout_s))
            reading = await steps.run(f"{device}clock", client.get_system_date_and_time())
            offset = reading.offset_s
            steps.note(f"offset {offset:+.1f} s" if offset is not None else "the camera gives no UTC time")
            if offset is not None and abs(offset) > cfg.poller.clock_skew_limit_s:
                out.hint = f"clock is {_human(offset)} {'behind' if offset < 0 else 'ahead'}: fix NTP on the camera"
            t0 = time.perf_counter()
            ready = await steps.run(f"{device}auth + identity", ready_client(target, ctx))
            try:
                reply = await ready.call("device", "GetDeviceInformation")
            except DeviceError as exc:
                out.steps.pop()
                steps.fail(f"{device}auth + identity", exc, t0)
                raise
            out.steps[-1].ms = (time.perf_counter() - t0) * 1000
            steps.note(" ".join(str(getattr(reply, k, "") or "") for k in _IDENTITY_FIELDS).strip())
            channel = f"channel {target.channel} " if target.channel is not None else ""
            info = await steps.run(f"{channel}profiles", discover(target, ctx))
            steps.note(", ".join(f"{p.token} {p.width}x{p.height}" for p in info.profiles) or "no profiles")
            uri = info.chosen.snapshot_uri if info.chosen else ""
            stream = info.chosen.stream_uri if info.chosen else ""
            if uri or not stream:
                out.steps.append(Step("snapshot uri", bool(uri), 0.0, uri or "no snapshot URI"))
            else:  # a camera without a snapshot service: the poller takes one keyframe of the stream instead
                out.steps.append(Step("stream uri", True, 0.0, f"no snapshot URI; stream {redact(stream)}"))
            if info.chosen is not None and (uri or stream) and client.credential is not None:
                login = (client.credential.username, client.credential.password)
                await _picture(out, target, cfg, factory.session, info.chosen, login, baseline)
        except DeviceError:
            pass  # recorded by the step that failed
    return out


async def _rtsp_steps(
    out: Diagnosis,
    target: CameraTarget,
    cfg: CamfleetConfig,
    ctx: ProbeContext,
    session: aiohttp.ClientSession,
    baseline: Baseline | None,
) -> None:
    """OPTIONS → DESCRIBE → one keyframe, each a step; the first failure says what it means and stops."""
    t0 = time.perf_counter()
    step = "rtsp options"
    try:
        reply, latency = await options(target, cfg.poller)
        methods = reply.header("public")[:80]
        detail = f"RTSP {reply.status}" + (f"; offers {methods}" if methods else "")
        out.steps.append(Step(step, True, latency * 1000, detail))
        t0, step = time.perf_counter(), "rtsp describe"
        info = await described(target, ctx)
    except DeviceError as exc:
        out.steps.append(Step(step, False, (time.perf_counter() - t0) * 1000, str(exc)))
        out.status, out.reason = status_of(exc)
        out.verdict, out.hint = _rtsp_hint(target, exc, ctx.credentials.source)
        return
    size = (
        f"{info.width}x{info.height} (from {info.size_from})"
        if info.width
        else "size not in its SDP (the keyframe tells)"
    )
    out.steps.append(Step(step, True, (time.perf_counter() - t0) * 1000, f"credentials accepted; {info.codec}, {size}"))
    profile = stream_profile(target, info)
    out.steps.append(Step("stream uri", True, 0.0, f"RTSP only, no snapshot; stream {redact(profile.stream_uri)}"))
    credential = ctx.credential(target)
    if credential is not None:
        await _picture(out, target, cfg, session, profile, (credential.username, credential.password), baseline)


def _rtsp_hint(target: CameraTarget, exc: DeviceError, source: str) -> tuple[str, str]:
    status, reason = status_of(exc)
    where = f"{target.host}:{target.port}"
    group = target.credential or "(none)"
    if reason is Reason.REFUSED:
        return "connection refused", f"nothing listens on {where}: is the camera powered and its RTSP port this one?"
    if status is Status.OFFLINE:
        return "no answer", f"no RTSP answer from {where}: check the camera's power and the village uplink"
    if reason is Reason.NO_CREDENTIALS:
        return "no credentials", f"credential group {group!r} is not in {source or 'the credentials file'}"
    if status is Status.AUTH_FAILED:
        return "password refused", f"the stream refused the password: check credential group {group!r}"
    if reason is Reason.HTTP_ERROR:
        return "no stream at that path", f"{exc}: check the camera's rtsp_path (RTSP路径) in the inventory"
    return "answers, but not proper RTSP", f"{exc}: is {where} the camera's RTSP port?"


async def _picture(
    out: Diagnosis,
    target: CameraTarget,
    cfg: CamfleetConfig,
    session: aiohttp.ClientSession,
    profile: MediaProfile,
    login: tuple[str, str],
    baseline: Baseline | None,
) -> None:
    """Fetch the snapshot as the poller does and judge it (off the loop) against the stored baseline."""
    t0 = time.perf_counter()
    step = "snapshot fetch" if profile.snapshot_uri else "stream keyframe"
    try:
        settings = FrameSettings(
            max_bytes=cfg.poller.max_snapshot_bytes,
            timeout_s=cfg.poller.frame_timeout_s,
            allow_foreign_host=cfg.poller.allow_foreign_snapshot_hosts,
        )
        jpeg, _from_stream = await fetch_picture(
            target, session, asyncio.to_thread, profile.snapshot_uri, profile.stream_uri, *login, settings
        )
        reduction = reduction_for(profile.width, cfg.vision.decode_reduction)
        base = baseline.to_dict() if baseline is not None else None
        stats, verdict, _sig = await asyncio.to_thread(
            analyze_jpeg, jpeg, base, None, reduction, cfg.poller.max_snapshot_bytes
        )
    except FrameError as exc:
        reason = _REASONS.get(exc.reason, Reason.SNAPSHOT_ERROR)
        out.steps.append(Step(step, False, (time.perf_counter() - t0) * 1000, str(exc)))
        out.status, out.reason = failure_status(reason), reason
        out.verdict, out.hint = "no usable picture", f"{exc}: check the camera's snapshot settings"
        return
    detail = f"{len(jpeg)} bytes, JPEG {stats.width}x{stats.height}"
    out.steps.append(Step(step, True, (time.perf_counter() - t0) * 1000, detail))
    out.picture, out.picture_reason, out.picture_detail = verdict.status, verdict.reason, verdict.detail
    out.scores = dict(verdict.scores)
    if target.channel is not None and verdict.status is Status.BLACK:  # the recorder's "no video" screen
        out.status, out.reason = Status.OFFLINE, Reason.VIDEO_LOSS
        out.verdict = f"the recorder answers but shows no picture on channel {target.channel} (video loss)"
        out.hint = "check the camera on this channel: its power, and its cable or PoE port on the recorder"
    elif verdict.status.is_image_fault:
        out.status, out.reason = verdict.status, verdict.reason
        out.verdict = f"the picture is {verdict.status}: {verdict.detail}"
        out.hint = "look at the camera on site (lens, housing, aim); `camfleet baseline reset` if it was re-aimed"
    elif verdict.status is Status.CANNOT_JUDGE:
        out.verdict = f"the camera works; its picture cannot be judged yet ({verdict.detail or verdict.reason})"
        out.hint = out.hint or "baselines are learned by `camfleet run` or `camfleet sweep --once --checks full`"
    else:
        out.verdict = "the camera answers, authenticates and its picture matches its baseline"


async def _connect(target: CameraTarget, timeout_s: float) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(target.host, target.port)
    except Exception as exc:  # refused, timeout, no route: all mapped
        raise to_device_error(exc, "TCP connect") from exc
    writer.close()
    await writer.wait_closed()
