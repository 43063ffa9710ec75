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


def test_no_reference_judges_each_frame_alone(tmp_path: Path) -> None:
    """Without --reference each frame is judged with no baseline (basis "alone"), the other frames as its
    peers: healthy first pictures are ok, a covered, a black and a far defocused one are named, and two
    identical files in a row are frozen (before: --reference was required, exit code 2 without it)."""
    names = ("astronaut", "coffee", "chelsea", "motorcycle")
    healthy = [_write(tmp_path, f"{n}.jpg", vh.camera_jpeg(vh.scene(n), k)) for k, n in enumerate(names)]
    covered = _write(tmp_path, "covered.jpg", vh.camera_jpeg(vh.covered(vh.scene("coffee")), 12))
    black = _write(tmp_path, "black.jpg", vh.camera_jpeg(vh.black(vh.scene("coffee")), 13))
    blurred = _write(tmp_path, "blur.jpg", vh.camera_jpeg(vh.defocus(vh.scene("chelsea"), 8.0), 14))
    frames = [*healthy, covered, black, blurred, blurred]
    result = runner.invoke(app, ["analyze", *frames, "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["verdict"] for r in lines] == ["ok"] * 4 + ["covered", "black", "defocused", "frozen"], lines
    assert {r["basis"] for r in lines} == {"alone"}
    # Peers: the other files with texture to judge sharpness by, each once (not the cover, the black picture).
    assert "edge_sharp" in lines[0]["scores"] and lines[0]["scores"]["peers"] == 4


def test_no_reference_with_a_bad_frame(tmp_path: Path) -> None:
    """Without --reference an unreadable frame is named on stderr (exit code 1) and is nobody's peer; the
    readable frames are still judged alone, in the table."""
    good = _write(tmp_path, "ok.jpg", vh.camera_jpeg(vh.scene("astronaut"), 1))
    bad = _write(tmp_path, "bad.jpg", b"<html>login</html>")
    result = runner.invoke(app, ["analyze", good, bad])
    assert result.exit_code == 1
    assert "bad.jpg" in result.stderr and "ok" in result.stdout
