"""A recorder's media service (trt): one video source and two profiles per channel (the contract is in ``nvr``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from camfleet.simulator.media_ops import PROFILES, StreamProfile, media_uri, profile_xml, video_source_xml
from camfleet.simulator.nvr import profile_channel
from camfleet.simulator.soap import NO_PROFILE, NS, SoapFault

if TYPE_CHECKING:
    from camfleet.simulator.camera import SimCamera

#: The stream port a real recorder names in its URIs; the simulator serves no RTSP for recorder channels.
_RECORDER_RTSP_PORT = 554


def _offered(recorder: SimCamera) -> tuple[StreamProfile, ...]:
    return PROFILES[:1] if recorder.spec.main_only else PROFILES


def get_video_sources(recorder: SimCamera) -> str:
    """One video source per channel present, in channel order, each token carrying its channel number."""
    sources = "".join(video_source_xml(channel) for channel in sorted(recorder.channels))
    return f"<trt:GetVideoSourcesResponse>{sources}</trt:GetVideoSourcesResponse>"


def get_profiles(recorder: SimCamera) -> str:
    """``Profile_N01`` (main) and ``Profile_N02`` (sub) per channel N, each bound to ``VideoSource_N``."""
    items = "".join(
        profile_xml(p, f"{channel}0{i + 1}", source=channel, token=f"Profile_{channel}0{i + 1}")
        for channel in sorted(recorder.channels)
        for i, p in enumerate(_offered(recorder))
    )
    return f"<trt:GetProfilesResponse>{items}</trt:GetProfilesResponse>"


def channel_profile(recorder: SimCamera, token: str) -> tuple[SimCamera, StreamProfile] | None:
    """The channel camera and the stream profile a recorder's profile token names (None: no such profile)."""
    found = profile_channel(token)
    if found is None or found[0] not in recorder.channels:
        return None
    offered = _offered(recorder)
    if found[1] > len(offered):
        return None
    return recorder.channels[found[0]], offered[found[1] - 1]


def _token(recorder: SimCamera, body: etree._Element) -> str | None:
    token = (body.findtext(f"{{{NS['trt']}}}ProfileToken") or "").strip()
    return token if channel_profile(recorder, token) is not None else None


def get_snapshot_uri(recorder: SimCamera, body: etree._Element) -> str | SoapFault:
    """The channel's own snapshot URL on the recorder (HTTP Digest, the recorder's login)."""
    token = _token(recorder, body)
    if token is None:
        return NO_PROFILE
    return media_uri("GetSnapshotUriResponse", f"{recorder.base_url}/onvif/snapshot?profile={token}")


def get_stream_uri(recorder: SimCamera, body: etree._Element) -> str | SoapFault:
    """The channel's RTSP URL as a Hikvision recorder names it (not served by the simulator)."""
    token = _token(recorder, body)
    if token is None:
        return NO_PROFILE
    stream = token.removeprefix("Profile_")
    return media_uri(
        "GetStreamUriResponse", f"rtsp://{recorder.spec.host}:{_RECORDER_RTSP_PORT}/Streaming/Channels/{stream}"
    )
