"""A one-off full sweep at the default pace: the pictures judging needs, no learning burst, no slot held waiting."""

from __future__ import annotations

from pathlib import Path

import pytest
from frames_helpers import at_noon, config, credentials, import_specs, specs
from poller_helpers import running

from camfleet.inventory.store import Store
from camfleet.model import CheckKind, Reason, Status
from camfleet.runtime.poller import Poller
from camfleet.simulator import Fault, SimulatedFleet

NET = 123  # 127.50.123.x
HEALTHY = [f"P-ok{i}" for i in range(10)]
FAULTS = {"P-covered": "covered", "P-black": "black", "P-frozen": "frozen"}


@pytest.mark.timeout(240)
async def test_first_sweep_takes_two_pictures_a_camera_and_names_faults(tmp_path: Path, sqlite_url: str) -> None:
    """With the default [vision] settings a first sweep takes exactly two pictures of each camera (the second for
    ``frozen``, in the sweep's own pass) plus the confirming re-checks of the faulty ones; healthy cameras read
    ok judged by the no-baseline rules, none held back as cannot_judge for want of peers; covered, black and
    frozen cameras are named from the first sweep; each healthy camera has learned at most two frames (no
    burst): its baseline is not ready yet."""
    ids = HEALTHY + list(FAULTS)
    fleet_specs = specs(NET, ids)
    import_specs(sqlite_url, tmp_path, fleet_specs)
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    for cid, kind in FAULTS.items():
        fleet.add_fault(Fault(kind=kind, cameras=(cid,), material="dark_cloth"))
    cfg = config(vision={"sweep_learns": False})
    assert cfg.vision.baseline_samples == 5
    async with running(fleet):
        with Store(sqlite_url) as store:
            poller = Poller(cfg, store.load_targets(), credentials(), store)
            frames = poller.frames
            assert frames is not None
            frames.learn_spacing_s = 0.2
            states = await poller.sweep_once("full")
            stored = store.load_baselines()
    assert {cid: states[cid].status for cid in FAULTS} == {cid: Status(kind) for cid, kind in FAULTS.items()}
    assert all(states[cid].status is Status.OK for cid in HEALTHY), {c: states[c].detail for c in HEALTHY}
    counts = poller.fleet.counters.probes
    assert counts[(str(CheckKind.FRAME), str(Status.CANNOT_JUDGE))] == 0  # nobody held back for peers
    # Two pictures per camera, the faulty ones' confirming re-checks besides (at most fault_threshold each).
    taken = frames.pool.calls["analyze_frame"]
    assert 2 * len(ids) <= taken <= 2 * len(ids) + cfg.vision.fault_threshold * len(FAULTS), taken
    assert all(1 <= stored[cid]["day"].samples <= 2 for cid in HEALTHY), {c: stored[c]["day"].samples for c in HEALTHY}
    assert all(states[cid].reason is Reason.NONE for cid in HEALTHY)
