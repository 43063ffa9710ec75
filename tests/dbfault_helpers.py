"""Database-fault helpers: a cuttable TCP proxy, cameras that keep flipping, and an outage driver."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hostile_helpers import GROUP, PASSWORD, USER, HostileCamera

from camfleet.config import CamfleetConfig, Credential, CredentialStore
from camfleet.model import Transition
from camfleet.runtime.poller import Poller


class TcpProxy:
    """A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL) that a test can cut and restore.

    ``cut()`` closes the listener (new connections are refused) and aborts every piped connection (as a
    database restart or a broken link would); ``restore()`` listens again on the same port.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self.server: asyncio.Server | None = None
        self.transports: set[asyncio.WriteTransport] = set()
        self.connections = 0

    async def start(self) -> None:
        """Listen (first on an ephemeral port, afterwards on the same one)."""
        self.server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for transport in list(self.transports):
            transport.abort()
        self.transports.clear()

    async def restore(self) -> None:
        """Accept connections again."""
        await self.start()

    async def _pipe(self, c_reader: asyncio.StreamReader, c_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            u_reader, u_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            c_writer.transport.abort()
            return
        self.transports |= {c_writer.transport, u_writer.transport}

        async def copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.transport.abort()
                self.transports.discard(writer.transport)

        with contextlib.suppress(asyncio.CancelledError):  # the proxy is shut down while piping
            await asyncio.gather(copy(c_reader, u_writer), copy(u_reader, c_writer))


class Flipper:
    """Flips cameras between healthy and ``bad`` every ``period_s``: a steady source of transitions."""

    def __init__(self, cameras: list[HostileCamera], bad: str = "malformed", period_s: float = 0.6) -> None:
        self.cameras = cameras
        self.bad = bad
        self.period_s = period_s
        self.flips = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period_s)
            for cam in self.cameras:
                cam.behaviour = self.bad if cam.behaviour == "healthy" else "healthy"
            self.flips += 1

    def start(self) -> None:
        """Start flipping."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop flipping and leave every camera healthy."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for cam in self.cameras:
            cam.behaviour = "healthy"


def transition_keys(transitions: Iterable[Transition]) -> Counter[tuple[str, float, str, str, str]]:
    """A multiset of transitions, to compare what was produced with what was stored (exactly once)."""
    return Counter((t.camera_id, t.at, str(t.from_status), str(t.to_status), str(t.reason)) for t in transitions)


async def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll ``predicate`` every 50 ms until true; fail naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        await asyncio.sleep(0.05)


def credentials() -> CredentialStore:
    """The hostile cameras' credential group."""
    return CredentialStore(groups={GROUP: Credential(GROUP, USER, PASSWORD)})


def outage_config(**database: Any) -> CamfleetConfig:
    """Fast tiers and hysteresis of 1, so a flipping camera produces a transition every flip."""
    poller = {
        "liveness_interval_s": 0.3, "jitter": 0.0, "fail_threshold": 1, "recover_threshold": 1,
        "recheck_delay_s": 0.05, "call_timeout_s": 1.0, "connect_timeout_s": 0.5, "flap_threshold": 1000,
        "identity_interval_s": 3600.0, "discovery_interval_s": 3600.0,
    }  # fmt: skip
    # Pictures are not what these runs are about: no process pool, no frame tier.
    return CamfleetConfig.model_validate(
        {"poller": poller, "database": {"write_interval_s": 0.1, **database}, "vision": {"enabled": False}}
    )


@dataclass
class OutageReport:
    """What happened around a database outage."""

    produced: list[Transition]  # every transition the poller announced, in order
    during: int  # how many of them were produced while the database was failing
    backlog_peak: int  # highest FleetCounters.write_backlog seen during the outage
    failures: int  # FleetCounters.write_failures at the end
    dropped: int  # FleetCounters.write_dropped at the end
    probes_during: int  # probes finished while the database was failing


async def run_through_outage(
    poller: Poller,
    flipper: Flipper,
    fault_on: Callable[[], Awaitable[None]],
    fault_off: Callable[[], Awaitable[None]],
    *,
    during_at_least: int = 6,
    timeout_s: float = 40.0,
) -> OutageReport:
    """Run the poller with flipping cameras; break the database, wait for failed writes and new
    transitions, mend it, wait for the buffer to drain, stop (final flush). The caller compares the store."""
    produced: list[Transition] = []
    poller.subscribe(produced.append)
    counters = poller.fleet.counters
    await poller.start()
    try:
        flipper.start()
        await wait_for(lambda: len(produced) >= 2 and not poller.writer.pending, timeout_s, "writes before the fault")
        await fault_on()
        before, probes_before, peak = len(produced), sum(counters.probes.values()), 0

        def broken_long_enough() -> bool:
            nonlocal peak
            peak = max(peak, counters.write_backlog)
            return counters.write_failures > 0 and len(produced) - before >= during_at_least and peak > 0

        await wait_for(broken_long_enough, timeout_s, "failed writes and new transitions during the outage")
        during, probes_during = len(produced) - before, sum(counters.probes.values()) - probes_before
        await fault_off()
        await wait_for(lambda: not poller.writer.pending, timeout_s, "the buffered transitions to be written")
    finally:
        await flipper.stop()
        await poller.stop()
    return OutageReport(produced, during, peak, counters.write_failures, counters.write_dropped, probes_during)
