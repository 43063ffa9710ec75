"""Discovery: the media service address, the profiles, and the snapshot/stream URIs of the one we use.

We pick the smallest profile still ≥ 320 px wide (rural uplinks are thin; smaller pictures cannot be
judged). The result is cached in the context for the frame probe.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from camfleet.errors import DeviceError, DeviceNotSupported, DeviceProtocolError
from camfleet.model import Access, CameraTarget, CheckKind, MediaProfile, ProbeResult, Status
from camfleet.onvif.client import CameraClient
from camfleet.probe.auth import ready_client
from camfleet.probe.context import MediaInfo, ProbeContext
from camfleet.probe.outcome import failed
from camfleet.probe.rtsp_checks import rtsp_discover

MIN_WIDTH = 320
_STREAM_SETUP = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}


def choose_profile(profiles: tuple[MediaProfile, ...]) -> MediaProfile | None:
    """The smallest profile at least ``MIN_WIDTH`` wide; else the widest one; None when there is none."""
    wide = [p for p in profiles if p.width >= MIN_WIDTH]
    if wide:
        return min(wide, key=lambda p: (p.width * p.height, p.token))
    return max(profiles, key=lambda p: (p.width * p.height, p.token), default=None)


def same_host(xaddr: str, target: CameraTarget) -> str:
    """``xaddr`` re-pointed at the camera's inventory address.

    Camera quirk: behind a village router's NAT, cameras advertise their LAN address (192.168.1.64) in
    XAddrs, which the poller cannot reach. The path is what matters; the host is the one we know works.
    """
    parts = urlsplit(xaddr)
    netloc = target.host if target.port == 80 else f"{target.host}:{target.port}"
    return urlunsplit((parts.scheme or "http", netloc, parts.path or "/", parts.query, ""))


async def service_xaddr(client: CameraClient, target: CameraTarget, category: str) -> str:
    """The address of a device service (``category`` "Media", "Events") re-pointed at the camera's inventory
    host, from GetCapabilities or, when that is refused, GetServices; "" when the camera offers none."""
    try:
        caps = await client.call("device", "GetCapabilities", Category=category)
        xaddr = getattr(getattr(caps, category, None), "XAddr", None)
    except DeviceProtocolError:
        # Camera quirk: some firmware answers GetCapabilities with ActionNotSupported; GetServices instead.
        services = await client.call("device", "GetServices", IncludeCapability=False)
        wsdl = f"{category.lower()}/wsdl"
        xaddr = next((s.XAddr for s in services or [] if wsdl in str(s.Namespace)), None)
    return same_host(str(xaddr), target) if xaddr else ""


async def _media_xaddr(client: CameraClient, target: CameraTarget) -> str:
    xaddr = await service_xaddr(client, target, "Media")
    if not xaddr:
        raise DeviceProtocolError("GetCapabilities: the camera offers no media service", reason="wrong_type")
    return xaddr


def _profile(raw: Any) -> MediaProfile:
    resolution = getattr(getattr(raw, "VideoEncoderConfiguration", None), "Resolution", None)
    source = getattr(getattr(raw, "VideoSourceConfiguration", None), "SourceToken", None)
    return MediaProfile(
        token=str(raw.token),
        name=str(getattr(raw, "Name", "") or ""),
        width=int(getattr(resolution, "Width", 0) or 0),
        height=int(getattr(resolution, "Height", 0) or 0),
        source=str(source or ""),
    )


def channel_profiles(profiles: tuple[MediaProfile, ...], channel: int) -> tuple[MediaProfile, ...]:
    """A recorder's profiles that show ``channel``: those of its channel-th video source.

    Recorder quirk: ONVIF has no channel number, only video source tokens. Hikvision-style tokens end in the
    1-based channel (``VideoSource_16``), and then the number is what counts, gaps and all; Dahua-style tokens
    count from 0 (``00000``), and others are names, so otherwise the channel is the source's position in the
    order the recorder lists its profiles."""
    sources = list(dict.fromkeys(p.source for p in profiles if p.source))
    numbers = [n for s in sources if (n := _trailing_number(s)) is not None]
    if len(numbers) == len(sources) and len(set(numbers)) == len(numbers) and min(numbers, default=0) >= 1:
        wanted = next((s for s, n in zip(sources, numbers, strict=True) if n == channel), None)
    else:
        wanted = sources[channel - 1] if channel <= len(sources) else None
    return tuple(p for p in profiles if wanted is not None and p.source == wanted)


def _trailing_number(token: str) -> int | None:
    digits = len(token) - len(token.rstrip("0123456789"))
    return int(token[-digits:]) if digits else None


async def _uri(client: CameraClient, operation: str, token: str, **extra: Any) -> str:
    """The URI, or "" when the camera says it does not offer this one (a camera without a snapshot service
    answers GetSnapshotUri with ``ter:ActionNotSupported``; the frame probe then uses the stream)."""
    try:
        reply = await client.call("media", operation, ProfileToken=token, **extra)
    except DeviceNotSupported:
        return ""
    return str(getattr(reply, "Uri", "") or "")


async def discover(target: CameraTarget, ctx: ProbeContext) -> MediaInfo:
    """Run the discovery calls and cache the findings; raises ``DeviceError``."""
    if target.access is Access.RTSP:
        return await rtsp_discover(target, ctx)  # no media service: the inventory's stream path, DESCRIBEd
    client = await ready_client(target, ctx)
    xaddr = await _media_xaddr(client, target)
    if xaddr != client.media_xaddr:
        client.forget_media()
        client.media_xaddr = xaddr
    profiles = tuple(_profile(p) for p in (await client.call("media", "GetProfiles") or []))
    if target.channel is not None:
        shown = channel_profiles(profiles, target.channel)
        if not shown:
            sources = len({p.source for p in profiles if p.source})
            raise DeviceProtocolError(
                f"the recorder has no video source for channel {target.channel} ({sources} sources)",
                reason="wrong_type",
            )
        profiles = shown
    chosen = choose_profile(profiles)
    if chosen is not None:
        snapshot = await _uri(client, "GetSnapshotUri", chosen.token)
        stream = await _uri(client, "GetStreamUri", chosen.token, StreamSetup=_STREAM_SETUP)
        chosen = MediaProfile(chosen.token, chosen.name, chosen.width, chosen.height, snapshot, stream, chosen.source)
        profiles = tuple(chosen if p.token == chosen.token else p for p in profiles)
    info = MediaInfo(media_xaddr=xaddr, profiles=profiles, chosen=chosen, discovered_at=ctx.clock())
    ctx.media[target.camera_id] = info
    return info


async def probe_discovery(target: CameraTarget, ctx: ProbeContext) -> ProbeResult:
    """Media address, profiles and URIs, as a value."""
    started_at = ctx.clock()
    t0 = time.perf_counter()
    try:
        info = await discover(target, ctx)
    except DeviceError as exc:
        offset = ctx.client(target).clock_offset_s
        return failed(target, CheckKind.DISCOVERY, exc, started_at, time.perf_counter() - t0, offset)
    chosen = info.chosen
    detail = f"profile {chosen.token} {chosen.width}x{chosen.height}" if chosen else "no media profile"
    return ProbeResult(
        camera_id=target.camera_id,
        kind=CheckKind.DISCOVERY,
        status=Status.OK,
        detail=detail,
        started_at=started_at,
        latency_s=time.perf_counter() - t0,
        profiles=info.profiles,
    )
