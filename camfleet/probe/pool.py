"""A process pool for picture work (JPEG decode, checks, RTSP grabs), awaited from the event loop.

Workers start with ``forkserver`` (``spawn`` where that is missing): forking a process that runs an
asyncio loop and threads can copy held locks into the child. Each worker pins OpenCV to one thread —
the pool is the parallelism, and OpenCV's own threads would fight it for the same cores.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from camfleet.errors import FrameError
from camfleet.model import Reason

T = TypeVar("T")

#: FFmpeg options for one RTSP keyframe: TCP (UDP is lost behind village NAT) and short probing
#: (first frame ~0.8 s instead of ~3 s with FFmpeg's defaults).
FFMPEG_CAPTURE_OPTIONS = "rtsp_transport;tcp|analyzeduration;500000|probesize;65536"


def _init_worker() -> None:
    """Runs once in each worker process."""
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", FFMPEG_CAPTURE_OPTIONS)
    import cv2

    cv2.setNumThreads(1)


def _context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class VisionPool:
    """``await pool.run(fn, *args)`` runs a picklable top-level function in a worker process."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("a vision pool needs at least one worker")
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Create the worker processes (lazily done by the first ``run``)."""
        if self._executor is None:
            self._executor = ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_init_worker)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in a worker; its exceptions come back as raised here.

        A worker that died (killed, out of memory, a crash inside a native decoder) breaks the whole
        executor: it is replaced, and this call fails with ``FrameError`` (``snapshot_error``).
        """
        self.start()
        assert self._executor is not None
        executor = self._executor
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, fn, *args)
        except BrokenProcessPool:
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise FrameError("picture worker process died; pool restarted", Reason.SNAPSHOT_ERROR) from None

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
