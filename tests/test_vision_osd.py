"""Day one under an OSD: the clock and name a field camera draws over every picture, a cover included.

Every camera of a county stamps its pictures (date and time, the channel's name) after the lens. Over a cover
those letters are the only edges and texture left, enough to lift the whole picture's edge density over rule 5's
bound: a cloth with folds over the lens read ``ok`` on day one. The cover rules now look past the text lines
(``features.osd_mask``).
"""

from __future__ import annotations

import os

import cv2
import numpy as np
import pytest
import system_helpers
import vision_eval_helpers as ve
import vision_fault_alt as va
import vision_helpers as vh
import vision_scene_helpers as vs

from camfleet.model import Status
from camfleet.vision import analyze_jpeg
from camfleet.vision.features import compute_features, osd_mask


def _decode(image: vh.Image) -> vh.Image:
    """The analysis picture the poller judges: the camera's JPEG decoded at a quarter."""
    data = vh.camera_jpeg(image, 3)
    return np.asarray(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_COLOR_4), np.uint8)


@pytest.mark.parametrize("tick", range(3))
def test_the_osd_mask_holds_the_encoders_text_lines(tick: int) -> None:
    """On a flat picture the mask covers every pixel the OSD changed (both lines, whatever the layout) and
    little else: the text lines' boxes are under 6 % of the picture."""
    grey = np.full((720, 1280, 3), 90, np.uint8)
    small = _decode(ve.stamp_osd(grey, tick))
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 40, 120)
    mask = osd_mask(edges)
    text = np.abs(gray.astype(np.int16) - 90) > 30
    assert text.any()
    assert np.count_nonzero(text & mask) >= 0.95 * np.count_nonzero(text)
    assert 0 < np.count_nonzero(mask) / mask.size < 0.06


@pytest.mark.parametrize("name", ("astronaut", "chelsea", "coffee", "motorcycle"))
def test_a_textured_view_keeps_its_figures_under_an_osd(name: str) -> None:
    """On a textured view the scene's own edges run into the OSD's letters: little or nothing is left out, the
    cover rules' figures stay near the whole picture's, and the first picture stays ``ok``."""
    stamped = ve.stamp_osd(vh.scene(name), 1)
    stats, _ = compute_features(_decode(stamped))
    assert stats.extra["osd_share"] < 0.03
    assert abs(stats.extra["edge_density_bare"] - stats.edge_density) < 0.005
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(stamped, 1), None, None, 4)
    assert verdict.status is Status.OK, verdict


@pytest.mark.parametrize("seed", range(4))
def test_a_cloth_over_the_lens_under_an_osd_is_covered(seed: int) -> None:
    """The second generator's black cloth (folds, daylight leaking along one edge) with the encoder's OSD
    over it: the letters alone lift the whole picture's edge density to rule 5's bound or over it, so it read
    ``ok`` or ``black``; with the text lines left out it is ``covered`` on its first picture."""
    rng = np.random.default_rng(seed)
    scene = vs.load_scene("chelsea")
    cloth = va.cover(vs.render(scene), "cloth, edge leak", rng)
    stamped = ve.stamp_osd(va.osd(np.clip(cloth, 0, 255).astype(np.uint8), va.dt.datetime(2026, 12, 7, 3, 0)), seed)
    stats, _ = compute_features(_decode(stamped))
    assert stats.edge_density >= 0.008, "the OSD's letters should carry the whole picture's edges"
    assert stats.extra["edge_density_bare"] < 0.002
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(stamped, seed), None, None, 4)
    assert verdict.status is Status.COVERED, verdict


CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _chinese_osd(image: vh.Image, size: int) -> vh.Image:
    """The OSD of a camera set up in Chinese, as most of a county's are: the date with 年月日 and the weekday
    top left, the point's name bottom right (white, dark outline, ``size`` px at 720 lines)."""
    from PIL import Image as PilImage
    from PIL import ImageDraw, ImageFont

    system_helpers.need(os.path.exists(CJK_FONT), "fonts-noto-cjk is not installed (the Chinese OSD's glyphs)")
    font = ImageFont.truetype(CJK_FONT, size)
    picture = PilImage.fromarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(picture)
    h, w = image.shape[:2]
    white, dark = (255, 255, 255), (0, 0, 0)
    draw.text((24, 20), "2026年12月07日 星期一 04:51:07", font=font, fill=white, stroke_width=2, stroke_fill=dark)
    name = "殷汇镇东村村口 01"
    width = draw.textlength(name, font=font)
    draw.text((w - 24 - width, h - 24 - size), name, font=font, fill=white, stroke_width=2, stroke_fill=dark)
    return np.asarray(cv2.cvtColor(np.asarray(picture), cv2.COLOR_RGB2BGR), np.uint8)


@pytest.mark.parametrize("size", (24, 32))
def test_a_chinese_osd_is_found_and_a_cover_under_it_is_covered(size: int) -> None:
    """The OSD's text lines are found in Chinese too (denser glyphs than Latin letters, a line all the same):
    over a flat grey cover the mask holds the letters and the picture is ``covered``; over a textured view
    nothing is left out and the view stays ``ok``."""
    grey = np.full((720, 1280, 3), 70, np.uint8)
    stamped = _chinese_osd(grey, size)
    small = _decode(stamped)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    text = np.abs(gray.astype(np.int16) - 70) > 30
    mask = osd_mask(cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 40, 120))
    assert np.count_nonzero(text & mask) >= 0.95 * np.count_nonzero(text)
    stats, _ = compute_features(small)
    assert stats.edge_density > 0.005 and stats.extra["edge_density_bare"] == 0.0  # every edge is a letter's
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(stamped, 1), None, None, 4)
    assert verdict.status is Status.COVERED, verdict
    view = _chinese_osd(vh.scene("coffee"), size)
    stats, _ = compute_features(_decode(view))
    assert stats.extra["osd_share"] < 0.03
    _, verdict, _ = analyze_jpeg(vh.camera_jpeg(view, 1), None, None, 4)
    assert verdict.status is Status.OK, verdict
