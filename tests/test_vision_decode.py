"""Decoding camera bytes: real JPEGs decode at reduced scale, everything else is a FrameError with a reason."""

from __future__ import annotations

import struct

import cv2
import numpy as np
import pytest
import vision_helpers as vh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camfleet.errors import FrameError
from camfleet.model import Reason
from camfleet.vision import analyze_jpeg, check_jpeg, decode_jpeg


@pytest.fixture(scope="module")
def jpeg() -> bytes:
    """A 1280×720 camera JPEG of a real photo."""
    return vh.camera_jpeg(vh.scene("coffee"), seed=1)


@pytest.mark.parametrize("reduction", [1, 2, 4, 8])
def test_decodes_at_reduced_scale(jpeg: bytes, reduction: int) -> None:
    """Each reduction gives a BGR picture 1/reduction the size, and reports the full size from the header."""
    image, width, height = decode_jpeg(jpeg, reduction)
    assert (width, height) == (1280, 720)
    assert image.shape == (720 // reduction, 1280 // reduction, 3)


def test_grayscale_jpeg_decodes_to_three_channels() -> None:
    """A grayscale JPEG (what many IR cameras send at night) still gives a 3-channel picture."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(vh.scene("camera"), cv2.COLOR_BGR2GRAY))
    assert ok
    image, _, _ = decode_jpeg(buf.tobytes(), 4)
    assert image.ndim == 3 and image.shape[2] == 3


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", Reason.NOT_A_JPEG),
        (b"<html><body>Login</body></html>", Reason.NOT_A_JPEG),
        (cv2.imencode(".png", np.zeros((20, 20, 3), np.uint8))[1].tobytes(), Reason.NOT_A_JPEG),
        (b"\xff\xd8\xff\xd9", Reason.NOT_A_JPEG),
    ],
    ids=["empty", "html", "png", "markers-only"],
)
def test_not_a_jpeg(payload: bytes, reason: Reason) -> None:
    """Bytes that are not a JPEG picture are refused with reason not_a_jpeg."""
    with pytest.raises(FrameError) as info:
        decode_jpeg(payload)
    assert info.value.reason == reason


def test_truncated_jpeg(jpeg: bytes) -> None:
    """A snapshot cut off mid-transfer (no end-of-image marker) is refused, not half-decoded."""
    with pytest.raises(FrameError) as info:
        decode_jpeg(jpeg[: len(jpeg) // 2])
    assert info.value.reason == Reason.NOT_A_JPEG
    assert "truncated" in str(info.value)


def test_byte_cap(jpeg: bytes) -> None:
    """A picture larger than the byte cap is refused as oversized."""
    with pytest.raises(FrameError) as info:
        decode_jpeg(jpeg, max_bytes=len(jpeg) - 1)
    assert info.value.reason == Reason.OVERSIZED


def _with_size(jpeg: bytes, width: int, height: int) -> bytes:
    """The same JPEG with its SOF0 header rewritten to claim another size."""
    pos = jpeg.index(b"\xff\xc0")
    return jpeg[: pos + 5] + struct.pack(">HH", height, width) + jpeg[pos + 9 :]


def test_pixel_bomb_refused_from_header(jpeg: bytes) -> None:
    """A header claiming 60000×60000 pixels is refused as oversized before any decoding."""
    bomb = _with_size(jpeg, 60000, 60000)
    assert check_jpeg(jpeg) == (1280, 720)
    with pytest.raises(FrameError) as info:
        decode_jpeg(bomb)
    assert info.value.reason == Reason.OVERSIZED


def test_lying_header_is_a_decode_error(jpeg: bytes) -> None:
    """A plausible but wrong header size makes OpenCV fail or mis-decode; either way no crash escapes."""
    try:
        image, width, _ = decode_jpeg(_with_size(jpeg, 4000, 3000), 4)
    except FrameError as exc:
        assert exc.reason == Reason.NOT_A_JPEG
    else:
        assert width == 4000 and image.ndim == 3


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_only_frame_error(data: bytes) -> None:
    """Arbitrary bytes into analyze_jpeg give a result or a FrameError — never another exception."""
    try:
        analyze_jpeg(data, None, None, 4)
    except FrameError as exc:
        assert exc.reason in {Reason.NOT_A_JPEG, Reason.OVERSIZED, Reason.SNAPSHOT_ERROR}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=4000), st.binary(min_size=1, max_size=64), st.integers(0, 8))
def test_corrupted_real_jpeg_only_frame_error(offset: int, junk: bytes, cut: int) -> None:
    """A real JPEG with bytes overwritten or its tail cut gives a result or a FrameError, never a crash."""
    original = vh.camera_jpeg(vh.scene("chelsea", (320, 180)), seed=3)
    start = offset % len(original)
    data = original[:start] + junk + original[start + len(junk) :]
    data = data[: len(data) - cut]
    try:
        analyze_jpeg(data, None, None, 2)
    except FrameError as exc:
        assert exc.reason in {Reason.NOT_A_JPEG, Reason.OVERSIZED, Reason.SNAPSHOT_ERROR}
