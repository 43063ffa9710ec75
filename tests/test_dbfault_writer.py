"""The batched writer while its sink fails: order kept, buffer bounded, drops counted, nothing written twice."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence

import pytest
from dbfault_helpers import wait_for

from camfleet.errors import DatabaseError
from camfleet.model import CameraState, Status, Transition
from camfleet.runtime.fleet import FleetState
from camfleet.runtime.sink import MemorySink
from camfleet.runtime.writer import StateWriter
from camfleet.service.views import ServiceStats, poller_stats


def transitions(first: int, count: int) -> list[Transition]:
    """``count`` distinct transitions numbered from ``first``."""
    return [Transition(f"C{i % 3}", float(i), Status.OK, Status.OFFLINE) for i in range(first, first + count)]


class LostAckSink(MemorySink):
    """Commits the batch, then raises as if the connection died before the acknowledgement arrived."""

    lose_next = True

    def write_batch(self, transitions: Sequence[Transition], states: Iterable[CameraState]) -> None:
        """Store, then (once) fail."""
        super().write_batch(transitions, states)
        if self.lose_next:
            self.lose_next = False
            raise DatabaseError("server closed the connection unexpectedly (simulated, after commit)")


class HalfWaySink(MemorySink):
    """A database that fails on the states of a batch: the transitions of that batch must not stay stored."""

    def write_batch(self, transitions: Sequence[Transition], states: Iterable[CameraState]) -> None:
        """Fail whenever there are states to save (before storing anything, as a rolled-back transaction)."""
        states = list(states)
        if states:
            raise DatabaseError("disk full (simulated)")
        super().write_batch(transitions, states)


def writer(sink: MemorySink, limit: int = 10) -> StateWriter:
    """A writer over three cameras' states."""
    states = {f"C{i}": CameraState(f"C{i}") for i in range(3)}
    return StateWriter(sink, states, interval_s=0.1, buffer_limit=limit, clock=lambda: 1.0)


async def test_failed_batches_are_kept_in_order_and_written_once() -> None:
    """Three flushes fail; the fourth writes every transition once, oldest first, and clears the backlog."""
    sink = MemorySink()
    w = writer(sink, limit=100)
    sink.failing = True
    for n in range(3):
        w.record(["C0"], transitions(n * 5, 5))
        assert await w.flush() is False
    assert w.backlog == 15 + 1 and w.counters.write_failures == 3
    sink.failing = False
    assert await w.flush() is True
    assert sink.transitions == transitions(0, 15) and w.backlog == 0 and w.counters.write_dropped == 0


async def test_the_writers_counts_reach_the_metrics_with_nothing_copying_them() -> None:
    """The writer counts into the fleet's counters it is given: a metrics snapshot taken right after a flush, with
    no poller tick in between to copy anything, shows the backlog, the drops and the failure, then the stored
    batch in the write-duration histogram and the backlog gone."""
    fleet = FleetState()
    sink = MemorySink()
    sink.failing = True
    states = {"C0": CameraState("C0")}
    w = StateWriter(sink, states, interval_s=0.1, buffer_limit=3, clock=lambda: 1.0, counters=fleet.counters)
    w.record(["C0"], transitions(0, 5))
    assert await w.flush() is False
    stats = poller_stats(fleet, ServiceStats())
    assert (stats.db_backlog, stats.db_write_dropped, stats.db_write_failures, stats.db_write.count) == (3 + 1, 2, 1, 0)
    sink.failing = False
    assert await w.flush() is True
    stats = poller_stats(fleet, ServiceStats())
    assert (stats.db_backlog, stats.db_write_dropped, stats.db_write_failures, stats.db_write.count) == (0, 2, 1, 1)


async def test_buffer_limit_drops_oldest_and_counts_them() -> None:
    """Past ``buffer_limit`` the oldest transitions go first, and every one dropped is counted."""
    sink = MemorySink()
    w = writer(sink, limit=10)
    sink.failing = True
    w.record([], transitions(0, 8))
    assert await w.flush() is False
    w.record([], transitions(8, 7))
    assert w.counters.write_dropped == 5 and len(w.pending) == 10
    sink.failing = False
    await w.flush()
    assert sink.transitions == transitions(5, 10)


async def test_a_failed_batch_stores_neither_transitions_nor_states() -> None:
    """Transitions and states go in one transaction: when the states cannot be stored, no transition of the
    batch is either (a restart would otherwise announce the transition again), and the retry stores both."""
    sink = HalfWaySink()
    w = writer(sink)
    w.record(["C1"], transitions(0, 4))
    assert await w.flush() is False
    assert sink.transitions == [] and "C1" not in sink.states and len(w.pending) == 4 and "C1" in w.dirty
    sink.write_batch = lambda t, s: MemorySink.write_batch(sink, t, s)  # type: ignore[method-assign]
    assert await w.flush() is True
    assert sink.transitions == transitions(0, 4) and "C1" in sink.states and w.backlog == 0


async def test_a_batch_retried_after_a_lost_acknowledgement_is_not_doubled() -> None:
    """The commit happened but its acknowledgement was lost: the writer keeps the batch and retries it, and
    the idempotency key (camera, time, new status) keeps every transition stored once."""
    sink = LostAckSink()
    w = writer(sink)
    w.record(["C2"], transitions(0, 5))
    assert await w.flush() is False and len(w.pending) == 5
    w.record([], transitions(5, 2))
    assert await w.flush() is True
    assert sink.transitions == transitions(0, 7) and w.backlog == 0


class BuggySink(MemorySink):
    """Raises a library error that was never mapped to DatabaseError (a sink bug)."""

    def write_batch(self, transitions: Sequence[Transition], states: Iterable[CameraState]) -> None:
        """Fail like an unmapped driver error while ``failing``."""
        if self.failing:
            raise RuntimeError("cursor already closed")
        super().write_batch(transitions, states)


async def test_unexpected_sink_errors_do_not_end_the_writer_task() -> None:
    """An error that is not a DatabaseError keeps the batch, counts a failure, and the writer task goes on
    to write everything once the sink works again."""
    sink = BuggySink()
    w = writer(sink)
    sink.failing = True
    w.record(["C0"], transitions(0, 3))
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await wait_for(lambda: w.counters.write_failures >= 2 or task.done(), 10, "two failed flushes")
    assert not task.done() and len(w.pending) == 3 and "cursor" in w.last_error
    sink.failing = False
    await wait_for(lambda: not w.pending, 10, "the kept batch to be written")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert sink.transitions == transitions(0, 3)


class SlowSink(MemorySink):
    """A database that takes its time: the write is still in its thread when the flush is cancelled."""

    def write_batch(self, transitions: Sequence[Transition], states: Iterable[CameraState]) -> None:
        """Wait, then store (the cancelled flush has kept the batch by then)."""
        import time

        time.sleep(0.3)
        super().write_batch(transitions, states)


async def test_a_flush_cancelled_by_shutdown_keeps_its_batch_and_is_no_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A flush cancelled mid-write (the service stopping) puts its batch back for the final flush, says so at
    info level, and counts no database failure nor says 'write failed' (an operator pressing Ctrl-C saw a
    warning with an empty error); the final flush then writes every transition (once: idempotency keys)."""
    sink = SlowSink()
    w = writer(sink, limit=100)
    w.record(["C0"], transitions(0, 5))
    task = asyncio.create_task(w.flush())
    await asyncio.sleep(0.05)
    with caplog.at_level(logging.INFO, logger="camfleet.runtime.writer"):
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert w.counters.write_failures == 0 and w.backlog == 5 + 1
    assert "interrupted by shutdown" in caplog.text and "write failed" not in caplog.text
    await asyncio.sleep(0.4)  # the cancelled write's thread finishes
    assert await w.flush() is True and w.backlog == 0
    assert len({t.at for t in sink.transitions}) == 5
