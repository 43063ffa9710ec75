"""StateSink: what the runtime needs from a store. ``camfleet.inventory.store.Store`` satisfies it.

``PictureSink`` is what picture checks need besides (baselines, evidence); a sink without those methods
still works, its baselines then live in memory only. ``ReviewSink`` is what baseline states need
(acceptance pictures, the states, people's approvals); without it they live in memory only.

The runtime calls these blocking methods through ``asyncio.to_thread``; they raise
``camfleet.errors.DatabaseError`` when the database fails, and the writer keeps the data for later.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol, runtime_checkable

from camfleet.model import (
    Approval,
    BaselineReview,
    CameraState,
    Evidence,
    ReferencePicture,
    RefusedWrite,
    StoredBaseline,
    Transition,
    WriteFence,
)


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

    def write_batch(
        self, transitions: Sequence[Transition], states: Iterable[CameraState], fence: WriteFence | None = None
    ) -> Sequence[RefusedWrite] | None:
        """Append transitions and save states in one transaction (all or nothing); a transition already
        stored (same camera, time and new status) is skipped, so a retried batch is never doubled. With a
        ``fence``, states whose lease moved away from the writer are not saved, and are returned."""
        ...


@runtime_checkable
class PictureSink(Protocol):
    """Persistence of picture baselines and fault evidence."""

    def load_baselines(self) -> dict[str, dict[str, StoredBaseline]]:
        """Every stored baseline: camera id → mode → baseline."""
        ...

    def load_baselines_of(self, camera_ids: Sequence[str]) -> dict[str, dict[str, StoredBaseline]]:
        """The stored baselines of these cameras: camera id → mode → baseline (read in batches at start)."""
        ...

    def baseline_keys(self) -> set[tuple[str, str]]:
        """(camera id, mode) of every stored baseline."""
        ...

    def put_baselines(self, baselines: Sequence[StoredBaseline]) -> None:
        """Insert or replace these baselines."""
        ...

    def delete_baselines(self, camera_id: str) -> int:
        """Forget a camera's baselines; how many rows went."""
        ...

    def put_evidence(self, items: Sequence[Evidence]) -> None:
        """Store evidence pictures (the newest few per camera are kept)."""
        ...


@runtime_checkable
class ReviewSink(Protocol):
    """Persistence of baseline states, acceptance pictures and approvals."""

    def reference_times(self) -> dict[str, float]:
        """When each stored acceptance picture was imported, by camera id (no pictures: cheap)."""
        ...

    def references(self, camera_ids: Collection[str] | None = None) -> dict[str, ReferencePicture]:
        """The acceptance pictures of ``camera_ids`` (all when None)."""
        ...

    def put_reviews(self, rows: Sequence[BaselineReview]) -> None:
        """Insert or replace these baseline states."""
        ...

    def reviews(self) -> dict[str, BaselineReview]:
        """Every stored baseline state."""
        ...

    def approvals(self, after_id: int = 0) -> list[Approval]:
        """Approvals newer than ``after_id``, oldest first."""
        ...


class MemorySink:
    """A sink in memory (tests, ``sweep`` without a database); can be told to fail like a dead database."""

    def __init__(self) -> None:
        self.states: dict[str, CameraState] = {}
        self.transitions: list[Transition] = []
        self.baselines: dict[tuple[str, str], StoredBaseline] = {}
        self.evidence: list[Evidence] = []
        self.pictures: dict[str, ReferencePicture] = {}
        self.review_rows: dict[str, BaselineReview] = {}
        self.approval_rows: list[Approval] = []
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
        self.write_batch((), states)

    def append_transitions(self, transitions: Sequence[Transition]) -> None:
        """Append the transitions (ones already kept are skipped)."""
        self.write_batch(transitions, ())

    def write_batch(
        self, transitions: Sequence[Transition], states: Iterable[CameraState], fence: WriteFence | None = None
    ) -> list[RefusedWrite]:
        """Both or neither (the check comes first); transitions keyed like the database's unique index. There
        is no lease table here: a fence refuses nothing."""
        self._check()
        seen = {(t.camera_id, t.at, t.to_status) for t in self.transitions}
        for t in transitions:
            key = (t.camera_id, t.at, t.to_status)
            if key not in seen:
                seen.add(key)
                self.transitions.append(t)
        for s in states:
            self.states[s.camera_id] = s
        self.writes += 1
        return []

    def load_baselines(self) -> dict[str, dict[str, StoredBaseline]]:
        """The stored baselines by camera and mode."""
        self._check()
        out: dict[str, dict[str, StoredBaseline]] = {}
        for (camera_id, mode), b in self.baselines.items():
            out.setdefault(camera_id, {})[mode] = b
        return out

    def load_baselines_of(self, camera_ids: Sequence[str]) -> dict[str, dict[str, StoredBaseline]]:
        """The stored baselines of these cameras by camera and mode."""
        self._check()
        wanted = set(camera_ids)
        out: dict[str, dict[str, StoredBaseline]] = {}
        for (camera_id, mode), b in self.baselines.items():
            if camera_id in wanted:
                out.setdefault(camera_id, {})[mode] = b
        return out

    def baseline_keys(self) -> set[tuple[str, str]]:
        """(camera id, mode) of the stored baselines."""
        self._check()
        return set(self.baselines)

    def put_baselines(self, baselines: Sequence[StoredBaseline]) -> None:
        """Keep these baselines."""
        self._check()
        for b in baselines:
            self.baselines[(b.camera_id, b.mode)] = b

    def delete_baselines(self, camera_id: str) -> int:
        """Forget a camera's baselines."""
        self._check()
        gone = [k for k in self.baselines if k[0] == camera_id]
        for k in gone:
            del self.baselines[k]
        return len(gone)

    def put_evidence(self, items: Sequence[Evidence]) -> None:
        """Keep the evidence, the newest 5 per camera."""
        self._check()
        self.evidence.extend(items)
        for camera_id in {e.camera_id for e in items}:
            mine = [e for e in self.evidence if e.camera_id == camera_id]
            for old in sorted(mine, key=lambda e: e.at)[:-5]:
                self.evidence.remove(old)

    def reference_times(self) -> dict[str, float]:
        """When each acceptance picture was imported."""
        self._check()
        return {cid: r.imported_at for cid, r in self.pictures.items()}

    def references(self, camera_ids: Collection[str] | None = None) -> dict[str, ReferencePicture]:
        """The acceptance pictures asked for."""
        self._check()
        return {cid: r for cid, r in self.pictures.items() if camera_ids is None or cid in camera_ids}

    def put_references(self, rows: Sequence[ReferencePicture]) -> None:
        """Keep these acceptance pictures."""
        self._check()
        self.pictures.update((r.camera_id, r) for r in rows)

    def put_reviews(self, rows: Sequence[BaselineReview]) -> None:
        """Keep these baseline states."""
        self._check()
        self.review_rows.update((r.camera_id, r) for r in rows)

    def reviews(self) -> dict[str, BaselineReview]:
        """The kept baseline states."""
        self._check()
        return dict(self.review_rows)

    def add_approvals(self, rows: Sequence[Approval]) -> int:
        """Append approvals, numbered from 1."""
        self._check()
        for a in rows:
            self.approval_rows.append(Approval(a.camera_id, a.at, a.by, a.note, len(self.approval_rows) + 1))
        return len(rows)

    def approvals(self, after_id: int = 0) -> list[Approval]:
        """Approvals newer than ``after_id``."""
        self._check()
        return [a for a in self.approval_rows if a.id > after_id]
