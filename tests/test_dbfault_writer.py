"""The batched writer while its sink fails: order kept, buffer bounded, drops counted, nothing written twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from dbfault_helpers import wait_for

from camfleet.errors import DatabaseError
from camfleet.model import CameraState, Status, Transition
from camfleet.runtime.sink import MemorySink
from camfleet.runtime.writer import StateWriter


def transitions(first: int, count: int) -> list[Transition]:
    """``count`` distinct transitions numbered from ``first``."""
    return [Transition(f"C{i % 3}", float(i), Status.OK, Status.OFFLINE) for i in range(first, first + count)]


class HalfWaySink(MemorySink):
    """Stores transitions, then fails on states: the batch's transitions are in, its states are not."""

    def save_states(self, states: object) -> None:
        """Always fail."""
        raise DatabaseError("disk full (simulated)")


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
    assert w.backlog == 15 + 1 and w.failures == 3
    sink.failing = False
    assert await w.flush() is True
    assert sink.transitions == transitions(0, 15) and w.backlog == 0 and w.dropped == 0


async def test_buffer_limit_drops_oldest_and_counts_them() -> None:
    """Past ``buffer_limit`` the oldest transitions go first, and every one dropped is counted."""
    sink = MemorySink()
    w = writer(sink, limit=10)
    sink.failing = True
    w.record([], transitions(0, 8))
    assert await w.flush() is False
    w.record([], transitions(8, 7))
    assert w.dropped == 5 and len(w.pending) == 10
    sink.failing = False
    await w.flush()
    assert sink.transitions == transitions(5, 10)


async def test_transitions_stored_before_a_state_failure_are_not_written_again() -> None:
    """When the transitions went in and only the states failed, a retry writes the states, not the
    transitions a second time."""
    sink = HalfWaySink()
    w = writer(sink)
    w.record(["C1"], transitions(0, 4))
    assert await w.flush() is False
    assert len(sink.transitions) == 4 and not w.pending and "C1" in w.dirty

    def ok_states(states: Sequence[CameraState]) -> None:
        MemorySink.save_states(sink, states)

    sink.save_states = ok_states  # type: ignore[assignment,method-assign]
    assert await w.flush() is True
    assert len(sink.transitions) == 4 and "C1" in sink.states


class BuggySink(MemorySink):
    """Raises a library error that was never mapped to DatabaseError (a sink bug)."""

    def append_transitions(self, transitions: Sequence[Transition]) -> None:
        """Fail like an unmapped driver error while ``failing``."""
        if self.failing:
            raise RuntimeError("cursor already closed")
        super().append_transitions(transitions)


async def test_unexpected_sink_errors_do_not_end_the_writer_task() -> None:
    """An error that is not a DatabaseError keeps the batch, counts a failure, and the writer task goes on
    to write everything once the sink works again."""
    sink = BuggySink()
    w = writer(sink)
    sink.failing = True
    w.record(["C0"], transitions(0, 3))
    stop = asyncio.Event()
    task = asyncio.create_task(w.run(stop))
    await wait_for(lambda: w.failures >= 2 or task.done(), 10, "two failed flushes")
    assert not task.done() and len(w.pending) == 3 and "cursor" in w.last_error
    sink.failing = False
    await wait_for(lambda: not w.pending, 10, "the kept batch to be written")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert sink.transitions == transitions(0, 3)
