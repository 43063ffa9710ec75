"""The standards' matrix as a person sees it: headless Chromium draws the villages × site types cells in
their four colours, and the Chinese names in the matrix as glyphs."""

from __future__ import annotations

from pathlib import Path

import pytest
from standards_helpers import base_village, down, report, sp, standard
from test_coverage_screenshot import _chromium, _pixels_of, _screenshot  # noqa: F401 (the fixture skips)

from camfleet.coverage import render_html
from camfleet.coverage.standards_html import CELL_STYLE
from camfleet.model import CameraRecord, PointStatus

NOW = 1_795_708_800.0


@pytest.mark.timeout(240)
def test_matrix_cells_are_drawn_in_their_colours(tmp_path: Path) -> None:
    """A page whose matrix has working, broken, not-built and unplanned cells shows each colour over a real
    area more than the same page without the standard (the charts use some of these colours too)."""
    rows = [base_village(f"{name}村", i) for i, name in enumerate("甲乙丙丁", start=1)]
    rows[1][2]["c21"] = down("c21")  # 乙村: 学校 broken
    rows[2][0][1] = sp("P31", "丙村", "学校", PointStatus.PLANNED)  # 丙村: 学校 planned, not built
    rows[2][1].pop(1)
    del rows[2][2]["c31"]
    points = [p for r in rows for p in r[0]]
    cams: list[CameraRecord] = [c for r in rows for c in r[1]]
    states = {k: v for r in rows for k, v in r[2].items()}
    pages = {}
    for name, standards in (("with", [standard()]), ("without", [])):
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
