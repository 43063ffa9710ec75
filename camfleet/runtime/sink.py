"""StateSink: what the runtime needs from a store. ``camfleet.inventory.store.Store`` satisfies it.

The runtime calls these blocking methods through ``asyncio.to_thread``; they raise
``camfleet.errors.DatabaseError`` when the database fails, and the writer keeps the data for later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from camfleet.model import CameraState, Transition


class StateSink(Protocol):
    """Persistence of camera states and the transition history."""

    def load_states(self) -> dict[str, CameraState]:
        """Every stored camera state, by camera id."""
        ...

    def save_states(self, states: Iterable[CameraState]) -> None:
        """Insert or update these camera states."""
        ...

    def append_transitions(self, transitions: Sequence[Transition]) -> None:
        """Append to the history."""
        ...


class MemorySink:
    """A sink in memory (tests, ``sweep`` without a database); can be told to fail like a dead database."""

    def __init__(self) -> None:
        self.states: dict[str, CameraState] = {}
        self.transitions: list[Transition] = []
        self.failing = False
        self.writes = 0

    def _check(self) -> None:
        if self.failing:
            from camfleet.errors import DatabaseError

            raise DatabaseError("database unreachable (simulated)")

    def load_states(self) -> dict[str, CameraState]:
        """The stored states."""
        self._check()
        return dict(self.states)

    def save_states(self, states: Iterable[CameraState]) -> None:
        """Keep copies of the states."""
        self._check()
        for s in states:
            self.states[s.camera_id] = s
        self.writes += 1

    def append_transitions(self, transitions: Sequence[Transition]) -> None:
        """Append the transitions."""
        self._check()
        self.transitions.extend(transitions)
        self.writes += 1
