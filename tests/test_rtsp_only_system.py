"""RTSP-only cameras against the simulator's real GStreamer RTSP server (Digest-protected H.264): OPTIONS,
DESCRIBE with the right and a wrong password, a keyframe judged through the poller's own frame path, a full
sweep, and `camfleet check`, all without ONVIF."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from frames_helpers import config
from inventory_helpers import write_csv
from poller_helpers import camfleet_cli
from system_helpers import need

from camfleet.config import Credential, CredentialStore
from camfleet.errors import FrameError
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.validate import validate_file
from camfleet.model import Access, CameraTarget, CheckKind, Reason, Status
from camfleet.onvif.client import OnvifClientFactory
from camfleet.probe.context import ProbeContext
from camfleet.probe.frame import grab_rtsp_frame
from camfleet.probe.identity import probe_identity
from camfleet.probe.liveness import probe_liveness
from camfleet.runtime.diagnose import diagnose
from camfleet.runtime.frames import FrameChecks
from camfleet.runtime.poller import Poller
from camfleet.runtime.sink import MemorySink
from camfleet.simulator.rtsp import RTSP_PORT, RtspServers, available

HOST = "127.50.98.1"  # this file's own address: the simulator tests use 127.20.x and 127.50.9[0-6]
USER, PASSWORD, GROUP = "viewer", "Gst-流-Pw3!", "rtsp-only"
TOKEN = "Profile_1"


@pytest.fixture(scope="module")
def server() -> Iterator[None]:
    """One GStreamer RTSP camera (640×360 H.264, Digest) at HOST:RTSP_PORT/Profile_1 for the whole module."""
    need(available(), "GStreamer RTSP server for /usr/bin/python3 not installed (see .ci/run)")
    servers = RtspServers()
    mount = {"token": TOKEN, "width": 640, "height": 360}
    servers.start([{"host": HOST, "port": RTSP_PORT, "username": USER, "password": PASSWORD, "mounts": [mount]}])
    try:
        yield
    finally:
        servers.stop()


def _target() -> CameraTarget:
    return CameraTarget("RO-1", HOST, RTSP_PORT, "up-ro", GROUP, access=Access.RTSP, rtsp_path=f"/{TOKEN}")


def _credentials(password: str = PASSWORD) -> CredentialStore:
    return CredentialStore(groups={GROUP: Credential(GROUP, USER, password)})


@pytest.mark.timeout(120)
async def test_options_and_describe_against_gstreamer(server: None, caplog: pytest.LogCaptureFixture) -> None:
    """OPTIONS answers (ok, no clock offset); DESCRIBE with the right password is ok and names the stream from its
    SDP: H.264, 640x360 read from the SPS (GStreamer gives no framesize); a wrong password is auth_failed/password,
    and no password shows in the results or the logs."""
    caplog.set_level(logging.DEBUG)
    cfg = config(poller={"call_timeout_s": 5.0})
    factory = OnvifClientFactory(cfg.poller)  # never started: RTSP-only probes use no ONVIF machinery
    ctx = ProbeContext(cfg.poller, factory, _credentials())
    live = await probe_liveness(_target(), ctx)
    ident = await probe_identity(_target(), ctx)
    wrong = await probe_identity(_target(), ProbeContext(cfg.poller, factory, _credentials("not-it-7")))
    assert (live.status, live.clock_offset_s) == (Status.OK, None), live
    assert ident.status is Status.OK and ident.identity is not None, ident
    assert ident.identity.model == "RTSP H264 640x360"
    assert (wrong.status, wrong.reason) == (Status.AUTH_FAILED, Reason.PASSWORD), wrong
    for text in (repr(live), repr(ident), repr(wrong), caplog.text):
        assert PASSWORD not in text and "not-it-7" not in text


@pytest.mark.timeout(180)
async def test_one_keyframe_through_the_pollers_frame_path(server: None) -> None:
    """The poller's frame check on an RTSP-only camera discovers its stream (DESCRIBE), takes one keyframe with
    FFmpeg in a picture worker and judges it: a 640x360 picture; with a wrong password the same path says
    auth_failed/password (from discovery's DESCRIBE, before FFmpeg), and so does the worker's own grab, which
    asks the camera with rtsp_auth's DESCRIBE when FFmpeg cannot open the stream (the shared Digest answer)."""
    cfg = config(poller={"frame_timeout_s": 30.0, "call_timeout_s": 5.0})
    frames = FrameChecks(cfg)
    try:
        async with OnvifClientFactory(cfg.poller) as factory:
            ctx = ProbeContext(cfg.poller, factory, _credentials())
            result = await frames.probe(_target(), ctx)
            refused = await frames.probe(_target(), ProbeContext(cfg.poller, factory, _credentials("nope-4")))
            chosen = ctx.media["RO-1"].chosen
    finally:
        await frames.close()
    assert result.kind is CheckKind.FRAME and result.frame is not None, result
    assert (result.frame.width, result.frame.height) == (640, 360)
    assert (
        chosen is not None and chosen.snapshot_uri == "" and chosen.stream_uri == f"rtsp://{HOST}:{RTSP_PORT}/{TOKEN}"
    )
    assert (refused.status, refused.reason) == (Status.AUTH_FAILED, Reason.PASSWORD), refused
    with pytest.raises(FrameError, match="refused the credentials") as grabbed:
        await asyncio.to_thread(grab_rtsp_frame, chosen.stream_uri, 10.0, USER, "nope-4")
    assert grabbed.value.reason == Reason.PASSWORD and "nope-4" not in str(grabbed.value)


@pytest.mark.timeout(240)
async def test_full_sweep_and_check_of_an_rtsp_only_camera(server: None, caplog: pytest.LogCaptureFixture) -> None:
    """A full sweep (camera events on, as by default) checks the RTSP-only camera by OPTIONS, DESCRIBE and its
    stream: it is reachable and authenticated, its picture was fetched and judged, its identity is its stream, and
    no events round was counted or logged for it. `camfleet check` then walks OPTIONS → DESCRIBE → stream URI →
    stream keyframe, each step ok, the keyframe 640x360."""
    cfg = config(poller={"frame_timeout_s": 30.0, "call_timeout_s": 5.0})
    poller = Poller(cfg, [_target()], _credentials(), MemorySink())
    assert poller.frames is not None and poller.events is not None
    poller.frames.learn_spacing_s = 0.2
    caplog.set_level(logging.DEBUG, logger="camfleet.runtime.camera_events")
    states = await asyncio.wait_for(poller.sweep_once("full"), 200)
    state = states["RO-1"]
    assert state.status not in (Status.OFFLINE, Status.AUTH_FAILED, Status.PROTOCOL_ERROR), state
    assert state.last_frame_at > 0 and state.identity is not None and state.identity.model == "RTSP H264 640x360"
    assert state.camera_events is None and "events" not in {k for k, _ in poller.fleet.counters.probes}
    assert caplog.text == ""
    checked = await diagnose(_target(), cfg, _credentials())
    steps = [(s.name, s.ok) for s in checked.steps]
    assert steps == [(n, True) for n in ("rtsp options", "rtsp describe", "stream uri", "stream keyframe")], checked
    assert "JPEG 640x360" in checked.steps[-1].detail and PASSWORD not in repr(checked)


@pytest.mark.timeout(180)
async def test_cli_checks_an_rtsp_only_row_of_the_inventory(server: None, tmp_path: Path, sqlite_url: str) -> None:
    """From an imported inventory row (access rtsp, rtsp_path /Profile_1, port 8554) to the commands a person runs:
    `camfleet sweep --once --json` authenticates it by DESCRIBE and shows its stream as its model, with no clock
    offset and no camera events; `camfleet check RO-1 --json` walks the RTSP steps and exits 0; the password is
    in no output."""
    row = {"town": "东山镇", "village": "老网村", "point_id": "P-RO-1", "point_name": "村口", "program": "农村小天网",
           "point_status": "accepted", "camera_id": "RO-1", "host": HOST, "port": str(RTSP_PORT),
           "credential": GROUP, "uplink": "up-ro", "access": "rtsp", "rtsp_path": f"/{TOKEN}"}  # fmt: skip
    import_inventory(sqlite_url, validate_file(write_csv(tmp_path / "inv.csv", [row])))
    creds = tmp_path / "cred.toml"
    creds.write_text(f'[groups.{GROUP}]\nusername = "{USER}"\npassword = "{PASSWORD}"\n', encoding="utf-8")
    creds.chmod(0o600)
    (tmp_path / "camfleet.toml").write_text("[poller]\ncall_timeout_s = 5.0\nframe_timeout_s = 30.0\n", "utf-8")
    env = {"CAMFLEET_DATABASE_URL": sqlite_url, "CAMFLEET_CREDENTIALS_FILE": str(creds),
           "CAMFLEET_CONFIG": str(tmp_path / "camfleet.toml")}  # fmt: skip
    code, out, err = await camfleet_cli("sweep", "--once", "--json", env=env)
    assert code == 0, err
    (camera,) = json.loads(out)["cameras"]
    assert (camera["status"], camera["model"], camera["vendor"]) == ("ok", "RTSP H264 640x360", ""), camera
    assert camera["clock_offset_s"] is None and camera["camera_events"] is None
    code, out, err = await camfleet_cli("check", "RO-1", "--json", env=env)
    assert code == 0, (out, err)
    doc = json.loads(out)
    assert [s["step"] for s in doc["steps"]] == ["rtsp options", "rtsp describe", "stream uri", "stream keyframe"]
    assert doc["status"] == "ok" and doc["camera_events"] is None
    for text in (out, err):
        assert PASSWORD not in text
