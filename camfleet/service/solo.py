"""The non-cluster service holds its database alone (``inventory/solo.py``): claimed at start, renewed while
it runs, given up at a clean stop. A second instance on the same database refuses to start and says which
instance holds it and how to share the fleet instead ([cluster], PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable

from camfleet.errors import CamfleetError, ConfigError
from camfleet.inventory.solo import SoloLock

log = logging.getLogger(__name__)

LEASE_S = 60.0
RENEW_S = 15.0


def instance_name() -> str:
    """``host:pid:start`` — unique per run, and enough to tell a crashed holder on this host."""
    return f"{socket.gethostname()}:{os.getpid()}:{int(time.time())}"


def gone(owner: str) -> bool:
    """Whether the holder is a process of this host that no longer runs (a crash, a SIGKILL)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class SoloClaim:
    """Claim, renew and release the database for one service run."""

    def __init__(self, url: str, on_lost: Callable[[], None]) -> None:
        self.url = url
        self.me = instance_name()
        self.on_lost = on_lost
        self._lock: SoloLock | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Claim the database or raise ``ConfigError`` naming the instance that holds it."""
        self._lock = await asyncio.to_thread(SoloLock, self.url)
        holder = await asyncio.to_thread(self._lock.acquire, self.me, LEASE_S, gone)
        if holder:
            await asyncio.to_thread(self._lock.close)
            self._lock = None
            raise ConfigError(
                f"another camfleet is polling this database: {holder}. Stop it first (one service per database), "
                "or, to share the fleet, set [cluster] enabled = true in every instance's config (PostgreSQL only; "
                "docs/scaling.md)"
            )
        self._task = asyncio.create_task(self._renew(), name="camfleet-solo")

    async def _renew(self) -> None:
        assert self._lock is not None
        while True:
            await asyncio.sleep(RENEW_S)
            try:
                held = await asyncio.to_thread(self._lock.renew, self.me, LEASE_S)
            except CamfleetError as exc:  # the database is away: the claim runs on until it is back
                log.warning("could not renew the database claim", extra={"error": str(exc)})
                continue
            if not held:
                log.error("another instance took this database over while it was unreachable; stopping")
                self.on_lost()
                return

    async def stop(self) -> None:
        """Stop renewing and give the database up."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._lock is not None:
            with contextlib.suppress(CamfleetError):
                await asyncio.to_thread(self._lock.release, self.me)
            await asyncio.to_thread(self._lock.close)
            self._lock = None
