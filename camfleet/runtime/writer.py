"""Batched persistence: changed states and new transitions, written every ``write_interval_s``.

The loop never waits for the database: ``record()`` only marks and appends. A flush moves the batch out,
writes it through ``asyncio.to_thread`` in one transaction (transitions and states together; transitions
carry an idempotency key, so a batch retried after a lost acknowledgement is not doubled) and, when the
database fails, puts it back in front of anything newer. Transitions are kept up to ``buffer_limit``
(oldest dropped first, counted in ``write_dropped``); states are one per camera, so they need no limit.
Nothing is counted as written until the sink returned. The writer counts straight into the poller's
``FleetCounters`` (``write_backlog``, ``write_dropped``, ``write_failures``, ``write_refused``,
``write_duration``, ``last_write_at``), which ``/metrics`` reads: nothing copies them in between.

A cluster member sets ``fence``: each batch then carries its lease epochs and the database refuses the
states of cameras whose lease moved to another owner (``inventory/fence.py``). Those states are dropped,
not retried (the camera is someone else's now), counted in ``write_refused`` and logged by unit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from camfleet.errors import CamfleetError
from camfleet.model import CameraState, RefusedWrite, Transition, WriteFence
from camfleet.runtime.fleet import FleetCounters
from camfleet.runtime.sink import StateSink

log = logging.getLogger(__name__)


class StateWriter:
    """Buffers and writes, counting into ``counters`` (the poller's; a writer of its own when not given)."""

    def __init__(
        self,
        sink: StateSink | None,
        states: dict[str, CameraState],
        *,
        interval_s: float,
        buffer_limit: int,
        clock: Callable[[], float],
        counters: FleetCounters | None = None,
    ) -> None:
        self.sink = sink
        self.states = states
        self.interval_s = interval_s
        self.buffer_limit = buffer_limit
        self.clock = clock
        self.pending: deque[Transition] = deque()
        self.dirty: set[str] = set()
        #: write_backlog (= ``backlog``), write_dropped, write_failures, write_refused (camera states the database
        #: refused: their lease had moved to another owner), write_duration (stored batches only), last_write_at
        self.counters = counters if counters is not None else FleetCounters()
        self.last_error = ""
        #: a cluster member's fencing tokens, asked for at each flush (None: write unfenced, one instance)
        self.fence: Callable[[], WriteFence] | None = None
        self._lock = asyncio.Lock()

    @property
    def backlog(self) -> int:
        """Transitions plus camera states not yet written."""
        return len(self.pending) + len(self.dirty)

    def record(self, changed: Iterable[str], transitions: Iterable[Transition]) -> None:
        """Mark states changed and queue transitions (cheap: called on every probe result)."""
        self.dirty.update(changed)
        self.pending.extend(transitions)
        self._trim()

    def _trim(self) -> None:
        while len(self.pending) > self.buffer_limit:
            self.pending.popleft()
            self.counters.write_dropped += 1
        self._count_backlog()

    def _count_backlog(self) -> None:
        self.counters.write_backlog = self.backlog

    async def flush(self) -> bool:
        """Write what is buffered; True when everything got written (or there is no sink)."""
        if self.sink is None:
            self.pending.clear()
            self.dirty.clear()
            self._count_backlog()
            return True
        async with self._lock:
            return await self._flush(self.sink)

    async def _flush(self, sink: StateSink) -> bool:
        batch = list(self.pending)
        self.pending.clear()
        ids = set(self.dirty)
        self.dirty.clear()
        self._count_backlog()
        # Copies: the loop keeps mutating the live states while the thread writes.
        snapshot = [replace(self.states[c], scores=dict(self.states[c].scores)) for c in ids if c in self.states]
        refused: Sequence[RefusedWrite] | None = None
        try:
            if batch or snapshot:
                # One transaction: a crash cannot store a transition without its state (which would make the
                # restarted poller announce it again), and a retry after a lost acknowledgement is skipped by
                # the transitions' idempotency key.
                started = time.monotonic()
                if self.fence is None:
                    refused = await asyncio.to_thread(sink.write_batch, batch, snapshot)
                else:
                    refused = await asyncio.to_thread(sink.write_batch, batch, snapshot, self.fence())
                self.counters.write_duration.observe(time.monotonic() - started)
        except CamfleetError as exc:
            self._restore(batch, ids, exc)
            return False
        except Exception as exc:
            # A sink bug or an unmapped driver error must not end the writer task (nothing would be written
            # again until a restart): keep the batch, log the cause, try again next interval.
            log.exception("unexpected error while writing; keeping the batch")
            self._restore(batch, ids, exc)
            return False
        except BaseException:  # cancelled mid-write (shutting down): keep the batch, it may not have been stored
            self._keep(batch, ids)
            log.info("write interrupted by shutdown; the batch is kept for the final flush",
                     extra={"backlog": self.backlog})  # fmt: skip
            raise
        self.counters.last_write_at = self.clock()
        for r in refused or ():
            self._note_refused(r)
        return True

    def _note_refused(self, r: RefusedWrite) -> None:
        self.counters.write_refused += len(r.cameras)
        log.warning(
            "%s: %d camera state write(s) refused: the lease moved (held at epoch %s, now epoch %s, owner %s)",
            r.unit or "(no unit)", len(r.cameras), r.held_epoch, r.epoch, r.owner or "none",
            extra={"unit": r.unit, "refused": len(r.cameras), "held_epoch": r.held_epoch, "epoch": r.epoch,
                   "owner": r.owner or ""},
        )  # fmt: skip

    def _restore(self, batch: list[Transition], ids: set[str], exc: BaseException) -> None:
        self.counters.write_failures += 1
        self.last_error = str(exc) or exc.__class__.__name__
        self._keep(batch, ids)
        log.warning("database write failed; keeping the batch", extra={"backlog": self.backlog, "error": str(exc)})

    def _keep(self, batch: list[Transition], ids: set[str]) -> None:
        """Put a batch that may not have been stored back in front of the queue."""
        self.pending.extendleft(reversed(batch))
        self.dirty.update(ids)
        self._trim()

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every ``interval_s`` until ``stop`` is set (the final flush is the caller's)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_s)
            await self.flush()
