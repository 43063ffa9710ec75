"""Network and protocol faults on the wire: refused vs. timeout vs. slow, statuses, sizes, broken XML."""

from __future__ import annotations

import asyncio
import socket
import time

import aiohttp
import pytest
from lxml import etree
from simulator_helpers import device_info, envelope, post, running, snapshot, specs

from camfleet.simulator import Fault, SimulatedFleet

pytestmark = pytest.mark.timeout(120)
GET_TIME = envelope("<tds:GetSystemDateAndTime/>")


def _connect(host: str, timeout: float) -> str:
    """Try a TCP connect: "ok", "refused" or "timeout"."""
    with socket.socket() as s:
        s.settimeout(timeout)
        try:
            s.connect((host, 8080))
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "timeout"
        return "ok"


async def _until(predicate: object, limit: float = 15.0) -> None:
    """Wait (bounded) until ``predicate()`` is true."""
    deadline = time.monotonic() + limit
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_offline_refuses_connections_and_comes_back() -> None:
    """offline closes the listener (connection refused) only for its window; the neighbour keeps serving."""
    fleet = SimulatedFleet(specs(2, 10))
    async with running(fleet):
        fleet.add_fault(Fault("offline", cameras=("T010-0",), start=0, end=fleet.clock.elapsed() + 1.5))
        await _until(lambda: not fleet.cameras["T010-0"].listening)
        assert await asyncio.to_thread(_connect, "127.20.10.1", 2) == "refused"
        assert (await post("http://127.20.10.2:8080/onvif/device_service", GET_TIME))[0] == 200
        await _until(lambda: fleet.cameras["T010-0"].listening)
        assert (await post("http://127.20.10.1:8080/onvif/device_service", GET_TIME))[0] == 200


async def test_blackhole_accepts_but_never_answers() -> None:
    """blackhole: the TCP connect succeeds, the HTTP reply never comes (the client's deadline ends it)."""
    fleet = SimulatedFleet(specs(1, 11))
    fleet.add_fault(Fault("blackhole", cameras=("T011-0",)))
    async with running(fleet):
        assert await asyncio.to_thread(_connect, "127.20.11.1", 2) == "ok"
        with pytest.raises(asyncio.TimeoutError):
            await post("http://127.20.11.1:8080/onvif/device_service", GET_TIME, timeout=0.5)


async def test_uplink_down_times_out_every_camera_of_the_village() -> None:
    """uplink_down: every camera behind the uplink times out at connect (SYNs dropped, no RST), while a
    camera of another village still answers."""
    cams = specs(2, 12, village="西湾村") + specs(1, 13, village="北岭村")
    fleet = SimulatedFleet(cams)
    fleet.add_fault(Fault("uplink_down", uplink="东山镇/西湾村"))
    async with running(fleet):
        for host in ("127.20.12.1", "127.20.12.2"):
            assert await asyncio.to_thread(_connect, host, 0.5) == "timeout"
        assert (await post("http://127.20.13.1:8080/onvif/device_service", GET_TIME))[0] == 200


async def test_slow_answers_late_but_answers() -> None:
    """slow (latency 1.5 s): a 0.3 s deadline expires, a generous one gets a proper reply."""
    fleet = SimulatedFleet(specs(1, 14))
    fleet.add_fault(Fault("slow", cameras=("T014-0",), latency=1.5))
    async with running(fleet):
        url = "http://127.20.14.1:8080/onvif/device_service"
        with pytest.raises(asyncio.TimeoutError):
            await post(url, GET_TIME, timeout=0.3)
        status, body = await post(url, GET_TIME, timeout=20)
        assert status == 200 and b"SystemDateAndTime" in body


async def test_auth_fault_refuses_the_right_password() -> None:
    """auth: the right credentials get ter:NotAuthorized on SOAP and 401 on the snapshot URL."""
    fleet = SimulatedFleet(specs(1, 15))
    fleet.add_fault(Fault("auth", cameras=("T015-0",)))
    async with running(fleet):
        status, body = await device_info("http://127.20.15.1:8080")
        assert status == 400 and b"ter:NotAuthorized" in body
        assert (await snapshot("http://127.20.15.1:8080"))[0] == 401


async def test_clock_skew_is_reported_by_get_system_date_and_time() -> None:
    """clock_skew (-3 years): the camera reports its own, skewed year."""
    fleet = SimulatedFleet(specs(1, 16))
    fleet.add_fault(Fault("clock_skew", cameras=("T016-0",), skew=-3 * 365.25 * 86400))
    async with running(fleet):
        _, body = await post("http://127.20.16.1:8080/onvif/device_service", GET_TIME)
        year = etree.fromstring(body).findtext(
            ".//{http://www.onvif.org/ver10/schema}UTCDateTime//{http://www.onvif.org/ver10/schema}Year"
        )
        assert int(year or 0) == time.gmtime().tm_year - 3


async def test_reboot_goes_down_then_back_with_a_new_boot_time() -> None:
    """reboot: refused while down, then back, with a boot time later than before the reboot."""
    fleet = SimulatedFleet(specs(1, 17))
    async with running(fleet):
        cam = fleet.cameras["T017-0"]
        before = cam.boot_time
        fleet.add_fault(Fault("reboot", cameras=("T017-0",), start=fleet.clock.elapsed(), down=1.0))
        await _until(lambda: not cam.listening)
        assert await asyncio.to_thread(_connect, "127.20.17.1", 2) == "refused"
        await _until(lambda: cam.listening)
        assert cam.boot_time > before and cam.uptime < 60
        assert (await post("http://127.20.17.1:8080/onvif/device_service", GET_TIME))[0] == 200


async def test_snapshot_error_statuses() -> None:
    """snapshot_error answers the snapshot URL with the configured status (500, 404); SOAP still works."""
    fleet = SimulatedFleet(specs(2, 18))
    fleet.add_fault(Fault("snapshot_error", cameras=("T018-0",), status=500))
    fleet.add_fault(Fault("snapshot_error", cameras=("T018-1",), status=404))
    async with running(fleet):
        assert (await snapshot("http://127.20.18.1:8080"))[0] == 500
        assert (await snapshot("http://127.20.18.2:8080"))[0] == 404
        assert (await device_info("http://127.20.18.1:8080"))[0] == 200


async def test_malformed_xml_is_not_well_formed() -> None:
    """malformed_xml: HTTP 200 with a SOAP content type, but the body is not well-formed XML."""
    fleet = SimulatedFleet(specs(1, 19))
    fleet.add_fault(Fault("malformed_xml", cameras=("T019-0",)))
    async with running(fleet):
        status, body = await post("http://127.20.19.1:8080/onvif/device_service", GET_TIME)
        assert status == 200
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(body)


async def test_oversized_reply_has_the_configured_size() -> None:
    """oversized (3 MB): the reply is at least that large, and still a SOAP envelope."""
    fleet = SimulatedFleet(specs(1, 20))
    fleet.add_fault(Fault("oversized", cameras=("T020-0",), size=3 * 1024 * 1024))
    async with running(fleet):
        status, body = await post("http://127.20.20.1:8080/onvif/device_service", GET_TIME)
        assert status == 200 and len(body) >= 3 * 1024 * 1024
        assert body.rstrip().endswith(b"</env:Envelope>")


async def test_unknown_path_and_profile() -> None:
    """An unknown path is 404; a snapshot of an unknown profile is 404."""
    async with running(SimulatedFleet(specs(1, 21))):
        async with aiohttp.ClientSession() as s, s.get("http://127.20.21.1:8080/nothing") as resp:
            assert resp.status == 404
        assert (await snapshot("http://127.20.21.1:8080", profile="nope"))[0] == 404
