"""Benchmark: what reading the poller's process series costs the event loop, against the scrape it joins.

Run: ``.venv/bin/python benchmarks/process_metrics_cost.py [--fds 11000] [--cameras 5500] [--repeat 50]``

``read_process()`` (prometheus_client's process, platform and GC collectors, and the cgroup's memory limit) runs
on the event loop when a scrape's snapshot is taken; listing ``/proc/self/fd`` grows with the open descriptors,
and a poller of 5,500 cameras holds one or two per camera. Prints the median read with few descriptors open and
with ``--fds`` open (pipes), and the median render of a ``--cameras`` snapshot (off the loop) as the baseline.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # metrics_render beside this script

from metrics_render import synthetic_snapshot

from camfleet.metrics.process import read_process
from camfleet.metrics.render import render_snapshot


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fds", type=int, default=11_000)
    parser.add_argument("--cameras", type=int, default=5_500)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    read_process()  # the reader is made once
    few = median_ms(read_process, args.repeat)
    pipes = [os.pipe() for _ in range(args.fds // 2)]
    try:
        many = median_ms(read_process, args.repeat)
        open_fds = len(os.listdir("/proc/self/fd"))
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)
    snapshot = synthetic_snapshot(args.cameras)
    render_snapshot(snapshot)  # warm the renderer's prefixes, as in the service
    render = median_ms(lambda: render_snapshot(snapshot), max(3, args.repeat // 10))
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus")
    print(f"read_process, few descriptors: {few:.2f} ms")
    print(f"read_process, {open_fds} descriptors open: {many:.2f} ms")
    print(f"render of {args.cameras} cameras (off the loop): {render:.1f} ms; read/render = {many / render:.1%}")


if __name__ == "__main__":
    main()
