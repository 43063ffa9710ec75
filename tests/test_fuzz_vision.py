"""Fuzzing frame analysis: arbitrary bytes and mutated real JPEGs give a verdict or a FrameError, and return."""

from __future__ import annotations

import struct

import vision_helpers as vh
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camfleet.errors import FrameError
from camfleet.model import Reason
from camfleet.vision import analyze_jpeg

FUZZ = settings(max_examples=120, deadline=5000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
REAL = vh.camera_jpeg(vh.scene("coffee", (320, 180)), seed=1)
_REASONS = {r.value for r in Reason}


def _analyze(data: bytes) -> None:
    try:
        stats, verdict, _signature = analyze_jpeg(data, None, None, 4, 4 * 1024 * 1024)
    except FrameError as exc:
        assert exc.reason in _REASONS
        return
    assert stats.width > 0 and verdict.status is not None


@settings(parent=FUZZ)
@given(st.binary(max_size=5000))
def test_arbitrary_bytes(data: bytes) -> None:
    """Any bytes, with or without a JPEG start marker: analysed or refused with a FrameError reason."""
    _analyze(data)
    _analyze(b"\xff\xd8" + data)


@st.composite
def mutated_jpeg(draw: st.DrawFn) -> bytes:
    """A real camera JPEG with header or scan bytes changed, its frame size rewritten, or cut short."""
    data = bytearray(REAL)
    for _ in range(draw(st.integers(1, 8))):
        pos = draw(st.integers(2, len(data) - 1))
        if draw(st.booleans()):
            pos = min(pos, 700)  # the header segments: quantisation, Huffman tables, frame header
        data[pos] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        sof = data.find(b"\xff\xc0")
        if sof > 0:
            struct.pack_into(">HH", data, sof + 5, draw(st.integers(0, 65535)), draw(st.integers(0, 65535)))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@settings(parent=FUZZ)
@given(mutated_jpeg())
def test_mutated_real_jpegs(data: bytes) -> None:
    """Corrupted real JPEGs (bad tables, absurd sizes, truncation): a verdict or a FrameError, and it returns."""
    _analyze(data)
