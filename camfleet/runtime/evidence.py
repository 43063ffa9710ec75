"""Evidence pictures for the repair list: what the camera showed, beside what it should show.

Both are small JPEGs (160 px wide, a few KB): the triggering frame, decoded at the largest reduction that
still gives the thumbnail width, and the baseline's 96×54 luma picture scaled to the same size. They run
in the vision pool (``evidence_pictures`` is top-level and takes only picklable values).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from camfleet.vision import decode_jpeg, encode_jpeg

THUMB_WIDTH = 160
QUALITY = 70


def _reduction_for(width: int) -> int:
    """The largest JPEG decode reduction whose picture is still at least ``THUMB_WIDTH`` wide."""
    for reduction in (8, 4, 2):
        if width // reduction >= THUMB_WIDTH:
            return reduction
    return 1


def _fit(image: npt.NDArray[np.uint8], width: int, height: int) -> npt.NDArray[np.uint8]:
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), np.uint8)


def evidence_pictures(
    jpeg: bytes, width: int, height: int, reference: npt.NDArray[np.float32] | None, max_bytes: int
) -> tuple[bytes, bytes]:
    """(thumbnail of ``jpeg``, thumbnail of the baseline ``reference`` luma, or b"" without one).

    ``width``/``height`` are the picture's full size (from its FrameStats). Raises ``FrameError`` for bytes
    that do not decode (they did a moment ago, so this means a worker problem).
    """
    image, _w, _h = decode_jpeg(jpeg, _reduction_for(width), max_bytes)
    out_h = max(1, round(THUMB_WIDTH * height / max(width, 1)))
    thumb = encode_jpeg(_fit(image, THUMB_WIDTH, out_h), QUALITY)
    if reference is None:
        return thumb, b""
    ref = np.clip(reference, 0, 255).astype(np.uint8)
    return thumb, encode_jpeg(np.asarray(cv2.resize(ref, (THUMB_WIDTH, out_h)), np.uint8), QUALITY)


#: The review page's picture of a doubtful camera: larger than the evidence thumbnail, still small.
REVIEW_WIDTH = 320


def review_thumbnail(jpeg: bytes, width: int, height: int, max_bytes: int) -> bytes:
    """The picture as a JPEG at most ``REVIEW_WIDTH`` wide, for people reviewing a doubtful camera."""
    reduction = next((r for r in (8, 4, 2) if width // r >= REVIEW_WIDTH), 1)
    image, _w, _h = decode_jpeg(jpeg, reduction, max_bytes)
    out_w = min(REVIEW_WIDTH, image.shape[1])
    out_h = max(1, round(out_w * height / max(width, 1)))
    return encode_jpeg(_fit(image, out_w, out_h), QUALITY)
