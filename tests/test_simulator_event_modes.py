"""Simulated cameras' own events as the field has them: most legacy cameras offer none, some are silent, some lie."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from frames_helpers import at_noon, config, credentials, specs
from poller_helpers import running, target

from camfleet.errors import ConfigError
from camfleet.model import Agreement, Status
from camfleet.runtime.poller import Poller
from camfleet.runtime.sink import MemorySink
from camfleet.simulator import Fault, SimCameraSpec, SimulatedFleet, load_scenario
from camfleet.simulator.device_ops import get_capabilities, get_services

NET = 95  # 127.50.95.x


def _fleet(ids: list[str], **kwargs: object) -> SimulatedFleet:
    return SimulatedFleet(specs(NET, ids), **kwargs)  # type: ignore[arg-type]


def test_share_offering_events_is_drawn_per_seed() -> None:
    """`events_offered` decides per camera, from the fleet seed and its id, whether it has an events service at
    all: about that share of 400 cameras do, the same ones for the same seed, others for another seed."""
    ids = [f"E-{i:03d}" for i in range(400)]
    one = {cid: cam.events for cid, cam in _fleet(ids, events_offered=0.2).cameras.items()}
    again = {cid: cam.events for cid, cam in _fleet(ids, events_offered=0.2).cameras.items()}
    other = {cid: cam.events for cid, cam in _fleet(ids, events_offered=0.2, seed=2).cameras.items()}
    assert one == again and one != other
    assert set(one.values()) == {"truthful", "none"}
    assert 60 <= Counter(one.values())["truthful"] <= 100


def test_legacy_programme_mostly_offers_no_events() -> None:
    """With no share given, the programme decides: a fifth of the legacy 农村小天网 cameras offer events, most new
    一村一探头 ones do; a camera of no known programme (a test's) offers truthful events; its own ``events`` wins."""

    def spec(cid: str, program: str, events: str = "") -> SimCameraSpec:
        return SimCameraSpec(cid, "127.50.95.1", 8000 + int(cid[1:]), "u", "p", program=program, events=events)

    legacy = SimulatedFleet([spec(f"L{i}", "农村小天网") for i in range(300)])
    new = SimulatedFleet([spec(f"N{i}", "一村一探头") for i in range(300)])
    offered = [sum(c.events != "none" for c in f.cameras.values()) / 300 for f in (legacy, new)]
    assert 0.12 < offered[0] < 0.28 and 0.7 < offered[1] < 0.9, offered
    assert {c.events for c in _fleet(["X1", "X2"]).cameras.values()} == {"truthful"}
    assert SimulatedFleet([spec("S1", "农村小天网", "lying")]).cameras["S1"].events == "lying"


def test_scenario_events_table(tmp_path: Path) -> None:
    """A scenario's ``[events]`` sets the share offered and names cameras whose events are silent, lying, truthful
    or absent; it overrides the draw; a mistake names the file and key."""
    path = tmp_path / "s.toml"
    path.write_text('[events]\noffered = 0.0\nsilent = ["A"]\nlying = ["B"]\ntruthful = ["C"]\n', encoding="utf-8")
    fleet = SimulatedFleet(specs(NET, ["A", "B", "C", "D"]), load_scenario(path))
    assert {cid: cam.events for cid, cam in fleet.cameras.items()} == {
        "A": "silent", "B": "lying", "C": "truthful", "D": "none"
    }  # fmt: skip
    for text, key in (('[events]\nofered = 0.5\n', "ofered"), ('[events]\noffered = 2\n', "events.offered"),
                      ('[events]\nsilent = ["A"]\nnone = ["A"]\n', "events.none")):  # fmt: skip
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=key):
            load_scenario(path)


def test_camera_without_events_advertises_none() -> None:
    """A camera without events leaves the Events capability and the events service out of GetCapabilities and
    GetServices, as such cameras do; one with events lists both."""
    fleet = _fleet(["A", "B"])
    fleet.cameras["A"].events = "none"
    without, with_ = fleet.cameras["A"], fleet.cameras["B"]
    assert "<tt:Events>" not in get_capabilities(without) and "event_service" not in get_services(without)
    assert "<tt:Events>" in get_capabilities(with_) and "event_service" in get_services(with_)


@pytest.mark.timeout(180)
async def test_poller_meets_absent_silent_and_lying_events() -> None:
    """Over the wire, one sweep with camera events on: a covered camera with no events service is judged on its
    picture alone (`covered`; its claim is `protocol_error/not_supported`); a covered camera whose events are
    silent reads `covered` with an empty claim (`camfleet_only`); a healthy camera whose tamper detector lies
    claims covered (`camera_only`) and, with no baseline yet, is not blessed as ok: a lie costs a person's look."""
    ids = ["EM-none", "EM-silent", "EM-lying", *[f"EM-ok-{i}" for i in range(6)]]
    fleet = _fleet(ids)
    for cid, mode in (("EM-none", "none"), ("EM-silent", "silent"), ("EM-lying", "lying")):
        fleet.cameras[cid].events = mode
    at_noon(fleet)
    fleet.add_fault(Fault("covered", cameras=("EM-none", "EM-silent"), material="dark_cloth"))
    async with running(fleet):
        poller = Poller(config(), [target(s) for s in fleet_specs(fleet)], credentials(), MemorySink())
        assert poller.frames is not None
        poller.frames.learn_spacing_s = 0.2
        states = await poller.sweep_once("full")
    none, silent, lying = states["EM-none"], states["EM-silent"], states["EM-lying"]
    assert none.status is Status.COVERED and none.camera_events is not None
    assert none.camera_events.error == "protocol_error/not_supported"
    assert silent.status is Status.COVERED and silent.camera_events is not None
    assert silent.camera_events.faults == () and silent.camera_events.agreement is Agreement.CAMFLEET_ONLY
    assert lying.camera_events is not None and Status.COVERED in lying.camera_events.faults
    assert lying.camera_events.agreement is Agreement.CAMERA_ONLY and lying.status is not Status.OK, lying


def fleet_specs(fleet: SimulatedFleet) -> list[SimCameraSpec]:
    """The specs a fleet serves, in its order."""
    return [cam.spec for cam in fleet.cameras.values()]


def test_only_a_dark_cover_claims_too_dark() -> None:
    """A truthful camera under dark cloth claims tamper and too dark; under grey cloth or a bag only tamper (its
    picture is not dark); a lying one claims tamper while healthy and nothing once covered; a silent one nothing."""
    from camfleet.simulator.events import TOPICS

    fleet = _fleet(["A", "B", "C", "L", "S"])
    for cid, material in (("A", "dark_cloth"), ("B", "grey_cloth"), ("C", "translucent")):
        fleet.add_fault(Fault("covered", cameras=(cid,), material=material))
    fleet.cameras["L"].events, fleet.cameras["S"].events = "lying", "silent"

    def claims(cid: str) -> set[str]:
        kinds = fleet.cameras[cid].claimed_kinds() or frozenset()
        return {topic.split("/")[1] for topic, (_i, triggers, _x) in TOPICS.items() if kinds & triggers}

    assert claims("A") == {"TamperDetector", "ImageTooDark"}
    assert claims("B") == claims("C") == {"TamperDetector"}
    assert claims("L") == {"TamperDetector"} and claims("S") == set()
    fleet.add_fault(Fault("covered", cameras=("L", "S")))
    assert claims("L") == claims("S") == set()
