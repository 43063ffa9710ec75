"""``camfleet analyze`` on real JPEG files: verdict words, JSON lines, bad files named, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import vision_helpers as vh
from typer.testing import CliRunner

from camfleet.cli import app

runner = CliRunner()


def _write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _refs(tmp_path: Path) -> list[str]:
    image = vh.scene("chelsea")
    args: list[str] = []
    for seed in range(3):
        args += ["--reference", _write(tmp_path, f"参考{seed}.jpg", vh.camera_jpeg(image, seed))]
    return args


def test_json_lines(tmp_path: Path) -> None:
    """--json prints one line per frame with file, verdict (a Status word), reason and scores."""
    image = vh.scene("chelsea")
    healthy = _write(tmp_path, "村口-ok.jpg", vh.camera_jpeg(image, 10))
    blurred = _write(tmp_path, "blur.jpg", vh.camera_jpeg(vh.defocus(image), 11))
    result = runner.invoke(app, ["analyze", *_refs(tmp_path), healthy, blurred, blurred, "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["file"], r["verdict"]) for r in lines] == [
        (healthy, "ok"),
        (blurred, "defocused"),
        (blurred, "frozen"),
    ]
    assert "sharpness_ratio" in lines[1]["scores"] and lines[0]["reason"] == ""


def test_table_and_bad_file(tmp_path: Path) -> None:
    """A bad frame is named on stderr with the exit code 1; the other frames are still judged in the table."""
    image = vh.scene("chelsea")
    bad = _write(tmp_path, "not-a-picture.jpg", b"<html>login</html>")
    covered = _write(tmp_path, "covered.jpg", vh.camera_jpeg(vh.covered(image), 12))
    result = runner.invoke(app, ["analyze", *_refs(tmp_path), bad, covered, str(tmp_path / "missing.jpg")])
    assert result.exit_code == 1
    assert "covered" in result.stdout and "not-a-picture.jpg" in result.stderr
    assert "missing.jpg" in result.stderr and "not a JPEG" in result.stderr


def test_no_usable_reference(tmp_path: Path) -> None:
    """When no reference can be read there is nothing to judge against: exit 2 with a message."""
    frame = _write(tmp_path, "f.jpg", vh.camera_jpeg(vh.scene("coffee"), 1))
    result = runner.invoke(app, ["analyze", "--reference", str(tmp_path / "nope.jpg"), frame])
    assert result.exit_code == 2 and "no reference" in result.stderr
