"""What an RTSP-only camera's SDP says about its video: the codec and, when it can be told, the resolution.

An RTSP-only camera has no device service, so its stream is its identity. The resolution comes, in this order,
from ``a=framesize:<pt> W-H`` (Hikvision, Dahua and most Chinese firmware), ``a=x-dimensions:W,H`` (Axis and
older encoders), or the H.264 sequence parameter set in ``sprop-parameter-sets`` (GStreamer, Live555, FFmpeg
servers give only that). An H.264 SPS is a few dozen bytes of exp-Golomb fields: read here, capped at
``MAX_SPS`` bytes and bounded at every step, so a hostile one gives "unknown", never a crash or a long loop.
The H.265 SPS (profile_tier_level with sub-layers, VPS dependencies) is not read: an H.265 camera that gives
no ``framesize`` has its resolution measured by the frame check instead.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

#: Largest SPS read (bytes, after base64): real ones are 10-40 bytes.
MAX_SPS = 256
#: Widest and tallest picture believed (a value beyond is a misread, not a camera).
MAX_SIDE = 16384
#: RTP static payload types with no rtpmap line (RFC 3551).
_STATIC = {"26": "JPEG", "32": "MPV", "34": "H263"}
#: H.264 profiles whose SPS carries chroma format, bit depths and scaling lists (spec 7.3.2.1.1).
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
_SIZE = re.compile(r"^\s*(\d{1,5})\s*[-x,]\s*(\d{1,5})\s*$")


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """The first video stream of an SDP: its codec word (``H264``, ``H265``, ``JPEG``…) and size (0 when unknown)."""

    codec: str = ""
    width: int = 0
    height: int = 0
    size_from: str = ""  # "framesize", "x-dimensions", "sps" or "" (unknown)

    def words(self) -> str:
        """``H264 1920x1080`` or ``H264`` when the size is unknown (the model word of an RTSP-only camera)."""
        return f"{self.codec} {self.width}x{self.height}" if self.width else self.codec


def parse_sdp(text: str) -> StreamInfo:
    """The first ``m=video`` section's codec and size; an empty ``StreamInfo`` when the SDP has no video."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    start = next((i for i, line in enumerate(lines) if line.startswith("m=video ")), None)
    if start is None:
        return StreamInfo()
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("m=")), len(lines))
    fields = lines[start].split()
    pt = fields[3] if len(fields) > 3 else ""
    attrs: dict[str, str] = {}
    for line in lines[start + 1 : end]:
        if line.startswith("a="):
            name, _, value = line[2:].partition(":")
            attrs.setdefault(name.lower(), value)
    codec = _codec(pt, attrs)
    for name in ("framesize", "x-dimensions"):
        value = attrs.get(name, "")
        if name == "framesize":  # it carries the payload type first ("96 1920-1080"); x-dimensions does not
            value = value.partition(" ")[2]
        size = _size(value)
        if size is not None:
            return StreamInfo(codec, *size, name)
    if codec == "H264":
        size = _sps_size(_fmtp(attrs.get("fmtp", "")).get("sprop-parameter-sets", ""))
        if size is not None:
            return StreamInfo(codec, *size, "sps")
    return StreamInfo(codec)


def _codec(pt: str, attrs: dict[str, str]) -> str:
    rtpmap = attrs.get("rtpmap", "")
    number, _, encoding = rtpmap.partition(" ")
    if encoding and number == pt:
        word = encoding.split("/", 1)[0].strip().upper()
        # Camera quirk: some firmware writes "H.264" or "HEVC"; the words must stay one per codec.
        return {"H.264": "H264", "AVC": "H264", "H.265": "H265", "HEVC": "H265"}.get(word, word)[:16]
    return _STATIC.get(pt, "unknown")


def _fmtp(value: str) -> dict[str, str]:
    """``96 packetization-mode=1;sprop-parameter-sets=Z0IA…,aM4…`` → its parameters, names in lower case."""
    params = value.partition(" ")[2]
    out = {}
    for part in params.split(";"):
        name, _, val = part.partition("=")
        out[name.strip().lower()] = val.strip()
    return out


def _size(value: str) -> tuple[int, int] | None:
    match = _SIZE.match(value)
    if match is None:
        return None
    width, height = int(match.group(1)), int(match.group(2))
    return (width, height) if 16 <= width <= MAX_SIDE and 16 <= height <= MAX_SIDE else None


def _sps_size(sprop: str) -> tuple[int, int] | None:
    """The picture size from the first parameter set of ``sprop-parameter-sets`` when it is an H.264 SPS."""
    first = sprop.split(",", 1)[0].strip()
    if not first or len(first) > MAX_SPS * 2:
        return None
    try:
        nal = base64.b64decode(first + "=" * (-len(first) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    if not nal or nal[0] & 0x1F != 7 or len(nal) > MAX_SPS:
        return None
    try:
        size = _read_sps(_Bits(_unescape(nal[1:])))
    except IndexError:  # ran off the end: a truncated or hostile SPS
        return None
    return size if 16 <= size[0] <= MAX_SIDE and 16 <= size[1] <= MAX_SIDE else None


def _unescape(rbsp: bytes) -> bytes:
    """Drop the emulation-prevention bytes (00 00 03 → 00 00)."""
    return rbsp.replace(b"\x00\x00\x03", b"\x00\x00")


class _Bits:
    """Reads bits and exp-Golomb codes; raises IndexError past the end."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def u(self, n: int) -> int:
        value = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]  # IndexError at the end
            value = (value << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise IndexError("exp-Golomb code too long")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)


def _read_sps(b: _Bits) -> tuple[int, int]:
    """H.264 spec 7.3.2.1.1 up to the frame cropping; the cropped luma size."""
    profile = b.u(8)
    b.u(16)  # constraint flags, level
    b.ue()  # seq_parameter_set_id
    chroma = 1
    if profile in _HIGH_PROFILES:
        chroma = b.ue()
        if chroma == 3:
            b.u(1)  # separate_colour_plane_flag
        b.ue(), b.ue(), b.u(1)  # bit depths, qpprime_y_zero_transform_bypass
        if b.u(1):  # seq_scaling_matrix_present_flag
            for i in range(12 if chroma == 3 else 8):
                if b.u(1):
                    _skip_scaling_list(b, 16 if i < 6 else 64)
    b.ue()  # log2_max_frame_num_minus4
    poc_type = b.ue()
    if poc_type == 0:
        b.ue()
    elif poc_type == 1:
        b.u(1), b.se(), b.se()
        for _ in range(min(b.ue(), 255)):
            b.se()
    b.ue(), b.u(1)  # max_num_ref_frames, gaps_in_frame_num_value_allowed_flag
    width_mbs, height_units = b.ue() + 1, b.ue() + 1
    frame_mbs_only = b.u(1)
    if not frame_mbs_only:
        b.u(1)  # mb_adaptive_frame_field_flag
    b.u(1)  # direct_8x8_inference_flag
    width, height = width_mbs * 16, (2 - frame_mbs_only) * height_units * 16
    if b.u(1):  # frame_cropping_flag
        left, right, top, bottom = b.ue(), b.ue(), b.ue(), b.ue()
        unit_x = 2 if chroma in (1, 2) else 1
        unit_y = (2 if chroma == 1 else 1) * (2 - frame_mbs_only)
        width -= unit_x * (left + right)
        height -= unit_y * (top + bottom)
    return width, height


def _skip_scaling_list(b: _Bits, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt:
            nxt = (last + b.se() + 256) % 256
        last = nxt or last
