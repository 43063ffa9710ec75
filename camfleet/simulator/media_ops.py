"""ONVIF media service (trt) replies: two profiles (main 1920×1080, sub 640×360), snapshot and stream URIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from camfleet.simulator.soap import ACTION_NOT_SUPPORTED, NO_PROFILE, NS, SoapFault

if TYPE_CHECKING:
    from camfleet.simulator.camera import SimCamera


@dataclass(frozen=True, slots=True)
class StreamProfile:
    """One media profile: its token, name and encoder settings."""

    token: str
    name: str
    width: int
    height: int
    fps: int
    bitrate: int
    quality: int


PROFILES = (
    StreamProfile("Profile_1", "mainStream", 1920, 1080, 25, 4096, 80),
    StreamProfile("Profile_2", "subStream", 640, 360, 15, 512, 70),
)
BY_TOKEN = {p.token: p for p in PROFILES}


def profile_xml(p: StreamProfile, index: int | str, source: int = 1, token: str = "") -> str:
    """One ``trt:Profiles`` element; ``source``: the video source (a recorder's channel) it encodes."""
    return (
        f'<trt:Profiles token="{token or p.token}" fixed="true"><tt:Name>{p.name}</tt:Name>'
        f'<tt:VideoSourceConfiguration token="VideoSourceConfig_{source}"><tt:Name>VideoSourceConfig_{source}</tt:Name>'
        f"<tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_{source}</tt:SourceToken>"
        '<tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>'
        f'<tt:VideoEncoderConfiguration token="VideoEncoder_{index}"><tt:Name>VideoEncoder_{index}</tt:Name>'
        f"<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>{p.width}"
        f"</tt:Width><tt:Height>{p.height}</tt:Height></tt:Resolution><tt:Quality>{p.quality}</tt:Quality>"
        f"<tt:RateControl><tt:FrameRateLimit>{p.fps}</tt:FrameRateLimit><tt:EncodingInterval>1"
        f"</tt:EncodingInterval><tt:BitrateLimit>{p.bitrate}</tt:BitrateLimit></tt:RateControl>"
        f"<tt:H264><tt:GovLength>{p.fps * 2}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>"
        "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>"
        "<tt:Port>0</tt:Port><tt:TTL>128</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
        "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration></trt:Profiles>"
    )


_PROFILES_XML = "".join(profile_xml(p, i + 1) for i, p in enumerate(PROFILES))


_MAIN_ONLY_XML = profile_xml(PROFILES[0], 1)


def get_profiles(cam: SimCamera) -> str:
    """Both profiles with their encoder resolutions (only the 1920×1080 main stream for ``main_only``)."""
    profiles = _MAIN_ONLY_XML if cam.spec.main_only else _PROFILES_XML
    return f"<trt:GetProfilesResponse>{profiles}</trt:GetProfilesResponse>"


def _profile_token(body: etree._Element, cam: SimCamera | None = None) -> StreamProfile | None:
    token = (body.findtext(f"{{{NS['trt']}}}ProfileToken") or "").strip()
    if cam is not None and cam.spec.main_only and token != PROFILES[0].token:
        return None
    return BY_TOKEN.get(token)


def video_source_xml(source: int, width: int = 1920, height: int = 1080, fps: int = 25) -> str:
    """One ``trt:VideoSources`` element: a sensor, or a recorder's channel."""
    return (
        f'<trt:VideoSources token="VideoSource_{source}"><tt:Framerate>{fps}</tt:Framerate>'
        f"<tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height></tt:Resolution></trt:VideoSources>"
    )


def get_video_sources(cam: SimCamera) -> str:
    """The camera's one sensor."""
    return f"<trt:GetVideoSourcesResponse>{video_source_xml(1)}</trt:GetVideoSourcesResponse>"


def media_uri(element: str, uri: str) -> str:
    return (
        f"<trt:{element}><trt:MediaUri><tt:Uri>{uri}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
        f"</trt:{element}>"
    )


def get_snapshot_uri(cam: SimCamera, body: etree._Element) -> str | SoapFault:
    """The HTTP snapshot URL of the profile (HTTP Digest protected)."""
    profile = _profile_token(body, cam)
    if profile is None:
        return NO_PROFILE
    if not cam.spec.snapshot:
        # Older and cheaper cameras have no snapshot service: they answer ActionNotSupported, as here.
        return ACTION_NOT_SUPPORTED
    return media_uri("GetSnapshotUriResponse", f"{cam.base_url}/onvif/snapshot?profile={profile.token}")


def get_stream_uri(cam: SimCamera, body: etree._Element) -> str | SoapFault:
    """The RTSP URL of the profile (served only when the camera's spec has ``rtsp``)."""
    profile = _profile_token(body, cam)
    if profile is None:
        return NO_PROFILE
    return media_uri("GetStreamUriResponse", cam.rtsp_uri(profile.token))
