"""NVR channels in the poller: a recorder is asked once per interval, not once per channel; a dead recorder is one
fault (every channel offline/nvr), told apart from a dead uplink; a channel's black picture is video loss; a
channel is mapped to its recorder's video source as recorders number them."""

from __future__ import annotations

import dataclasses

import pytest
from poller_helpers import credentials, fast_config, running, spec, target

from camfleet.config.poller import PollerConfig
from camfleet.model import CameraState, CameraTarget, CheckKind, MediaProfile, ProbeResult, Reason, Status
from camfleet.probe.discovery import channel_profiles
from camfleet.runtime.frames import video_loss
from camfleet.runtime.health import HealthMachine
from camfleet.runtime.poller import Poller
from camfleet.simulator import Fault, SimulatedFleet

NET = 233
CFG = PollerConfig(fail_threshold=3, recover_threshold=2)


def _channels(device: CameraTarget, count: int, prefix: str) -> list[CameraTarget]:
    """``count`` channels of the recorder at ``device``'s address."""
    return [dataclasses.replace(device, camera_id=f"{prefix}-{n}", channel=n) for n in range(1, count + 1)]


def _res(cid: str, status: Status, reason: Reason = Reason.NONE, kind: CheckKind = CheckKind.LIVENESS) -> ProbeResult:
    return ProbeResult(cid, kind, status, reason)


def _feed(h: HealthMachine, results: list[ProbeResult], times: int = 3) -> None:
    for i in range(times):
        for r in results:
            h.observe(r, 1000.0 + i)


def test_a_lone_dead_recorder_is_the_recorder_not_the_uplink() -> None:
    """A village whose only device is one NVR: its four channels offline/nvr stay offline/nvr (one device is not
    enough to blame the uplink); with a standalone camera on the same uplink also offline, the uplink is blamed."""
    h = HealthMachine(CFG)
    for n in range(1, 5):
        h.add_camera(f"N-{n}", "u1", recorder="127.0.0.9:80")
    _feed(h, [_res(f"N-{n}", Status.OFFLINE, Reason.NVR) for n in range(1, 5)])
    assert {(s.status, s.reason) for s in h.states.values()} == {(Status.OFFLINE, Reason.NVR)}
    h.add_camera("C1", "u1")
    _feed(h, [_res("C1", Status.OFFLINE, Reason.TIMEOUT)])
    assert {(s.status, s.reason) for s in h.states.values()} == {(Status.UPLINK_DOWN, Reason.UPLINK)}


def test_video_loss_is_an_answer_and_a_confirmed_fault_of_its_own() -> None:
    """A channel's picture check saying video_loss is confirmed after K verdicts like any fault and shows
    offline/video_loss while liveness (the recorder) is ok; it never counts towards the uplink rule, and a
    restart from the stored state re-announces nothing."""
    h = HealthMachine(CFG)
    h.add_camera("N-1", "u1", recorder="127.0.0.9:80")
    h.add_camera("C1", "u1")
    _feed(h, [_res("N-1", Status.OK), _res("N-1", Status.OK, kind=CheckKind.FRAME), _res("C1", Status.OK)], times=1)
    loss = _res("N-1", Status.OFFLINE, Reason.VIDEO_LOSS, CheckKind.FRAME)
    _feed(h, [loss], times=2)
    assert h.states["N-1"].status is Status.OK
    _feed(h, [loss], times=1)
    assert (h.states["N-1"].status, h.states["N-1"].reason) == (Status.OFFLINE, Reason.VIDEO_LOSS)
    _feed(h, [_res("C1", Status.OFFLINE, Reason.TIMEOUT)])
    assert h.states["C1"].status is Status.OFFLINE and not h.uplink_down
    again = HealthMachine(CFG)
    again.add_camera("N-1", "u1", CameraState("N-1", Status.OFFLINE, Reason.VIDEO_LOSS), recorder="127.0.0.9:80")
    assert again.observe(_res("N-1", Status.OK), 2000.0) == []
    assert again.observe(loss, 2001.0) == []


def test_a_black_channel_picture_reads_video_loss_and_a_black_camera_stays_black() -> None:
    """Only a recorder's channel turns a black verdict into offline/video_loss; other verdicts and standalone
    cameras keep theirs."""
    cam = CameraTarget("C1", "127.0.0.1", 80, "u", "g")
    ch = dataclasses.replace(cam, camera_id="N-3", channel=3)
    black = ProbeResult("N-3", CheckKind.FRAME, Status.BLACK, detail="mean luma 1.2")
    got = video_loss(ch, black)
    assert (got.status, got.reason) == (Status.OFFLINE, Reason.VIDEO_LOSS) and "channel 3" in got.detail
    assert video_loss(cam, dataclasses.replace(black, camera_id="C1")).status is Status.BLACK
    covered = dataclasses.replace(black, status=Status.COVERED)
    assert video_loss(ch, covered) is covered


def _profiles(*sources: str) -> tuple[MediaProfile, ...]:
    return tuple(MediaProfile(f"P{i}", "", 704, 576, source=s) for i, s in enumerate(sources))


@pytest.mark.parametrize(
    ("sources", "channel", "expected"),
    [
        (("VideoSource_1", "VideoSource_2", "VideoSource_16"), 16, "VideoSource_16"),  # numbered, with gaps
        (("VideoSource_1", "VideoSource_2", "VideoSource_16"), 3, None),  # no such channel
        (("00000", "00001", "00002"), 1, "00000"),  # counted from 0: position
        (("00000", "00001", "00002"), 3, "00002"),
        (("front", "yard"), 2, "yard"),  # names: position
        (("front", "yard"), 3, None),
    ],
)
def test_a_channel_is_its_recorders_video_source(sources: tuple[str, ...], channel: int, expected: str | None) -> None:
    """1-based numbered source tokens are matched by number (gaps and all); 0-based or named ones by the order
    the recorder lists them; a channel the recorder does not have matches nothing."""
    shown = channel_profiles(_profiles(*sources, *sources), channel)  # two profiles per source, main and sub
    assert {p.source for p in shown} == ({expected} if expected else set())
    assert len(shown) == (2 if expected else 0)


@pytest.mark.timeout(120)
async def test_a_recorder_is_asked_once_per_sweep_and_a_dead_one_is_one_fault() -> None:
    """Against a simulated ONVIF device standing in for a village NVR (eight channels) beside a standalone
    camera: a liveness sweep asks the recorder once for all eight channels, and each confirming re-check asks it
    anew (never one answer counted twice). When the recorder stops answering every channel reads offline/nvr
    with the recorder named and the camera stays ok; when the standalone camera is down too, the uplink is."""
    nvr, cam = spec("NVR-1", NET, 1, "河湾村"), spec("C233", NET, 2, "河湾村")
    channels = _channels(target(nvr), 8, "N233")
    poller = Poller(fast_config(), [*channels, target(cam)], credentials(), None)
    async with running(SimulatedFleet([nvr, cam])) as fleet, poller.opened():
        first = await poller.sweep_once("liveness")
        assert {cid: s.status for cid, s in first.items()} == {t.camera_id: Status.OK for t in [*channels, cam]}
        assert poller.ctx.recorders.calls == 1
        fleet.add_fault(Fault("offline", cameras=("NVR-1",)))
        down = {cid: (s.status, s.reason, s.detail) for cid, s in (await poller.sweep_once("liveness")).items()}
        calls = poller.ctx.recorders.calls
        fleet.add_fault(Fault("offline", cameras=("C233",)))
        both = await poller.sweep_once("liveness")
    k = poller.cfg.poller.fail_threshold
    assert 1 + k <= calls <= 2 + k  # the first sweep, then K confirming asks (one more if a re-check raced)
    assert {down[t.camera_id][:2] for t in channels} == {(Status.OFFLINE, Reason.NVR)}
    assert f"recorder {nvr.host}:{nvr.port} does not answer" in down["N233-1"][2]
    assert down["C233"][0] is Status.OK
    assert {s.status for s in both.values()} == {Status.UPLINK_DOWN}


@pytest.mark.timeout(120)
async def test_check_walks_recorder_then_channel_and_names_a_dead_recorder() -> None:
    """``camfleet check`` on a channel (a simulated device standing in for a one-channel recorder) runs the
    recorder's steps, then the channel's profiles and its picture; a channel the recorder lacks fails at its
    profiles step; a recorder that does not answer reads offline/nvr with a hint about the recorder."""
    from camfleet.runtime.diagnose import diagnose

    nvr = spec("NVR-2", NET, 3, "河湾村")
    cfg = fast_config()
    one, missing = _channels(target(nvr), 2, "N233b")
    async with running(SimulatedFleet([nvr])) as fleet:
        ok = await diagnose(one, cfg, credentials())
        lacking = await diagnose(missing, cfg, credentials())
        fleet.add_fault(Fault("offline", cameras=("NVR-2",)))
        dead = await diagnose(one, cfg, credentials())
    names = [s.name for s in ok.steps]
    assert names[:4] == ["recorder tcp connect", "recorder clock", "recorder auth + identity", "channel 1 profiles"]
    assert all(s.ok for s in ok.steps) and ok.picture is not None
    assert (lacking.steps[-1].name, lacking.steps[-1].ok) == ("channel 2 profiles", False)
    assert "no video source for channel 2" in lacking.steps[-1].detail
    assert (dead.status, dead.reason) == (Status.OFFLINE, Reason.NVR)
    assert "recorder" in dead.hint and dead.steps[-1].name.startswith("recorder ")


@pytest.mark.timeout(120)
async def test_pictures_through_one_recorder_respect_its_limit() -> None:
    """A full sweep of six channels of one recorder never has more than ``per_recorder_pictures`` (2) pictures in
    flight through it, and reaches that limit (the limit is 2, not 1); the frame probe here only counts and waits,
    standing in for a slow snapshot (the stand-in recorder has one video source, so the other channels' discovery
    fails: the picture limit is what is measured here). Pictures waiting for the recorder wait before taking an
    uplink slot, so the village's other cameras are not held up behind them."""
    import asyncio

    nvr = spec("NVR-3", NET, 4, "河湾村")
    channels = _channels(target(nvr), 6, "N233c")
    in_flight: list[int] = [0, 0]  # now, most
    called: list[str] = []

    uplink_full: list[bool] = []

    async def slow_frame(t: CameraTarget, ctx: object) -> ProbeResult:
        called.append(t.camera_id)
        uplink_full.append(poller.runner.uplink_limits[t.uplink].locked())
        in_flight[0] += 1
        in_flight[1] = max(in_flight)
        await asyncio.sleep(0.3)
        in_flight[0] -= 1
        return ProbeResult(t.camera_id, CheckKind.FRAME, Status.OK)

    cfg = fast_config(per_recorder_pictures=2)
    poller = Poller(cfg, channels, credentials(), None, frame_probe=slow_frame)
    async with running(SimulatedFleet([nvr])):
        await poller.sweep_once("full")
    assert sorted(set(called)) == sorted(t.camera_id for t in channels)
    assert in_flight[1] == 2
    assert not any(uplink_full)  # pictures waiting for the recorder hold none of the village's 4 uplink slots
