"""The virtual NVR: one ONVIF device per recorder address, as an unmodified ONVIF client sees it (video sources in
channel order, a profile and a snapshot per channel), each channel drawing its own picture and faults, and the
recorder's own faults: ``nvr_down`` (nothing answers for any channel), ``video_loss`` (one channel black)."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from onvif import ONVIFCamera
from simulator_helpers import GET_TIME_BODY, PASSWORD, USER, clock_fault, decode, device_info, post, running, snapshot

from camfleet.errors import ConfigError
from camfleet.simulator import Fault, SimCameraSpec, SimulatedFleet
from camfleet.simulator.district import generate_district, write_district
from camfleet.simulator.nvr import recorder_id
from camfleet.simulator.scenario import load_scenario

pytestmark = pytest.mark.timeout(120)
NVR_MODELS = {"DS-7816N-K2", "DS-7608N-K2", "DS-7104N-F1", "NVR4216-4KS2", "NVR4108HS-4KS2", "NVR301-08S", "NVR302-16S"}


def _fleet(net: int, channels: tuple[int, ...] = (1, 2, 16)) -> tuple[SimulatedFleet, str, str]:
    """A recorder on 127.22.``net``.1 with ``channels`` (cameras N``net``-<channel>) and a standalone camera of the
    same village on .2; returns the fleet and both base URLs."""
    nvr, cam = f"127.22.{net}.1", f"127.22.{net}.2"
    specs = [
        SimCameraSpec(f"N{net}-{c}", nvr, 8080, USER, PASSWORD, town="东山镇", village="溪口村", channel=c)
        for c in channels
    ]
    specs.append(SimCameraSpec(f"S{net}", cam, 8080, USER, PASSWORD, town="东山镇", village="溪口村"))
    return SimulatedFleet(specs), f"http://{nvr}:8080", f"http://{cam}:8080"


def _refused(host: str) -> bool:
    """Whether a TCP connect to host:8080 is refused (a recorder that is off)."""
    with socket.socket() as s:
        s.settimeout(2)
        try:
            s.connect((host, 8080))
        except ConnectionRefusedError:
            return True
    return False


async def _until(predicate: object, limit: float = 15.0) -> None:
    """Wait (bounded) until ``predicate()`` is true."""
    deadline = time.monotonic() + limit
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_an_unmodified_onvif_client_sees_a_recorder_with_its_channels_in_order() -> None:
    """onvif-zeep-async's ONVIFCamera (clock from the unauthenticated GetSystemDateAndTime, then WS-Security) reads
    a recorder model, one video source per channel in channel order with the channel in its token (sparse: 1, 2,
    16), per channel a main and a sub profile bound to that source, and snapshot URIs whose pictures are that
    channel's: channel 2's picture differs from channel 1's far more than channel 1's differs from itself."""
    fleet, base, _ = _fleet(1)
    fleet.add_fault(clock_fault("N1-1", 12))  # the recorder's clock (one per box) at local noon: daylight scenes
    async with running(fleet):
        assert (await post(f"{base}/onvif/device_service", GET_TIME_BODY))[0] == 200  # no credentials needed
        onvif = ONVIFCamera("127.22.1.1", 8080, USER, PASSWORD, adjust_time=True)
        try:
            await onvif.update_xaddrs()
            info = await (await onvif.create_devicemgmt_service()).GetDeviceInformation()
            media = await onvif.create_media_service()
            sources = await media.GetVideoSources()
            profiles = await media.GetProfiles()
            uris = {p.token: (await media.GetSnapshotUri({"ProfileToken": p.token})).Uri for p in profiles}
        finally:
            await onvif.close()
        pictures = []
        for token in ("Profile_102", "Profile_102", "Profile_202"):
            status, jpeg = await snapshot(base, token)
            assert status == 200
            pictures.append(decode(jpeg).astype(np.int16))
    assert info.Model in NVR_MODELS
    assert [s.token for s in sources] == ["VideoSource_1", "VideoSource_2", "VideoSource_16"]
    bound = {p.token: (p.VideoSourceConfiguration.SourceToken, p.VideoEncoderConfiguration.Resolution.Width)
             for p in profiles}  # fmt: skip
    assert bound["Profile_201"] == ("VideoSource_2", 1920) and bound["Profile_1602"] == ("VideoSource_16", 640)
    assert len(profiles) == 6 and uris["Profile_202"] == f"{base}/onvif/snapshot?profile=Profile_202"
    assert pictures[0].shape == pictures[2].shape == (360, 640, 3)
    itself, other = np.abs(pictures[0] - pictures[1]).mean(), np.abs(pictures[0] - pictures[2]).mean()
    assert other > 3 * itself and other > 15, f"channel 2 shows channel 1's scene ({other:.1f} vs {itself:.1f})"


async def test_each_channel_carries_its_own_image_faults() -> None:
    """Faults selected by a channel's camera id change that channel's picture only: channel 1 black, channel 2
    frozen (the same bytes twice), channel 16 untouched (a live picture that changes between snapshots)."""
    fleet, base, _ = _fleet(2)
    fleet.add_fault(Fault("black", cameras=("N2-1",)))
    fleet.add_fault(Fault("frozen", cameras=("N2-2",)))
    async with running(fleet):
        black = decode((await snapshot(base, "Profile_102"))[1])
        frozen = [(await snapshot(base, "Profile_202"))[1] for _ in range(2)]
        live = [(await snapshot(base, "Profile_1602"))[1] for _ in range(2)]
    assert black.mean() < 10  # black, but for sensor noise and the OSD
    assert frozen[0] == frozen[1]
    assert live[0] != live[1] and decode(live[0]).mean() > 40


async def test_nvr_down_takes_every_channel_away_and_the_village_stays() -> None:
    """nvr_down selected by village closes the recorder's listener (connections refused, so no channel answers)
    while the village's standalone camera keeps answering: a dead recorder, not a dead uplink. Withdrawn, the
    recorder answers again; selected by host it goes down the same way."""
    fleet, base, camera = _fleet(3)
    rid = recorder_id("127.22.3.1", 8080)
    async with running(fleet):
        fleet.add_fault(Fault("nvr_down", village="溪口村"))
        await _until(lambda: not fleet.devices[rid].listening)
        assert await asyncio.to_thread(_refused, "127.22.3.1")
        assert all(not fleet.cameras[f"N3-{c}"].listening for c in (1, 2, 16))
        with pytest.raises(aiohttp.ClientConnectorError):
            await snapshot(base, "Profile_202")
        assert (await device_info(camera))[0] == 200
        fleet.clear_faults()
        await _until(lambda: fleet.devices[rid].listening)
        assert (await snapshot(base, "Profile_202"))[0] == 200
        fleet.add_fault(Fault("nvr_down", host="127.22.3.1"))
        await _until(lambda: not fleet.devices[rid].listening)
        assert await asyncio.to_thread(_refused, "127.22.3.1")
        assert (await device_info(camera))[0] == 200


def _times_out(host: str) -> bool:
    """Whether a TCP connect to host:8080 times out (SYNs dropped, as behind a cut fibre)."""
    with socket.socket() as s:
        s.settimeout(0.5)
        try:
            s.connect((host, 8080))
        except TimeoutError:
            return True
        except OSError:
            return False
    return False


async def test_uplink_down_cuts_the_recorder_off_with_its_village() -> None:
    """uplink_down by village: the recorder times out like the village's standalone camera (a dead uplink, every
    device behind it silent), which is what tells it from nvr_down (refused while the neighbours answer)."""
    fleet, _, _ = _fleet(6)
    fleet.add_fault(Fault("uplink_down", village="溪口村"))
    async with running(fleet):
        assert await asyncio.to_thread(_times_out, "127.22.6.1")
        assert await asyncio.to_thread(_times_out, "127.22.6.2")


async def test_video_loss_blacks_one_channel_while_the_recorder_answers() -> None:
    """video_loss on channel 2: its snapshot is the recorder's "no video" frame, a real JPEG of the same size with
    luma 0–3 and a little noise; channel 1 is unchanged and the recorder still answers. A channel whose camera is
    ``offline`` shows the same frame (the camera behind the recorder is gone; the recorder is not)."""
    fleet, base, _ = _fleet(4)
    fleet.add_fault(Fault("video_loss", cameras=("N4-2",)))
    fleet.add_fault(Fault("offline", cameras=("N4-16",)))
    async with running(fleet):
        lost = [decode((await snapshot(base, token))[1]) for token in ("Profile_202", "Profile_201", "Profile_1602")]
        fine = decode((await snapshot(base, "Profile_102"))[1])
        assert (await device_info(base))[0] == 200
    for picture, size in zip(lost, ((360, 640), (1080, 1920), (360, 640)), strict=True):
        luma = picture.mean(axis=2)
        assert picture.shape[:2] == size and luma.mean() <= 3 and luma.max() <= 12 and luma.std() > 0.2
    assert fine.mean() > 40


async def test_device_level_faults_through_a_channel_reach_the_whole_recorder() -> None:
    """``auth`` selected by the recorder's host (or any one channel) refuses the recorder's one login for every
    channel; the standalone camera next door keeps its own."""
    fleet, base, camera = _fleet(5)
    fleet.add_fault(Fault("auth", host="127.22.5.1"))
    async with running(fleet):
        assert (await device_info(base))[0] == 400
        assert (await snapshot(base, "Profile_1602"))[0] == 401
        assert (await device_info(camera))[0] == 200


def test_scenario_files_name_recorder_kinds_and_hosts(tmp_path: Path) -> None:
    """A scenario may ask for nvr_down by village or host and video_loss by camera ids; an unknown kind or
    selector is still refused naming the file and the key."""
    good = tmp_path / "s.toml"
    good.write_text(
        '[[fault]]\nkind = "nvr_down"\nvillage = "溪口村"\n\n[[fault]]\nkind = "nvr_down"\nhost = "127.22.3.1"\n\n'
        '[[fault]]\nkind = "video_loss"\ncameras = ["N4-2"]\n\n[[fault]]\nkind = "covered"\nhost = "127.22.3.2"\n',
        encoding="utf-8",
    )
    faults = load_scenario(good).faults
    assert [(f.kind, f.village, f.host, f.cameras) for f in faults] == [
        ("nvr_down", "溪口村", "", ()),
        ("nvr_down", "", "127.22.3.1", ()),
        ("video_loss", "", "", ("N4-2",)),
        ("covered", "", "127.22.3.2", ()),
    ]
    assert faults[1].to_json()["host"] == "127.22.3.1"
    bad = tmp_path / "bad.toml"
    bad.write_text('[[fault]]\nkind = "nvr_gone"\nhost = "127.22.3.1"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: fault\[0\]\.kind"):
        load_scenario(bad)
    bad.write_text('[[fault]]\nkind = "nvr_down"\nrecorder = "127.22.3.1"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: fault\[0\]: unknown key\(s\) for kind 'nvr_down': recorder"):
        load_scenario(bad)


async def test_a_generated_district_with_recorders_is_served_from_its_inventory(tmp_path: Path) -> None:
    """An inventory written by the district generator with NVR channels becomes one listening device per recorder
    (its channels keep their camera ids, reachable through its address) besides the standalone cameras; the control
    endpoint names a channel's recorder and channel, and a recorder's channels."""
    district = generate_district(towns=2, villages=4, points=8, cameras=8, legacy=60, seed=4, nvr_channels=24)
    for row in district.rows:  # addresses of this test's own, apart from other fleets on 127.10.x.y
        row["host"] = row["host"].replace("127.10.", "127.23.", 1)
    path, _ = write_district(district, tmp_path / "d.csv")
    fleet = SimulatedFleet.from_inventory(path, control=("127.0.0.1", 0))
    recorders = [d for d in fleet.devices.values() if d.channels]
    assert len(fleet.cameras) == 68 and sum(len(r.channels) for r in recorders) == 24
    assert len(fleet.devices) == 68 - 24 + len(recorders)
    recorder = recorders[0]
    channel, cam = next(iter(recorder.channels.items()))
    async with running(fleet):
        login = recorder.spec.username, recorder.spec.password  # the district's own credential group
        assert (await device_info(recorder.base_url, *login))[0] == 200
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{fleet.control_url}/cameras/{cam.spec.camera_id}") as reply:
                shown = await reply.json()
            async with session.get(f"{fleet.control_url}/cameras/{recorder.spec.camera_id}") as reply:
                whole = await reply.json()
        assert (await snapshot(recorder.base_url, f"Profile_{channel}02", password=login[1]))[0] == 200
    assert (shown["channel"], shown["recorder"], shown["url"]) == (channel, recorder.spec.camera_id, recorder.base_url)
    assert whole["channels"][str(channel)] == cam.spec.camera_id and whole["model"] in NVR_MODELS


async def test_a_channel_draws_what_a_standalone_camera_with_its_id_would() -> None:
    """At local noon a channel's sub-stream snapshot is its camera's acceptance picture (the scene drawn from the
    fleet seed and its camera id, as for a standalone camera) but for movers and noise: far closer to it than to the
    acceptance picture of the recorder's other channel."""
    from camfleet.simulator.acceptance import healthy_view, local_noon
    from camfleet.simulator.media_ops import PROFILES

    fleet, base, _ = _fleet(7, channels=(3, 9))
    fleet.add_fault(clock_fault("N7-3", 12))
    async with running(fleet):
        served = decode((await snapshot(base, "Profile_302"))[1]).astype(np.int16)
    own, other = (decode(healthy_view(cid, 1, local_noon(), PROFILES[1])).astype(np.int16) for cid in ("N7-3", "N7-9"))
    to_own, to_other = np.abs(served - own).mean(), np.abs(served - other).mean()
    assert to_own * 3 < to_other, (to_own, to_other)
