"""A recorder's channels share its answers: one liveness or identity call per recorder per interval, not per channel.

A village NVR with 16 channels is one device: asking it 16 times a minute for its clock proves nothing the first
answer did not, and a thin uplink pays for each. So the first channel due asks the recorder, and its siblings
due within the same interval take that reading instead of asking again. Two rules keep the health machine's
hysteresis honest:

- a channel never takes the same reading twice: its confirming re-check (soon after a bad verdict) asks the
  recorder anew, so K verdicts in a row always come from K calls;
- a reading is only shared while it is younger than ``SHARE_FRACTION`` of the check's interval.

Calls already in flight are joined, not repeated (a sweep checks every channel at once). A recorder that does
not answer makes each channel ``offline`` with reason ``nvr``: the fault is the recorder's, said once per
channel in the channel's words.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from camfleet.model import CameraTarget, CheckKind, ProbeResult, Reason, Status

#: A reading is shared with the recorder's other channels while younger than this fraction of its interval.
SHARE_FRACTION = 0.9


@dataclass(slots=True)
class _Reading:
    seq: int
    at: float
    result: ProbeResult


@dataclass(slots=True)
class RecorderShare:
    """Readings per (recorder, check kind), and which reading each channel last took."""

    readings: dict[tuple[str, CheckKind], _Reading] = field(default_factory=dict)
    inflight: dict[tuple[str, CheckKind], asyncio.Task[_Reading]] = field(default_factory=dict)
    taken: dict[tuple[str, CheckKind], int] = field(default_factory=dict)  # (camera id, kind) → seq
    calls: int = 0  # calls actually made to recorders (for tests and benchmarks)

    async def read(
        self,
        target: CameraTarget,
        kind: CheckKind,
        interval_s: float,
        now: float,
        ask: Callable[[CameraTarget], Awaitable[ProbeResult]],
    ) -> ProbeResult:
        """The channel's result of ``kind``, from a shared reading of its recorder or a fresh call."""
        key = (target.recorder, kind)
        mine = (target.camera_id, kind)
        reading = self.readings.get(key)
        usable = reading is not None and now - reading.at < interval_s * SHARE_FRACTION
        if reading is None or not usable or self.taken.get(mine) == reading.seq:
            task = self.inflight.get(key)
            if task is None:
                seq = reading.seq + 1 if reading is not None else 1
                task = asyncio.create_task(self._call(key, seq, now, ask, device_target(target)))
                self.inflight[key] = task
            reading = await asyncio.shield(task)
        self.taken[mine] = reading.seq
        return for_channel(reading.result, target)

    async def _call(
        self,
        key: tuple[str, CheckKind],
        seq: int,
        now: float,
        ask: Callable[[CameraTarget], Awaitable[ProbeResult]],
        device: CameraTarget,
    ) -> _Reading:
        try:
            self.calls += 1
            reading = _Reading(seq, now, await ask(device))
            self.readings[key] = reading
            return reading
        finally:
            self.inflight.pop(key, None)

    def forget(self, camera_id: str) -> None:
        """Drop a channel removed from the inventory (its recorder's readings stay for its siblings)."""
        for kind in CheckKind:
            self.taken.pop((camera_id, kind), None)


def device_target(target: CameraTarget) -> CameraTarget:
    """The recorder itself as a target: its own client handle and caches, keyed ``@host:port``."""
    return dataclasses.replace(target, camera_id=f"@{target.recorder}", channel=None, point_id="")


def for_channel(result: ProbeResult, target: CameraTarget) -> ProbeResult:
    """The recorder's result in the channel's name; a recorder that does not answer is ``offline``/``nvr``."""
    if result.status is Status.OFFLINE:
        why = f"{result.reason}: {result.detail}" if result.detail else str(result.reason)
        detail = f"recorder {target.recorder} does not answer ({why})"
        return dataclasses.replace(result, camera_id=target.camera_id, reason=Reason.NVR, detail=detail)
    return dataclasses.replace(result, camera_id=target.camera_id)
