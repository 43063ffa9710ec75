"""FFmpeg's and OpenCV's own output in picture workers goes into camfleet's log at debug level, never raw."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import asyncio, logging, sys
from camfleet.errors import FrameError
from camfleet.probe.frame import grab_rtsp_frame
from camfleet.probe.pool import VisionPool

async def main():
    async with VisionPool(1) as pool:
        try:
            await pool.run(grab_rtsp_frame, "rtsp://127.0.0.1:9/live", 2.0, "admin", "Zq9-native-pw")
        except FrameError as exc:
            print("frame error:", exc)

if __name__ == "__main__":
    if sys.argv[1] == "debug":
        logging.getLogger().setLevel(logging.DEBUG)
    asyncio.run(main())
"""


@pytest.mark.timeout(120)
@pytest.mark.parametrize("level", ["warning", "debug"])
def test_ffmpeg_output_of_a_failed_stream_is_logged_not_printed(tmp_path: Path, level: str) -> None:
    """A stream that cannot be opened (nothing listens on 127.0.0.1:9) makes FFmpeg print `[tcp @ 0x…] Connection
    … failed` and OpenCV a `[ WARN…]` line on the worker's C-level stderr. At the default level none of it reaches
    the terminal; at debug each line is one logfmt record of `camfleet.native`; the password never appears."""
    script = tmp_path / "grab.py"
    script.write_text(SCRIPT, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script), level], capture_output=True, text=True, timeout=100)
    assert "frame error: stream rtsp://127.0.0.1:9/live could not be opened" in proc.stdout, proc.stderr
    assert "Zq9-native-pw" not in proc.stdout + proc.stderr
    raw = [line for line in proc.stderr.splitlines() if line.startswith(("[tcp @", "[ WARN"))]
    assert raw == [], raw
    native = [line for line in proc.stderr.splitlines() if "logger=camfleet.native" in line]
    if level == "warning":
        assert native == [], proc.stderr
    else:
        assert any("level=debug" in line and "Connection to tcp://127.0.0.1:9" in line for line in native), native
