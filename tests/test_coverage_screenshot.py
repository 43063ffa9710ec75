"""The coverage page as a person sees it: headless Chromium renders the map and charts, and Chinese names as
real glyphs (not the boxes a missing CJK font gives)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from coverage_helpers import NOW, district
from system_helpers import need

from camfleet.coverage import build_report, parse_window, render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(autouse=True)
def _chromium() -> None:
    """Skip (fail under CI) without Chromium."""
    need(CHROMIUM, "Debian package chromium is not installed")


def _screenshot(html: Path, out: Path, tmp: Path, size: str = "1400,2000") -> np.ndarray:
    """Render ``html`` with headless Chromium (no network, fresh profile) and load the PNG as BGR."""
    subprocess.run(
        [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
         f"--window-size={size}", f"--screenshot={out}", html.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    image = cv2.imread(str(out))
    assert image is not None, "no screenshot written"
    return image


def _glyph_page(path: Path, first: str, second: str) -> None:
    """Two names, 80 px each, in the coverage page's own font stack (taken from its stylesheet)."""
    from camfleet.coverage.html_out import CSS

    family = CSS.split("font-family:", 1)[1].split(";", 1)[0]
    path.write_text(
        f"<!doctype html><meta charset=utf-8><style>body{{margin:0;background:#fff}}"
        f"div{{font-family:{family};font-size:80px;line-height:100px;height:100px;color:#000}}</style>"
        f"<div>{first}</div><div>{second}</div>",
        encoding="utf-8",
    )


def _pixels_of(image: np.ndarray, hex_colour: str, tol: int = 12) -> int:
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    bgr = np.array(rgb[::-1], dtype=np.int16)
    return int((np.abs(image.astype(np.int16) - bgr).max(axis=2) <= tol).sum())


@pytest.mark.timeout(240)
def test_map_and_charts_render(tmp_path: Path) -> None:
    """The page's SVG map dots and town bars are drawn: the status colours cover real areas of the screenshot,
    in proportions that a page without SVG (or with a broken one) cannot produce."""
    points, cams, states = district()
    report = build_report(points, cams, states, [], now=NOW, window=parse_window("7d", now=NOW))
    html = tmp_path / "coverage.html"
    html.write_text(render_html(report, title="示范 覆盖", generated_at=NOW), encoding="utf-8")
    image = _screenshot(html, tmp_path / "page.png", tmp_path)
    green, red = _pixels_of(image, "#2e7d32"), _pixels_of(image, "#c62828")
    assert green > 2000, f"green (covered/ok) barely drawn: {green} px"
    assert red > 100, f"red (not covered/offline) barely drawn: {red} px"
    # An empty page is almost all background: the rendered one must have ink in many places.
    assert (image.std(axis=2) > 10).sum() + (image.mean(axis=2) < 200).sum() > 20_000


@pytest.mark.timeout(240)
def test_chinese_names_render_as_glyphs(tmp_path: Path) -> None:
    """Two different village names in the report's own font stack render to different, inked bitmaps; with
    no CJK font every character would be the same notdef box and the crops would match."""
    _glyph_page(page := tmp_path / "glyphs.html", "东岭村", "西河镇")
    image = _screenshot(page, tmp_path / "glyphs.png", tmp_path, size="400,240")
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    first, second = gray[0:100, 0:260], gray[100:200, 0:260]
    assert (first < 128).sum() > 800 and (second < 128).sum() > 800, "no glyph ink at all"
    # Each glyph differs from its neighbour within a name as well (boxes would repeat exactly).
    cells = [first[:, i * 80 : (i + 1) * 80] for i in range(3)]
    assert all(np.abs(cells[i].astype(int) - cells[i + 1].astype(int)).sum() > 50_000 for i in range(2))
    assert np.abs(first.astype(int) - second.astype(int)).sum() > 100_000
