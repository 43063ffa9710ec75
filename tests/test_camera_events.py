"""Camera-side tamper events against the simulator over real sockets: claims, agreement, subscriptions, limits."""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import time

import pytest
from frames_helpers import at_noon, config, credentials, specs, until
from poller_helpers import PASSWORD, running, target
from system_helpers import missing

from camfleet.metrics.render import render_snapshot
from camfleet.metrics.snapshot import MetricsSnapshot
from camfleet.model import Agreement, BaselineState, CameraState, Status
from camfleet.runtime.camera_json import camera_json
from camfleet.runtime.poller import Poller
from camfleet.runtime.sink import MemorySink
from camfleet.simulator import Fault, SimulatedFleet

NET = 40  # 127.50.40.x … 127.50.45.x


def _poller(fleet_specs: list, **sections: dict) -> Poller:
    poller = Poller(config(**sections), [target(s) for s in fleet_specs], credentials(), MemorySink())
    assert poller.events is not None
    if poller.frames is not None:
        poller.frames.learn_spacing_s = 0.2  # the simulator never repeats a snapshot
    return poller


def _render(poller: Poller) -> str:
    snap = MetricsSnapshot(
        targets=dict(poller.fleet.targets),
        states=dict(poller.fleet.states),
        points=[],
        cameras=[],
        taken_at=time.time(),
    )
    return render_snapshot(snap).decode()


def _promtool(text: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        missing("promtool is not installed (Debian package prometheus)")
    done = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(180)
async def test_camera_and_camfleet_agree_and_metrics_show_it() -> None:
    """A learned camera is then covered: camfleet confirms `covered`, the camera's tamper and too-dark topics say so
    too → `agree`; a healthy camera with silent events also agrees. The metrics carry the agreement on the one
    status series (no new per-camera series), fleet totals by outcome, and pass `promtool check metrics`; the JSON
    shows the claim."""
    fleet_specs = specs(NET, ["EV-cov", "EV-ok"])
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    async with running(fleet):
        poller = _poller(fleet_specs)
        first = await poller.sweep_once("full")
        assert {cid: s.status for cid, s in first.items()} == {"EV-cov": Status.OK, "EV-ok": Status.OK}
        fleet.add_fault(Fault("covered", cameras=("EV-cov",), material="dark_cloth"))
        states = await poller.sweep_once("full")
    cov, ok = states["EV-cov"], states["EV-ok"]
    assert cov.status is Status.COVERED and cov.camera_events is not None
    assert cov.camera_events.faults == (Status.COVERED, Status.TOO_DARK)
    assert cov.camera_events.agreement is Agreement.AGREE
    assert (
        ok.camera_events is not None and ok.camera_events.faults == () and ok.camera_events.agreement is Agreement.AGREE
    )
    doc = camera_json(poller.fleet.targets["EV-cov"], cov)
    assert doc["camera_events"]["claim"] == ["covered", "too_dark"] and doc["camera_events"]["agreement"] == "agree"
    text = _render(poller)
    assert 'camfleet_camera_status{camera="EV-cov",status="covered",reason="",agreement="agree"} 1' in text
    assert 'camfleet_events_agreement_cameras{agreement="agree"} 2' in text
    assert 'camfleet_events_agreement_cameras{agreement="camera_only"} 0' in text
    assert sum(1 for line in text.splitlines() if line.startswith("camfleet_") and 'camera="EV-cov"' in line) <= 9
    _promtool(text)


@pytest.mark.timeout(180)
async def test_camera_covered_before_camfleet_saw_it(caplog: pytest.LogCaptureFixture) -> None:
    """A camera covered before camfleet ever saw it: camfleet has no baseline, but the day-one rules name the
    covered lens from the first sweep (before them it learned the cover as the scene and the claim read
    `camera_only`); the camera's tamper detector reports it too → `agree`; nothing is learned (its baseline is
    doubtful); one logfmt line (camera first) says the claim changed (read before the pictures are judged)."""
    fleet_specs = specs(NET + 1, ["EV-new"])
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    fleet.add_fault(Fault("covered", cameras=("EV-new",), material="dark_cloth"))  # the seed could draw a bag
    caplog.set_level(logging.INFO, logger="camfleet.runtime.camera_events")
    async with running(fleet):
        poller = _poller(fleet_specs)
        states = await poller.sweep_once("full")
    state = states["EV-new"]
    assert state.status is Status.COVERED and state.baseline is BaselineState.DOUBTFUL, state
    assert state.camera_events is not None and Status.COVERED in state.camera_events.faults
    assert state.camera_events.agreement is Agreement.AGREE
    assert poller.frames is not None and not poller.frames.memory("EV-new").baseline.modes
    lines = [r for r in caplog.records if r.getMessage() == "camera events claim changed"]
    assert len(lines) == 1 and lines[0].camera == "EV-new"  # type: ignore[attr-defined]
    assert PASSWORD not in repr(vars(lines[0]))


@pytest.mark.timeout(180)
async def test_camfleet_sees_a_fault_the_camera_does_not_report() -> None:
    """A frozen picture (identical frames) has no camera tamper topic: camfleet confirms `frozen`, the camera's
    events stay silent → `camfleet_only`."""
    fleet_specs = specs(NET + 2, ["EV-frozen"])
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    async with running(fleet):
        poller = _poller(fleet_specs)
        await poller.sweep_once("full")
        fleet.add_fault(Fault("frozen", cameras=("EV-frozen",)))
        await poller.sweep_once("full")  # the first frozen frame still differs from the last live one
        states = await poller.sweep_once("full")
    state = states["EV-frozen"]
    assert state.status is Status.FROZEN, (state.status, state.detail)
    assert state.camera_events is not None and state.camera_events.faults == ()
    assert state.camera_events.agreement is Agreement.CAMFLEET_ONLY


@pytest.mark.timeout(120)
async def test_scheduled_subscription_renewed_and_recreated() -> None:
    """In scheduled operation one subscription per camera is kept: it is renewed before it ends; when the camera
    forgets it (expired on its side, or a reboot clears it) the next pull meets InvalidSubscription and a new one is
    created at once; a tamper appearing meanwhile is read within a few pulls; the camera holds at most one."""
    fleet_specs = specs(NET + 3, ["EV-sub"])
    fleet = SimulatedFleet(fleet_specs)
    cam = fleet.cameras["EV-sub"]
    events = {"interval_s": 0.3, "subscription_s": 3.0, "renew_margin_s": 2.0, "pull_timeout_s": 0.2}
    async with running(fleet):
        poller = _poller(fleet_specs, events=events, vision={"enabled": False})
        await poller.start()
        try:
            assert poller.events is not None
            await until(lambda: "EV-sub" in poller.events.sessions and poller.events.sessions["EV-sub"].synced, "sub")
            session = poller.events.sessions["EV-sub"]
            sub_id, sub = next(iter(cam.subscriptions.items()))
            first_expiry = sub.expires
            await until(lambda: session.renewed >= 1, "a renewal", 10)
            assert session.created == 1 and list(cam.subscriptions) == [sub_id] and sub.expires > first_expiry
            for sub in cam.subscriptions.values():
                sub.expires = 0.0  # the camera's side expired it
            await until(lambda: session.created == 2, "re-creation after expiry", 10)
            cam.subscriptions.clear()  # what a reboot does
            fleet.add_fault(Fault("spray", cameras=("EV-sub",)))
            await until(lambda: session.created == 3, "re-creation after reboot", 10)
            state = poller.fleet.states["EV-sub"]
            await until(lambda: state.camera_events is not None and Status.COVERED in state.camera_events.faults,
                        "the tamper claim", 10)  # fmt: skip
            assert len([s for s in cam.subscriptions.values() if s.expires >= cam.clock()]) == 1
            assert poller.fleet.counters.probes[("events", "ok")] >= 3
            await until(lambda: poller.fleet.counters.probes[("liveness", "ok")] >= 2, "two liveness checks", 30)
        finally:
            await poller.stop()
    assert cam.subscriptions == {}  # stop() unsubscribed
    assert state.status is Status.OK  # frames off: no picture verdict, and events never set a status
    assert state.camera_events is not None and state.camera_events.agreement is Agreement.CAMERA_ONLY


async def test_pull_is_held_until_news_or_timeout() -> None:
    """The simulator holds a PullMessages with nothing to send for its Timeout (capped), and answers at once when a
    topic changes meanwhile, as a camera does."""
    from camfleet.onvif import events as tev
    from camfleet.onvif.client import OnvifClientFactory
    from camfleet.probe.context import ProbeContext
    from camfleet.probe.events import EventsSession, poll_events

    fleet_specs = specs(NET + 4, ["EV-hold"])
    fleet = SimulatedFleet(fleet_specs)
    cfg = config(events={"pull_timeout_s": 1.0})
    async with running(fleet), OnvifClientFactory(cfg.poller) as factory:
        ctx = ProbeContext(cfg.poller, factory, credentials())
        session = EventsSession()
        t = target(fleet_specs[0])
        assert (await poll_events(t, ctx, session, cfg.events)).status is Status.OK  # subscribe + initial state
        client = ctx.clients["EV-hold"]
        assert session.address is not None
        t0 = time.monotonic()
        reply = await tev.pull_messages(client, session.address, 1.0, 10)
        held = time.monotonic() - t0
        assert reply.messages == () and 0.9 <= held < 1.8, held
        t0 = time.monotonic()

        async def cover_soon() -> None:
            await asyncio.sleep(0.3)
            fleet.add_fault(Fault("covered", cameras=("EV-hold",)))

        _, reply = await asyncio.gather(cover_soon(), tev.pull_messages(client, session.address, 3.0, 10))
        early = time.monotonic() - t0
        assert 0.25 <= early < 1.5, early
        assert {m.topic for m in reply.messages} >= {"RuleEngine/TamperDetector/Tamper"}


def test_unknown_state_is_not_an_agreement() -> None:
    """A camera whose events are not read has no agreement label value and counts as `unknown` in the totals."""
    from camfleet.model import CameraTarget

    t = CameraTarget("X1", "127.0.0.1", 80, "u", "g")
    snap = MetricsSnapshot(targets={"X1": t}, states={"X1": CameraState("X1")}, points=[], cameras=[])
    text = render_snapshot(snap).decode()
    assert 'camfleet_camera_status{camera="X1",status="unknown",reason="",agreement=""} 1' in text
    assert 'camfleet_events_agreement_cameras{agreement="unknown"} 1' in text
    assert camera_json(t, None)["camera_events"] is None
