"""Reading an RTSP-only camera's SDP: the codec of its first video stream and its size, from a=framesize,
a=x-dimensions or the H.264 SPS; a hostile SPS gives "unknown size", never an exception."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camfleet.probe.sdp import StreamInfo, parse_sdp

# Sequence parameter sets written by GStreamer's x264enc (sprop-parameter-sets of rtph264pay), with the size
# each was encoding: baseline, high, interlaced (frame_mbs_only 0), and High 4:4:4 (chroma_format_idc 3).
SPS = {
    "Z0LAFtoCgL/lwFqDAwNSgAAAAwCAAAAKR4sXUA==": (640, 360),
    "Z0LAKNkAeAIn5cBagICAoAAAAwAgAAADApHjBkk=": (1920, 1080),
    "Z2QAKKzZQHgCJ+XAWoCAgKAAAAMAIAAAAwKR4wYywA==": (1920, 1080),
    "Z2QAFqzZQLASbAWoMDA1KAAAAwAIAAADAKR4sWyw": (704, 576),
    "Z2QAFKzZQWCWwFqDAwNSgAAAAwCAAAAKR4oUyw==": (352, 288),
    "Z/QAH5DZaAUAW7AWoCAgKAAAAwAIAAADAKR4wZU=": (1280, 720),
}


def _sdp(*video: str, rtpmap: str = "H264/90000", pt: str = "96") -> str:
    lines = ["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", "m=audio 0 RTP/AVP 0", "a=framesize:0 1-1",
             f"m=video 0 RTP/AVP {pt}"]  # fmt: skip
    if rtpmap:
        lines.append(f"a=rtpmap:{pt} {rtpmap}")
    return "\r\n".join([*lines, *video]) + "\r\n"


@pytest.mark.parametrize(("sprop", "size"), SPS.items())
def test_the_size_is_read_from_a_real_h264_sps(sprop: str, size: tuple[int, int]) -> None:
    """GStreamer's SDP gives only sprop-parameter-sets: the SPS says the encoded size, cropping applied (1080
    lines, not the 1088 of whole macroblocks), for baseline, high, interlaced and 4:4:4 streams."""
    info = parse_sdp(_sdp(f"a=fmtp:96 packetization-mode=1;profile-level-id=42c016;sprop-parameter-sets={sprop},aM4"))
    assert info == StreamInfo("H264", *size, "sps")
    assert info.words() == f"H264 {size[0]}x{size[1]}"


def test_framesize_and_x_dimensions_come_first_and_codec_words_are_one_per_codec() -> None:
    """a=framesize (Hikvision, Dahua) and a=x-dimensions (older encoders) give the size directly; the SDP's audio
    section is ignored; "H.265"/"HEVC" read as H265; a static payload type 26 is JPEG; an H.265 stream without a
    framesize has no size (its SPS is not read: the frame check measures the picture)."""
    assert parse_sdp(_sdp("a=framesize:96 2560-1440")) == StreamInfo("H264", 2560, 1440, "framesize")
    assert parse_sdp(_sdp("a=x-dimensions:1280,960", rtpmap="HEVC/90000")) == StreamInfo(
        "H265", 1280, 960, "x-dimensions"
    )
    assert parse_sdp(_sdp("a=fmtp:96 sprop-sps=QgEBAWAAAAMAAAMAAAMAAAMAlqAB4CAAIh", rtpmap="H.265/90000")) == (
        StreamInfo("H265")
    )
    assert parse_sdp(_sdp(rtpmap="", pt="26")).codec == "JPEG"
    assert parse_sdp(_sdp()).words() == "H264"
    assert parse_sdp("v=0\r\nm=audio 0 RTP/AVP 8\r\n") == StreamInfo()


@pytest.mark.parametrize(
    "sprop",
    [
        "Z0LAFtoC",  # cut short
        base64.b64encode(b"\x67" + b"\x00" * 40).decode(),  # an exp-Golomb code with no end
        base64.b64encode(b"\x67" + b"\xff" * 300).decode(),  # longer than any real SPS
        base64.b64encode(b"\x68\xce\x3c\x80").decode(),  # a PPS, not an SPS
        "not base64!",
        "",
    ],
)
def test_a_broken_or_hostile_sps_gives_no_size(sprop: str) -> None:
    """A truncated SPS, a runaway exp-Golomb code, an oversized one, a PPS in its place or bad base64: the codec
    is still H264 and the size unknown (left to the frame check)."""
    assert parse_sdp(_sdp(f"a=fmtp:96 sprop-parameter-sets={sprop}")) == StreamInfo("H264")


@given(st.binary(max_size=120))
def test_any_sps_bytes_are_survived(raw: bytes) -> None:
    """Whatever bytes sit in sprop-parameter-sets (behind an SPS header byte), parsing returns a StreamInfo whose
    size is 0 or within 16..16384 per side."""
    sprop = base64.b64encode(b"\x67" + raw).decode()
    info = parse_sdp(_sdp(f"a=fmtp:96 sprop-parameter-sets={sprop}"))
    assert info.codec == "H264"
    assert info.width == 0 or (16 <= info.width <= 16384 and 16 <= info.height <= 16384)
