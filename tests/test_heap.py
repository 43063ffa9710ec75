"""The C heap gives back the memory of pictures that are gone (camfleet/heap.py), each case in a process of its own:
the settings are process-wide."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from camfleet import heap

#: Pictures passing through, as a sweep passes them: one first (glibc maps it on its own; freeing it moves the
#: dynamic threshold up to its size), then many, each beside a small object that stays (a camera's state).
SCRIPT = """
import json, os, sys
from camfleet import heap
tuned = heap.tune_heap() if sys.argv[1] == "tune" else False

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

first = bytes(400 * 1024)
del first
before = rss()
kept, pictures = [], []
for i in range(400):
    pictures.append(os.urandom(400 * 1024))
    kept.append(os.urandom(1000 + i % 50))
peak = rss()
pictures.clear()
after = rss()
trimmed = heap.trim_heap()
print(json.dumps({"tuned": tuned, "before": before, "peak": peak, "after": after, "trimmed": rss()}))
"""


def run(mode: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=60, check=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


@pytest.mark.skipif(heap._libc() is None, reason="glibc's malloc only")
def test_freed_pictures_leave_a_tuned_heap_at_once() -> None:
    """400 picture-sized blocks (400 KiB each, 156 MiB) freed among small objects that stay: with the fixed mmap
    threshold the process is back within a few MiB of where it started at once; with glibc's defaults it keeps
    most of them until a trim — which is what the sweep's trim is for."""
    tuned, default = run("tune"), run("default")
    assert tuned["tuned"] and not default["tuned"]
    for case in (tuned, default):
        assert case["peak"] - case["before"] > 140, case  # the pictures were really held
    assert tuned["after"] - tuned["before"] < 10, tuned
    assert default["after"] - default["before"] > 100, default  # the harm the tuning avoids
    assert default["trimmed"] - default["before"] < 10, default  # and a trim gives it back


def test_tuning_and_trimming_say_whether_they_took() -> None:
    """Both answer True under glibc and False elsewhere, never raise: a platform without them runs untuned."""
    assert heap.tune_heap() is (heap._libc() is not None)
    assert isinstance(heap.trim_heap(), bool)
