"""RTSP in the simulator: cameras with streams answer GetStreamUri with a real H.264 RTSP URL on their own
address that FFmpeg (through OpenCV) opens; a camera without a snapshot service says so on the wire."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from frames_helpers import at_noon, config, credentials, import_specs
from frames_helpers import specs as frame_specs
from simulator_helpers import PASSWORD, USER, decode, envelope, post, running, snapshot, specs, wsse_header
from system_helpers import need

from camfleet.errors import FrameError
from camfleet.inventory.store import Store
from camfleet.model import Approval, Reason, Status
from camfleet.probe.frame import grab_rtsp_frame
from camfleet.runtime.diagnose import diagnose
from camfleet.runtime.poller import Poller
from camfleet.simulator import SimulatedFleet
from camfleet.simulator.rtsp import RTSP_PORT, available


@pytest.fixture(autouse=True)
def _gstreamer() -> None:
    """Skip (fail under CI) without GStreamer's RTSP server for /usr/bin/python3."""
    need(available(), "GStreamer RTSP server for /usr/bin/python3 not installed (see .ci/run)")


NET = 60


async def _media_call(base: str, body: str) -> tuple[int, str]:
    signed = wsse_header(USER, PASSWORD, dt.datetime.now(dt.UTC))
    status, reply = await post(f"{base}/onvif/media_service", envelope(body, signed))
    return status, reply.decode()


@pytest.mark.timeout(180)
async def test_stream_uri_serves_h264_and_snapshotless_camera_refuses_snapshots() -> None:
    """Camera 0 streams and has snapshots; camera 1 streams only: its GetSnapshotUri is ActionNotSupported and
    its snapshot URL 404, while its RTSP URL (on its own address) gives a decodable 640×360 frame to the
    camera's user, and nothing without credentials or with a wrong password (Digest auth on the stream):
    those are told apart as refused credentials (reason ``password``), not a stream that failed."""
    cams = specs(2, NET)
    for spec in cams:
        spec.rtsp = True
    cams[1].snapshot = False
    fleet = SimulatedFleet(cams)
    async with running(fleet):
        both = fleet.cameras[cams[0].camera_id].base_url, fleet.cameras[cams[1].camera_id].base_url
        status, reply = await _media_call(
            both[1], "<trt:GetStreamUri><trt:ProfileToken>Profile_2</trt:ProfileToken></trt:GetStreamUri>"
        )
        assert status == 200, reply
        uri = re.search(r"<tt:Uri>([^<]+)</tt:Uri>", reply)
        assert uri is not None and uri.group(1) == f"rtsp://{cams[1].host}:{RTSP_PORT}/Profile_2"
        status, reply = await _media_call(
            both[1], "<trt:GetSnapshotUri><trt:ProfileToken>Profile_2</trt:ProfileToken></trt:GetSnapshotUri>"
        )
        assert status == 500 and "ter:ActionNotSupported" in reply
        assert (await snapshot(both[1]))[0] == 404
        assert (await snapshot(both[0]))[0] == 200
        for user, password in (("", ""), (USER, "wrong-password")):
            with pytest.raises(FrameError, match="refused the credentials") as refused:
                grab_rtsp_frame(uri.group(1), timeout_s=10.0, username=user, password=password)
            assert refused.value.reason == Reason.PASSWORD and "wrong-password" not in str(refused.value)
        frame = decode(grab_rtsp_frame(uri.group(1), timeout_s=30.0, username=USER, password=PASSWORD))
        assert frame.shape[:2] == (360, 640)
        assert frame.std() > 20  # colour bars, not a blank picture


@pytest.mark.timeout(240)
async def test_poller_judges_a_snapshotless_camera_from_its_authenticated_stream(
    tmp_path: Path, sqlite_url: str
) -> None:
    """A full sweep over a camera that only streams (no snapshot service, Digest-protected RTSP) takes its
    picture from the stream with the camera's credentials: baselines are learned from it and the camera is ok,
    like its neighbour that has snapshots. `camfleet check` takes the same path: its last step is the stream
    keyframe, judged against the learned baseline. (The test stream is colour bars, whose flat bands the
    no-baseline rules read as paint: a person approved it first, so what it shows is learned.)"""
    fleet_specs = frame_specs(NET + 1, ["R-snap", "R-stream"])
    for spec in fleet_specs:
        spec.rtsp = True
    fleet_specs[1].snapshot = False
    import_specs(sqlite_url, tmp_path, fleet_specs)
    fleet = SimulatedFleet(fleet_specs)
    at_noon(fleet)
    async with running(fleet), asyncio.timeout(200):
        with Store(sqlite_url) as store:
            store.add_approvals([Approval("R-stream", time.time(), "test", "colour bars, as the test stream is")])
            poller = Poller(config(poller={"frame_timeout_s": 30.0}), store.load_targets(), credentials(), store)
            assert poller.frames is not None
            poller.frames.learn_spacing_s = 0.2
            states = await poller.sweep_once("full")
            stored = store.load_baselines()
            target = next(t for t in store.load_targets() if t.camera_id == "R-stream")
            checked = await diagnose(target, config(poller={"frame_timeout_s": 30.0}), credentials(),
                                     poller.frames.memory("R-stream").baseline)  # fmt: skip
    for cid in ("R-snap", "R-stream"):
        assert states[cid].status is Status.OK, (cid, states[cid].status, states[cid].detail)
        assert states[cid].last_frame_at > 0 and stored[cid]["day"].samples >= 5, (cid, stored.get(cid))
    steps = {step.name: step for step in checked.steps}
    assert steps["stream uri"].ok and "Profile_" in steps["stream uri"].detail and PASSWORD not in repr(checked)
    assert steps["stream keyframe"].ok and "JPEG 640x360" in steps["stream keyframe"].detail, steps
    assert checked.picture is Status.OK and checked.status is Status.OK, checked


def _listening(host: str, port: int) -> bool:
    """Whether something still holds ``host:port`` (a bind there fails)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def test_the_rtsp_child_leaves_when_its_parent_dies_without_stopping_it() -> None:
    """A simulator killed outright (SIGKILL; or a terminal's Ctrl-C reaching it before it stops its children) does
    not leave its RTSP child, which runs in its own session, holding the cameras' addresses: the child notices it
    was orphaned and leaves within seconds, and the address can be listened on again. On the code before, the
    child served on for ever and the next `camfleet demo` died with "could not listen on 127.10.x.y:8554"."""
    host = "127.50.96.1"
    code = (
        "import time\n"
        "from camfleet.simulator.rtsp import RtspServers\n"
        "s = RtspServers()\n"
        f"s.start([{{'host': '{host}', 'port': {RTSP_PORT}, 'username': 'u', 'password': 'p',\n"
        "          'mounts': [{'token': 't', 'width': 64, 'height': 48}]}])\n"
        "print(s.proc.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    try:
        assert _listening(host, RTSP_PORT)
        os.killpg(parent.pid, signal.SIGKILL)  # the parent's group: the child has a session of its own
        parent.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _listening(host, RTSP_PORT):
            time.sleep(0.2)
        assert not _listening(host, RTSP_PORT), f"the orphaned RTSP child {child} still holds {host}:{RTSP_PORT}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child, signal.SIGKILL)
