"""A sweep against the real simulator reports each camera's status exactly as the scenario made it."""

from __future__ import annotations

import pytest
from poller_helpers import credentials, fast_config, running, target, village_specs

from camfleet.model import Reason, Status
from camfleet.runtime.poller import Poller
from camfleet.runtime.sink import MemorySink
from camfleet.simulator import Fault, SimulatedFleet

NET = 1
VILLAGES = {"东山村": 11, "西河村": 3}
#: Degraded above 1.5 s (fast_config's is 0.6 s: a healthy answer on a loaded box reached it and failed the test),
#: a call given up after 4 s.
TIMEOUTS = {"degraded_latency_s": 1.5, "call_timeout_s": 4.0}

# camera id → (fault, expected status, expected reason); cameras not listed are healthy → ok.
SCENARIO: dict[str, tuple[Fault | None, Status, Reason]] = {
    "V0010-0": (Fault(kind="offline"), Status.OFFLINE, Reason.REFUSED),
    "V0010-1": (Fault(kind="blackhole"), Status.OFFLINE, Reason.TIMEOUT),
    # Slower than the degraded limit by far and well inside the call timeout (TIMEOUTS): a healthy camera
    # answering slowly on a loaded box stays under the limit.
    "V0010-2": (Fault(kind="slow", latency=2.5), Status.DEGRADED, Reason.SLOW),
    "V0010-3": (Fault(kind="auth"), Status.AUTH_FAILED, Reason.PASSWORD),
    # Within the limit (300 s): the offset is measured and signed with, so the camera is fine.
    "V0010-4": (Fault(kind="clock_skew", skew=120.0), Status.OK, Reason.NONE),
    # Beyond the limit but credentials accepted once we sign with the camera's time: ok (offset reported).
    "V0010-5": (Fault(kind="clock_skew", skew=-7200.0), Status.OK, Reason.NONE),
    "V0010-6": (Fault(kind="malformed_xml"), Status.PROTOCOL_ERROR, Reason.MALFORMED),
    "V0010-7": (Fault(kind="oversized", size=3 * 1024 * 1024), Status.PROTOCOL_ERROR, Reason.OVERSIZED),
    "V0010-8": (Fault(kind="reboot", down=600.0), Status.OFFLINE, Reason.REFUSED),
    "V0010-9": (None, Status.OK, Reason.NONE),
    "V0010-10": (None, Status.AUTH_FAILED, Reason.CLOCK),  # clock 2 h off AND refused: blamed on the clock
}


@pytest.mark.timeout(120)
async def test_full_sweep_matches_scenario_camera_by_camera() -> None:
    """Every network/auth fault kind ends in its own status and reason; a whole village behind a dead
    uplink is uplink_down; healthy cameras are ok; clock offsets are measured."""
    specs = village_specs(NET, VILLAGES)
    fleet = SimulatedFleet(specs)
    for camera_id, (fault, _s, _r) in SCENARIO.items():
        if fault is not None:
            fault.cameras = (camera_id,)
            fleet.add_fault(fault)
    fleet.add_fault(Fault(kind="clock_skew", skew=-7200.0, cameras=("V0010-10",)))
    fleet.add_fault(Fault(kind="auth", cameras=("V0010-10",)))
    fleet.add_fault(Fault(kind="uplink_down", uplink="东山镇/西河村"))
    sink = MemorySink()
    async with running(fleet):
        poller = Poller(fast_config(**TIMEOUTS), [target(s) for s in specs], credentials(), sink)
        states = await poller.sweep_once("full")
    got = {cid: (s.status, s.reason) for cid, s in states.items()}
    expected = {cid: (st, rs) for cid, (_f, st, rs) in SCENARIO.items()}
    expected.update({s.camera_id: (Status.UPLINK_DOWN, Reason.UPLINK) for s in specs if s.village == "西河村"})
    assert got == expected
    assert abs((states["V0010-5"].clock_offset_s or 0) + 7200) < 5
    assert states["V0010-9"].identity is not None and states["V0010-9"].identity.serial
    assert poller.fleet.status_counts()["uplink_down"] == 3
    # Persisted: every camera's state, and a history whose last word per camera is its status.
    assert {cid: (s.status, s.reason) for cid, s in sink.states.items()} == expected
    last = {t.camera_id: t.to_status for t in sink.transitions}
    assert last == {cid: st for cid, (st, _r) in expected.items()}
