"""JPEG bytes in, a reduced-scale BGR array out — or a ``FrameError`` with a ``model.Reason`` value.

Cameras send anything on their snapshot URL: HTML login pages, truncated JPEGs, zero bytes, and now and
then a corrupt header claiming a 60000×60000 picture. The header is read first (no pixel is decoded) so
an absurd size is refused before OpenCV allocates for it; ``cv2.error`` (e.g. ``CV_IO_MAX_IMAGE_PIXELS``)
is caught as a last line of defence.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.errors import FrameError
from camfleet.model import Reason

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"

#: Largest picture accepted: 12 MP fisheye cameras exist, 40 MP do not in this fleet.
MAX_PIXELS = 40_000_000
#: Largest side accepted (a 32768-px side is a corrupt header, not a camera).
MAX_SIDE = 16_384
#: Default byte cap when the caller gives none.
MAX_BYTES = 16 * 1024 * 1024
#: How far before the end an EOI may sit.
#: Quirk: some DVR firmwares pad snapshots with zero bytes after EOI (symptom: EOI not the last 2 bytes).
EOI_SLACK = 4096

_REDUCED_FLAGS = {
    1: cv2.IMREAD_COLOR,
    2: cv2.IMREAD_REDUCED_COLOR_2,
    4: cv2.IMREAD_REDUCED_COLOR_4,
    8: cv2.IMREAD_REDUCED_COLOR_8,
}

# Start-of-frame markers: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers without a length field: TEM and RST0–RST7 (SOI/EOI handled apart).
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})

BgrImage = npt.NDArray[np.uint8]


def check_jpeg(data: bytes, max_bytes: int = MAX_BYTES) -> tuple[int, int]:
    """Validate markers and header of a JPEG without decoding pixels; return (width, height).

    Raises ``FrameError`` with reason ``not_a_jpeg`` (not a JPEG, truncated, no frame header) or
    ``oversized`` (too many bytes, or a header claiming an absurd size).
    """
    if len(data) > max_bytes:
        raise FrameError(f"picture of {len(data)} bytes exceeds the {max_bytes}-byte cap", Reason.OVERSIZED)
    if len(data) < 4 or not data.startswith(SOI):
        raise FrameError("not a JPEG (no start-of-image marker)", Reason.NOT_A_JPEG)
    if data.rfind(EOI, max(2, len(data) - EOI_SLACK)) < 0:
        raise FrameError("truncated JPEG (no end-of-image marker)", Reason.NOT_A_JPEG)
    width, height = _frame_size(data)
    if width <= 0 or height <= 0:
        raise FrameError(f"JPEG header declares an empty picture ({width}×{height})", Reason.NOT_A_JPEG)
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise FrameError(f"JPEG header declares {width}×{height} pixels, more than allowed", Reason.OVERSIZED)
    return width, height


def _frame_size(data: bytes) -> tuple[int, int]:
    """Walk the marker segments up to the first SOF and read its dimensions."""
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            raise FrameError("corrupt JPEG header (marker expected)", Reason.NOT_A_JPEG)
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # EOI or start of scan before any frame header
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2:
            raise FrameError("corrupt JPEG header (bad segment length)", Reason.NOT_A_JPEG)
        if marker in _SOF_MARKERS:
            if pos + 9 > end:
                break
            height, width = struct.unpack_from(">HH", data, pos + 5)
            return int(width), int(height)
        pos += 2 + length
    raise FrameError("JPEG without a frame header", Reason.NOT_A_JPEG)


def reduction_flag(reduction: int) -> int:
    """The ``cv2.IMREAD_*`` flag for a decode reduction of 1, 2, 4 or 8."""
    try:
        return _REDUCED_FLAGS[reduction]
    except KeyError:
        raise ValueError(f"decode reduction must be 1, 2, 4 or 8, not {reduction!r}") from None


def decode_jpeg(data: bytes, reduction: int = 4, max_bytes: int = MAX_BYTES) -> tuple[BgrImage, int, int]:
    """Decode a JPEG at 1/``reduction`` scale; return (BGR image, full width, full height)."""
    flag = reduction_flag(reduction)
    width, height = check_jpeg(data, max_bytes)
    try:
        image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    except cv2.error as exc:
        raise FrameError(f"JPEG could not be decoded: {_first_line(exc)}", Reason.NOT_A_JPEG) from None
    if image is None or image.size == 0:
        raise FrameError("JPEG could not be decoded", Reason.NOT_A_JPEG)
    if image.ndim == 2:  # defensive: IMREAD_*COLOR should always give 3 channels
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image, dtype=np.uint8), width, height


def encode_jpeg(image: npt.NDArray[np.uint8], quality: int = 85) -> bytes:
    """Encode a BGR (or grayscale) array as JPEG bytes."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise FrameError("picture could not be encoded as JPEG", Reason.SNAPSHOT_ERROR)
    return bytes(buf.tobytes())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1][:200] if text else type(exc).__name__
