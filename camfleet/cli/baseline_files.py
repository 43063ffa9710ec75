"""The files of ``camfleet baseline import DIR``: which camera each names, and whether it is a usable picture.

A file is ``<camera_id>.jpg``, ``.jpeg`` or ``.png`` (extension in any case). Each one is read, checked and,
when it is not a JPEG, converted to one; every problem is collected with the file's name and the reason,
so that one run names them all. Hidden files (``.name``) are skipped: file managers leave them behind.
Decoding runs in a few threads (OpenCV releases the GIL).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_FILE_BYTES = 8 * 1024 * 1024  # a 4K JPEG of a busy scene is ~3 MB; more is not an acceptance photo
MIN_WIDTH = 320  # the poller's smallest snapshot; a smaller picture cannot stand for the camera's view
MAX_WIDTH = 1920  # wider pictures are scaled down to this: the reference is judged at analysis size anyway
JPEG_QUALITY = 90
_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class Picture:
    """A usable acceptance picture: the camera, its file's name, the JPEG to store, its size, converted?"""

    camera_id: str
    name: str
    jpeg: bytes
    width: int
    height: int
    converted: bool


@dataclass(frozen=True, slots=True)
class Problem:
    """A file that cannot be imported, and why."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


@dataclass
class Scan:
    """What a directory holds: usable pictures, rejected files, and hidden files skipped."""

    pictures: list[Picture]
    problems: list[Problem]
    skipped: list[str]


def _camera_of(name: str) -> str | None:
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or f".{suffix.lower()}" not in SUFFIXES:
        return None
    return stem


def check_picture(camera_id: str, name: str, data: bytes) -> Picture | Problem:
    """The stored form of one file's bytes, or the reason it is refused."""
    if len(data) > MAX_FILE_BYTES:
        return Problem(name, f"too large ({len(data) / 1e6:.1f} MB; at most {MAX_FILE_BYTES // 2**20} MiB)")
    if not data:
        return Problem(name, "empty file")
    is_jpeg, is_png = data.startswith(_JPEG), data.startswith(_PNG)
    if not (is_jpeg or is_png):
        return Problem(name, "not a JPEG or PNG picture (by its content)")
    if is_jpeg and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        # OpenCV decodes a cut-off JPEG with a grey lower part and only a warning: refuse it here.
        return Problem(name, "JPEG cut short (no end marker): copy the file again")
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:  # above CV_IO_MAX_IMAGE_PIXELS OpenCV raises instead of returning None
        return Problem(name, "too many pixels to decode")
    if img is None:
        return Problem(name, "cannot be decoded: damaged picture")
    height, width = img.shape[:2]
    if width < MIN_WIDTH:
        return Problem(name, f"too small ({width}×{height}; at least {MIN_WIDTH} px wide)")
    if is_jpeg and width <= MAX_WIDTH:
        return Picture(camera_id, name, data, width, height, converted=False)
    if width > MAX_WIDTH:
        height = round(height * MAX_WIDTH / width)
        width = MAX_WIDTH
        img = cv2.resize(img, (width, height), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any decoded 8-bit picture
        return Problem(name, "cannot be converted to JPEG")
    return Picture(camera_id, name, bytes(buf), width, height, converted=True)


def _read_and_check(camera_id: str, path: Path) -> Picture | Problem:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Problem(path.name, f"too large ({size / 1e6:.1f} MB; at most {MAX_FILE_BYTES // 2**20} MiB)")
        data = path.read_bytes()
    except OSError as exc:
        return Problem(path.name, f"cannot be read: {exc.strerror or exc}")
    return check_picture(camera_id, path.name, data)


def scan_directory(directory: Path, known: Collection[str], workers: int | None = None) -> Scan:
    """Every file of ``directory`` (not its subdirectories' files) checked against the ``known`` camera ids."""
    problems: list[Problem] = []
    skipped: list[str] = []
    wanted: list[tuple[str, Path]] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith("."):
            skipped.append(name)
            continue
        if path.is_dir():
            problems.append(Problem(name, "a directory (pictures must be directly in DIR)"))
            continue
        camera_id = _camera_of(name)
        if camera_id is None:
            problems.append(Problem(name, "not named <camera_id>.jpg, .jpeg or .png"))
        elif camera_id not in known:
            problems.append(Problem(name, f"unknown camera id {camera_id!r} (not in the inventory)"))
        elif camera_id in seen:
            problems.append(Problem(name, f"a second picture for {camera_id} (also {seen[camera_id]})"))
        else:
            seen[camera_id] = name
            wanted.append((camera_id, path))
    threads = max(1, min(4, workers or os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        checked = list(pool.map(lambda item: _read_and_check(*item), wanted))
    pictures = [c for c in checked if isinstance(c, Picture)]
    problems += [c for c in checked if isinstance(c, Problem)]
    problems.sort(key=lambda p: p.name)
    return Scan(pictures, problems, skipped)
