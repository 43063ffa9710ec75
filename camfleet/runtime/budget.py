"""Pictures in flight limited by their bytes, not their count.

A picture is held from its fetch until its worker has judged it. ``poller.concurrency`` bounds how many checks
run, but not their size: 256 fetched 1080p snapshots are ~70 MB, and cameras that send the 8 MiB
``max_snapshot_bytes`` allows would be 2 GB. So each picture check first reserves the bytes its camera's last
picture took (``FIRST_GUESS`` for a camera not seen yet) and waits while the reservations would pass
``poller.pictures_in_flight_mib``. Callers are served in arrival order, so a large picture is not starved by
small ones; one picture larger than the whole budget still goes, alone.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import AsyncIterator

#: Reserved for a camera whose picture size is not known yet: a 1080p snapshot is ~300 KB.
FIRST_GUESS = 512 * 1024


class ByteBudget:
    """A FIFO weighted semaphore over bytes: ``async with budget.hold(n): ...``."""

    def __init__(self, limit: int) -> None:
        if limit <= 0:
            raise ValueError("a byte budget needs a positive limit")
        self.limit = limit
        self.used = 0
        self.max_used = 0
        self._waiters: collections.deque[tuple[int, asyncio.Future[None]]] = collections.deque()

    def _fits(self, n: int) -> bool:
        return self.used == 0 or self.used + n <= self.limit

    @contextlib.asynccontextmanager
    async def hold(self, n: int) -> AsyncIterator[None]:
        """Reserve ``n`` bytes for the body of the block (waiting for room, first come first served)."""
        if self._waiters or not self._fits(n):
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            entry = (n, future)
            self._waiters.append(entry)
            try:
                await future
            except BaseException:
                if future.done() and not future.cancelled():
                    self._release(n)  # granted just as we were cancelled: give it back
                else:
                    if entry in self._waiters:  # ``_wake`` drops a cancelled waiter if it runs first
                        self._waiters.remove(entry)
                    self._wake()
                raise
        else:
            self.used += n
        self.max_used = max(self.max_used, self.used)
        try:
            yield
        finally:
            self._release(n)

    def _release(self, n: int) -> None:
        self.used -= n
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._fits(self._waiters[0][0]):
            n, future = self._waiters.popleft()
            if future.done():
                continue
            self.used += n
            future.set_result(None)
