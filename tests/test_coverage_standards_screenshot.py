"""The standards' matrix as a person sees it: headless Chromium draws the villages × site types cells in
their four colours, and the Chinese names in the matrix (its site-type headers, its towns) as glyphs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from standards_helpers import base_village, down, report, sp, standard
from test_coverage_screenshot import _chromium, _pixels_of, _screenshot  # noqa: F401 (the fixture skips)

from camfleet.coverage import render_html
from camfleet.coverage.standards_html import CELL_STYLE
from camfleet.model import CameraRecord, PointStatus

NOW = 1_795_708_800.0
REQUIRED_HEADER = "#e3f2fd"  # the background of a required site type's column header (standards_html.CSS)


def _required_headers(image: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The required site types' header cells (x, y, width, height), matrix by matrix, left to right."""
    mask = np.all(np.abs(image.astype(np.int16) - _bgr(REQUIRED_HEADER)) <= 3, axis=2).astype(np.uint8)
    _n, _labels, stats, _centres = cv2.connectedComponentsWithStats(mask)
    boxes = [tuple(int(v) for v in s[:4]) for s in stats[1:] if s[4] > 300]
    return sorted(boxes, key=lambda b: (b[1], b[0]))  # type: ignore[return-value]


def _bgr(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (5, 3, 1)], dtype=np.int16)


def _heading_above(gray: np.ndarray, top: int, width: int) -> np.ndarray:
    """The town heading (``<h3>town · verdict``) over a matrix whose header row starts at ``top``: the first
    band of ink rows above it, within the page's first ``width`` pixels."""
    ink = (gray[:top, :width] < 128).any(axis=1)
    bottom = top - 1
    while bottom > 0 and not ink[bottom]:
        bottom -= 1
    start = bottom
    while start > 0 and ink[start - 1]:
        start -= 1
    assert bottom - start >= 10, f"no heading above the matrix at y={top}"
    return gray[start - 2 : bottom + 3, :width]


def _different(a: np.ndarray, b: np.ndarray) -> int:
    """Pixels that are ink in one crop and background in the other (same-sized crops)."""
    return int(((a < 128) != (b < 128)).sum())


@pytest.mark.timeout(240)
def test_matrix_cells_are_drawn_in_their_colours(tmp_path: Path) -> None:
    """A page whose matrix has working, broken, not-built and unplanned cells shows each colour over a real
    area more than the same page without the standard (the charts use some of these colours too); and the
    matrix's Chinese is drawn as glyphs: its two required site-type headers (村口 ★, 学校 ★) and its two town
    headings (梅街镇 · 否, 殷汇镇 · 否) are inked and differ from each other, which the identical notdef boxes of a
    missing CJK font cannot do (checked by hand with a fontconfig of DejaVu and Liberation only)."""
    rows = [base_village(f"{name}村", i) for i, name in enumerate("甲乙丙丁", start=1)]
    rows[1][2]["c21"] = down("c21")  # 乙村: 学校 broken
    rows[2][0][1] = sp("P31", "丙村", "学校", PointStatus.PLANNED)  # 丙村: 学校 planned, not built
    rows[2][1].pop(1)
    del rows[2][2]["c31"]
    for row in rows[2:]:  # 丙村 and 丁村 are 梅街镇's; both towns fall short (乙村, 丙村): the same verdict
        row[0][:] = [sp(p.point_id, p.village, p.site_type, p.status, town="梅街镇") for p in row[0]]
    points = [p for r in rows for p in r[0]]
    cams: list[CameraRecord] = [c for r in rows for c in r[1]]
    states = {k: v for r in rows for k, v in r[2].items()}
    pages = {}
    for name, standards in (("with", [standard(towns=["殷汇镇", "梅街镇"])]), ("without", [])):
        html = tmp_path / f"{name}.html"
        html.write_text(render_html(report(points, cams, states, standards), title="标准", generated_at=NOW), "utf-8")
        pages[name] = _screenshot(html, tmp_path / f"{name}.png", tmp_path, size="1400,3000")
    colours = {state: colour for state, (colour, _fg) in CELL_STYLE.items() if colour != "#ffffff"}
    added = {
        s: _pixels_of(pages["with"], c, tol=6) - _pixels_of(pages["without"], c, tol=6) for s, c in colours.items()
    }
    # Per village 7 cells: 村口, 学校, then 主路口 河塘 村部 集市 其他 (no point: unplanned). In all 6 working
    # (every 村口, 甲村's and 丁村's 学校), 1 broken (乙村), 1 not built (丙村), 20 unplanned.
    assert added["working"] > 3000 and added["unplanned"] > 3000, added
    assert added["broken"] > 400 and added["not_built"] > 400, added

    gray = cv2.cvtColor(pages["with"], cv2.COLOR_BGR2GRAY)
    headers = _required_headers(pages["with"])
    assert len(headers) == 4, headers  # 村口 ★ and 学校 ★ over each town's matrix
    for first, second in (headers[0:2], headers[2:4]):
        (x1, y1, w, h), (x2, y2, _, _) = first, second
        a, b = gray[y1 : y1 + h, x1 : x1 + w], gray[y2 : y2 + h, x2 : x2 + w]
        assert (a < 128).sum() > 60 and (b < 128).sum() > 60, "a site-type header has no ink"
        assert _different(a, b) > 60, "村口 and 学校 are drawn alike: no CJK glyphs"
    left = headers[0][0]  # the heading's town name lies left of the first required column
    meijie, yinhui = (_heading_above(gray, top, left) for top in (headers[0][1], headers[2][1]))
    height = min(meijie.shape[0], yinhui.shape[0])
    meijie, yinhui = meijie[:height], yinhui[:height]
    assert (meijie < 128).sum() > 150 and (yinhui < 128).sum() > 150, "a town heading has no ink"
    assert _different(meijie, yinhui) > 150, "梅街镇 and 殷汇镇 are drawn alike: no CJK glyphs"
