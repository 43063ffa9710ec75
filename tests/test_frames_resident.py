"""Baselines beyond ``vision.resident_mib`` wait in a private temporary file (runtime/spill.py), not in memory."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from frames_helpers import at_noon, config, credentials, import_specs, specs
from poller_helpers import running, target

from camfleet.inventory.store import Store
from camfleet.model import Status
from camfleet.runtime.budget import FIRST_GUESS, ByteBudget
from camfleet.runtime.frames import SPILL_BATCH, FrameChecks
from camfleet.runtime.poller import Poller
from camfleet.runtime.sink import MemorySink
from camfleet.runtime.spill import Spill
from camfleet.simulator import Fault, SimulatedFleet
from camfleet.vision import FrameSignature

NET = 120  # 127.50.120.x, 127.50.121.x
#: camera → the simulator's fault once baselines are learned (None: healthy).
FAULTS = {"R-ok1": None, "R-ok2": None, "R-covered": "covered", "R-black": "black", "R-frozen": "frozen",
          "R-displaced": "displaced"}  # fmt: skip
#: Room for about one camera's baseline and previous picture (~90 KB in one mode).
ONE_CAMERA = 120_000


async def test_spill_round_trip_keeps_arrays_and_counts_bytes() -> None:
    """What goes in comes back equal (arrays included) and leaves the file; an absent or discarded key reads None;
    the byte count follows; the file has no name anyone else could open."""
    spill = Spill()
    try:
        picture = np.arange(54 * 96, dtype=np.float32).reshape(54, 96)
        await spill.put("A", (picture, "x"))
        await spill.put("B", b"y" * 1000)
        assert spill.keys == {"A", "B"} and spill.bytes > picture.nbytes + 1000
        back = await spill.take("A")
        assert back[1] == "x" and np.array_equal(back[0], picture)
        assert await spill.take("A") is None and spill.keys == {"B"}
        spill.discard("B")
        assert await spill.take("B") is None and spill.bytes == 0
        await spill.put("A", "again")  # a key written after being taken
        assert await spill.take("A") == "again"
        # SQLite's temporary database is unlinked as soon as it is made: no path names it.
        fds = os.listdir("/proc/self/fd")
        names = {os.readlink(f"/proc/self/fd/{fd}") for fd in fds if os.path.exists(f"/proc/self/fd/{fd}")}
        assert not any(n.endswith((".db", ".sqlite")) for n in names)
    finally:
        spill.close()


async def test_a_batch_that_cannot_be_pickled_leaves_the_spill_usable() -> None:
    """A batch with an object pickle refuses raises, counts none of its keys, and the next batch is written (its
    transaction was rolled back, not left open)."""
    spill = Spill()
    try:
        with pytest.raises((TypeError, AttributeError, pickle.PicklingError)):
            await spill.put_many([("A", "fine"), ("B", lambda: None)])
        assert spill.keys == set() and spill.bytes == 0
        await spill.put_many([("C", "next"), ("D", b"z" * 10)])
        assert await spill.take("C") == "next" and spill.keys == {"D"}
    finally:
        spill.close()


@pytest.mark.timeout(240)
async def test_a_small_budget_spills_baselines_and_still_judges_every_fault(tmp_path: Path, db_url: str) -> None:
    """With room for about one camera, a first sweep learns every baseline, writes them while it goes and spills
    all but the budget's worth. After a restart with the same budget, the stored baselines are spilled as they
    are read, and the sweep reads each back for its camera's picture and names every fault exactly; what stays
    in memory fits the budget."""
    fleet_specs = specs(NET, list(FAULTS))
    import_specs(db_url, tmp_path, fleet_specs)
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    async with running(fleet):
        with Store(db_url) as store:
            first = Poller(config(), store.load_targets(), credentials(), store)
            assert first.frames is not None
            first.frames.learn_spacing_s = 0.2
            first.frames.resident_limit = ONE_CAMERA
            learned = await first.sweep_once("full")
            assert {cid: s.status for cid, s in learned.items()} == dict.fromkeys(FAULTS, Status.OK)
            assert len(first.frames.spill.keys) >= len(FAULTS) - 1, first.frames.resident
            assert first.frames.resident_bytes <= ONE_CAMERA
            spilled = next(iter(first.frames.spill.keys))
            assert first.frames.memories[spilled].spilled and not first.frames.memories[spilled].baseline.modes
            for cid, kind in FAULTS.items():
                if kind is not None:
                    fleet.add_fault(Fault(kind=kind, cameras=(cid,), material="dark_cloth"))
            second = Poller(config(), store.load_targets(), credentials(), store)
            assert second.frames is not None
            second.frames.learn_spacing_s = 0.2
            second.frames.resident_limit = ONE_CAMERA
            judged = await second.sweep_once("full")
            assert second.frames.resident_bytes <= ONE_CAMERA and len(second.frames.spill.keys) >= len(FAULTS) - 1
    expected = {cid: Status(kind) if kind else Status.OK for cid, kind in FAULTS.items()}
    assert {cid: s.status for cid, s in judged.items()} == expected, {c: s.detail for c, s in judged.items()}
    # Judged against the learned baselines read back, not by the no-baseline rules.
    assert all(s.scores.get("sharpness_ratio") for cid, s in judged.items() if FAULTS[cid] is None)


@pytest.mark.timeout(240)
async def test_a_database_away_does_not_hold_learned_baselines_in_memory() -> None:
    """While the database refuses writes, what the cameras learn is spilled down to the budget all the same (memory
    dies with the process as the spill does: kept in memory, a long outage grew the heap by a baseline per camera
    and sample until the kernel killed the service). Once writes succeed, the next flush writes every camera's
    learned baseline, read back from the spill, and leaves it there. Pictures in flight stay within their budget."""
    ids = ["W-1", "W-2", "W-3"]
    fleet_specs = specs(NET + 1, ids)
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    sink = MemorySink()
    async with running(fleet):
        poller = Poller(config(), [target(s) for s in fleet_specs], credentials(), sink)
        frames, pictures = poller.frames, poller.pictures
        assert frames is not None and pictures is not None
        frames.learn_spacing_s = 0.2
        frames.resident_limit = 1  # nothing fits
        frames.pictures_in_flight = ByteBudget(FIRST_GUESS)  # about one picture at a time
        async with poller.opened():
            sink.failing = True
            states = await poller.sweep_once("full")
            assert all(s.status is Status.OK for s in states.values())
            assert 0 < frames.pictures_in_flight.max_used <= FIRST_GUESS  # every picture went through the budget
            assert not await pictures.flush()  # the database is away
            assert frames.spill.keys == set(ids) and frames.resident_bytes == 0
            assert not any(frames.memories[c].baseline.modes for c in ids) and not sink.baselines
            sink.failing = False
            assert await pictures.flush()
            assert frames.spill.keys == set(ids) and frames.resident_bytes == 0
            assert {cid for cid, _mode in sink.baselines} == set(ids)
            assert all(row.samples >= 1 for row in sink.baselines.values())
            # Read back for the next frame: learned state intact, and written as it is.
            memory = await frames.resident_memory("W-1")
            assert memory.baseline.ready("day") is not None and not memory.spilled
            assert sink.baselines[("W-1", "day")].samples == memory.baseline.modes["day"].count


async def test_a_trim_spills_many_cameras_in_a_few_trips() -> None:
    """Spilling 600 cameras takes ⌈600 / SPILL_BATCH⌉ trips to the spill's thread, not one per camera (each trip
    resumes on the loop's next pass: one by one, a busy loop made a flush's trim last minutes at 11,000 cameras).
    Every camera's baseline and previous signature come back equal; one taken back while its batch is written
    is dropped from the file and stays in memory."""
    frames = FrameChecks(config())
    cells = np.arange(9 * 16 * 5, dtype=np.float32).reshape(9, 16, 5)
    trips: list[int] = []
    put_many = frames.spill._put_many

    def counted(items: list[tuple[str, object]]) -> list[int]:
        trips.append(len(items))
        return put_many(items)

    frames.spill._put_many = counted  # type: ignore[method-assign]
    try:
        ids = [f"T-{n:03d}" for n in range(600)]
        for n, camera_id in enumerate(ids):
            memory = frames.memory(camera_id)
            thumb = np.full((54, 96), n % 256, np.uint8)
            memory.previous = FrameSignature(thumb, cells + n, thumb[0, :64].copy(), (180, 320))
            frames.touched(camera_id, memory)
        frames.resident_limit = 1
        taken: list[str] = []
        original = frames.spill.put_many

        async def meanwhile(items: list[tuple[str, object]]) -> None:
            if not taken:  # a frame of the first camera starts while its batch is being written
                taken.append(items[0][0])
                await frames.resident_memory(items[0][0])
            await original(items)

        frames.spill.put_many = meanwhile  # type: ignore[method-assign]
        assert await frames.trim() == 600
        assert trips == [SPILL_BATCH, SPILL_BATCH, 600 - 2 * SPILL_BATCH]
        assert frames.resident_bytes == 0 and frames.spill.keys == set(ids) - set(taken)
        back = await frames.resident_memory("T-599")
        assert back.previous is not None and np.array_equal(back.previous.cells, cells + 599)
        assert not frames.memories[taken[0]].spilled and frames.memories[taken[0]].previous is not None
    finally:
        frames.spill.close()
