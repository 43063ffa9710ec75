"""A process pool for picture work (JPEG decode, checks, RTSP grabs), awaited from the event loop.

Workers start with ``forkserver`` (``spawn`` where that is missing): forking a process that runs an
asyncio loop and threads can copy held locks into the child. Each worker pins OpenCV to one thread —
the pool is the parallelism, and OpenCV's own threads would fight it for the same cores — and runs at a
lower CPU priority than the event loop (``WORKER_NICENESS``).

At most ``limit`` calls are handed to the executor at once; further callers wait (in arrival order) before
their arguments are submitted. ``ProcessPoolExecutor`` itself keeps every submitted call — a 1080p JPEG and
a baseline copy each — until a worker takes it: in a 1,500-camera full sweep with 256 checks in flight,
up to 256 such calls (~85 MB) were queued ahead of two workers.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from camfleet.errors import FrameError
from camfleet.log import capture_native_stderr
from camfleet.model import Reason

T = TypeVar("T")

#: FFmpeg options for one RTSP keyframe: TCP (UDP is lost behind village NAT) and short probing
#: (first frame ~0.8 s instead of ~3 s with FFmpeg's defaults).
FFMPEG_CAPTURE_OPTIONS = "rtsp_transport;tcp|analyzeduration;500000|probesize;65536"


#: Workers run this much nicer than the poller. Their work is throughput (a picture judged a few hundred ms
#: later changes nothing); the event loop's is latency, and on a small server both cores are busy with
#: pictures during a full sweep: at equal priority the kernel left the loop waiting behind them (worst
#: wall-clock lag 180 ms while its own longest pass took 76–107 ms of CPU, `benchmarks/full_sweep.py`).
WORKER_NICENESS = 10


def _init_worker(log_level: int = logging.WARNING) -> None:
    """Runs once in each worker process (``log_level``: the poller's, for FFmpeg's and OpenCV's own output)."""
    capture_native_stderr(log_level)
    # A terminal's Ctrl-C reaches the whole process group, workers included: interrupted mid-call, a worker handed
    # KeyboardInterrupt back into the poller's task ("Task exception was never retrieved" in the log of a demo
    # stopped cleanly). The poller stops its workers itself (``shutdown``).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", FFMPEG_CAPTURE_OPTIONS)
    os.nice(WORKER_NICENESS)
    import cv2

    cv2.setNumThreads(1)


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


#: Calls handed to the executor per worker when no limit is given: one running, a few queued so a worker
#: never idles while the loop is busy.
CALLS_PER_WORKER = 4


class VisionPool:
    """``await pool.run(fn, *args)`` runs a picklable top-level function in a worker process.

    ``in_flight`` / ``max_in_flight``: calls handed to the executor now / at most since the last reset.
    """

    def __init__(self, workers: int = 1, limit: int = 0) -> None:
        if workers < 1:
            raise ValueError("a vision pool needs at least one worker")
        if limit < 0:
            raise ValueError("a vision pool's call limit cannot be negative")
        self.workers = workers
        self.limit = limit or CALLS_PER_WORKER * workers
        self.in_flight = 0
        self.max_in_flight = 0
        self.calls: collections.Counter[str] = collections.Counter()  # calls made, by the function's name
        self._gate: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._executor: ProcessPoolExecutor | None = None

    def _gate_here(self) -> asyncio.Semaphore:
        """The limit's semaphore for the running loop (a pool may outlive the loop that first used it)."""
        loop = asyncio.get_running_loop()
        if self._gate is None or self._gate[0] is not loop:
            self._gate = (loop, asyncio.Semaphore(self.limit))
        return self._gate[1]

    def start(self) -> None:
        """Create the worker processes (lazily done by the first ``run``)."""
        if self._executor is None:
            level = logging.getLogger().getEffectiveLevel()
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=_context(), initializer=_init_worker, initargs=(level,)
            )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a worker; its exceptions come back as raised here.

        A worker that died (killed, out of memory, a crash inside a native decoder) breaks the whole
        executor: it is replaced, and this call fails with ``FrameError`` (``snapshot_error``).
        """
        self.calls[getattr(fn, "__name__", "?")] += 1
        async with self._gate_here():
            self.start()
            assert self._executor is not None
            executor = self._executor
            loop = asyncio.get_running_loop()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                return await loop.run_in_executor(executor, fn, *args)
            except BrokenProcessPool:
                pass
            finally:
                self.in_flight -= 1
        if self._executor is executor:
            self._executor = None
            executor.shutdown(wait=False, cancel_futures=True)
        raise FrameError("picture worker process died; pool restarted", Reason.SNAPSHOT_ERROR)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the workers; queued work is cancelled."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    async def __aenter__(self) -> VisionPool:
        self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.shutdown)
