"""A terminal's Ctrl-C goes to the poller's whole process group: its picture workers must not turn it into an error
inside a poller task; the poller stops them itself."""

from __future__ import annotations

import asyncio
import os
import signal
import time

from camfleet.probe.pool import VisionPool


def _slow_pid(seconds: float) -> int:
    """Sleep ``seconds`` in the worker, then say which process it was."""
    time.sleep(seconds)
    return os.getpid()


async def test_a_worker_signalled_sigint_finishes_its_call() -> None:
    """SIGINT sent to a picture worker in the middle of a call (as a terminal's Ctrl-C reaches every process of
    the group) leaves the call to finish and return; before, the worker raised KeyboardInterrupt, which came back
    into the awaiting task (in the service: "Task exception was never retrieved" after a clean stop)."""
    pool = VisionPool(1)
    try:
        worker = await pool.run(_slow_pid, 0.0)
        call = asyncio.ensure_future(pool.run(_slow_pid, 1.0))
        await asyncio.sleep(0.3)
        os.kill(worker, signal.SIGINT)
        assert await asyncio.wait_for(call, timeout=10) == worker
    finally:
        pool.shutdown()
