"""Functional tests of the poller's performance changes (no timings here: speed is in benchmarks/)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from poller_helpers import credentials, fast_config, running, target, village_specs

from camfleet.errors import DeviceProtocolError
from camfleet.model import Status
from camfleet.onvif.client import GC_THRESHOLDS, OnvifClientFactory, tune_gc
from camfleet.onvif.clock import REQUEST_HEADERS, parse_reply
from camfleet.runtime.poller import Poller
from camfleet.simulator import SimulatedFleet

NET = 231
T = 1795773600.0  # 2026-11-27T10:00:00Z
ENV = (
    '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><e:Body><tds:GetSystemDateAndTimeResponse>'
    "<tds:SystemDateAndTime>{}</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse></e:Body></e:Envelope>"
)
DATE = "<tt:Date><tt:Year>2026</tt:Year><tt:Month>11</tt:Month><tt:Day>27</tt:Day></tt:Date>"
TIME = "<tt:Time><tt:Hour>10</tt:Hour><tt:Minute>0</tt:Minute><tt:Second>5</tt:Second></tt:Time>"


@pytest.fixture
def restored_gc() -> Iterator[None]:
    """Put the collector's thresholds back after the test (they are process-wide)."""
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_clock_reply_fields_in_any_order_with_comments() -> None:
    """The one-walk UTC reader finds the six fields whatever their order, skipping comments, and reads the
    UTC block, not the LocalDateTime that some firmware puts first."""
    local = "<tt:LocalDateTime>" + TIME.replace(">10<", ">18<") + DATE + "</tt:LocalDateTime>"
    utc = f"<tt:UTCDateTime><!-- fw 5.4 -->{TIME}{DATE}</tt:UTCDateTime>"
    reading = parse_reply(ENV.format(local + utc).encode(), T, T)
    assert reading.camera_time == T + 5
    assert reading.offset_s == pytest.approx(5.5)


def test_clock_reply_missing_field_names_it() -> None:
    """A UTC block without its Minute is a protocol error that names the missing field."""
    broken = f"<tt:UTCDateTime>{TIME.replace('<tt:Minute>0</tt:Minute>', '')}{DATE}</tt:UTCDateTime>"
    with pytest.raises(DeviceProtocolError, match="Time/Minute"):
        parse_reply(ENV.format(broken).encode(), T, T)


def test_clock_reply_fields_outside_their_group_do_not_count() -> None:
    """An Hour placed under Date (not Time) is not taken for the time of day."""
    swapped = DATE.replace("</tt:Date>", "<tt:Hour>10</tt:Hour></tt:Date>")
    rest = "<tt:Time><tt:Minute>0</tt:Minute><tt:Second>5</tt:Second></tt:Time>"
    utc = f"<tt:UTCDateTime>{swapped}{rest}</tt:UTCDateTime>"
    with pytest.raises(DeviceProtocolError, match="Time/Hour"):
        parse_reply(ENV.format(utc).encode(), T, T)


def test_tune_gc_raises_thresholds_but_never_lowers_them(restored_gc: None) -> None:
    """The fleet thresholds replace CPython's defaults; a process that already collects less often keeps
    its own setting."""
    gc.set_threshold(700, 10, 10)
    tune_gc()
    assert gc.get_threshold() == GC_THRESHOLDS
    gc.set_threshold(GC_THRESHOLDS[0] * 4, 5, 5)
    tune_gc()
    assert gc.get_threshold() == (GC_THRESHOLDS[0] * 4, 5, 5)


async def test_liveness_read_leaves_no_idle_connection(restored_gc: None) -> None:
    """The clock read asks the camera to close: after it, the shared pool holds no idle socket to that
    camera (a kept one would never be reused before its keep-alive expires)."""
    assert REQUEST_HEADERS["Connection"] == "close"
    specs = village_specs(NET, {"南坪村": 3})
    async with running(SimulatedFleet(specs)), OnvifClientFactory(fast_config().poller) as factory:
        for s in specs:
            reading = await factory.camera(s.host, s.port, None).get_system_date_and_time()
            assert reading.offset_s is not None
        connector = factory.session.connector
        assert connector is not None
        idle = sum(len(conns) for conns in connector._conns.values())
        assert idle == 0


async def test_sweep_larger_than_a_start_batch_checks_every_camera(restored_gc: None) -> None:
    """A sweep over more cameras than one start batch (16) reaches every one of them exactly once per pass
    and all come out ok."""
    specs = village_specs(NET, {"上坪村": 20, "下坪村": 19})
    async with running(SimulatedFleet(specs)):
        # Degraded above 2 s, not fast_config's 0.6 s: a healthy answer on a loaded box reached that and failed "ok".
        cfg = fast_config(degraded_latency_s=2.0, call_timeout_s=4.0)
        poller = Poller(cfg, [target(s) for s in specs], credentials())
        seen: list[int] = []
        states = await poller.sweep_once("liveness", progress=lambda done, total: seen.append(done))
    assert {s.camera_id for s in specs} == set(states)
    assert all(st.status is Status.OK for st in states.values())
    assert seen[-1] == len(specs)
