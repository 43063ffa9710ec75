"""Fuzzing the SOAP reply handling: the liveness parser and zeep behind the transport raise typed errors only."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from hostile_payloads import GROUP, PASSWORD, USER, clock_reply, identity_reply
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict, CIMultiDictProxy

from camfleet.config import Credential
from camfleet.config.poller import PollerConfig
from camfleet.errors import DeviceError, DeviceProtocolError
from camfleet.onvif.client import CameraClient
from camfleet.onvif.clock import parse_reply
from camfleet.onvif.transport import CappedTransport, Reply
from camfleet.onvif.wsdl import hardened_settings, load_wsdls

FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few bytes flipped, inserted or deleted, maybe cut short."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "insert", "delete", "markup"]))
        if op == "flip":
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos : pos + draw(st.integers(1, 16))]
        else:
            data[pos:pos] = draw(
                st.sampled_from([b"<", b"</x>", b"&amp;", b"&x;", b"<!--", b"]]>", b"\x00", b"<![CDATA["])
            )
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@FUZZ
@given(st.one_of(st.binary(max_size=3000), mutated(clock_reply(1795773600.0))))
def test_clock_reply_parser_raises_only_protocol_errors(content: bytes) -> None:
    """Any bytes at all: parse_reply returns a reading or raises DeviceProtocolError, nothing else."""
    try:
        reading = parse_reply(content, 1795773600.0, 1795773600.1)
    except DeviceProtocolError:
        return
    assert reading.offset_s is None or abs(reading.offset_s) < 10**10


class CannedTransport(CappedTransport):
    """The real transport with the HTTP exchange replaced by a canned reply (zeep and the checks still run)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        super().__init__(session, max_reply_bytes=2 * 1024 * 1024, call_timeout_s=5.0)
        self.content = b""

    async def post_bytes(self, address: str, body: bytes, headers: dict[str, str], where: str) -> Reply:
        """Answer every call with ``self.content`` as HTTP 200 SOAP."""
        head = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/soap+xml; charset=utf-8"}))
        return Reply(200, head, self.content, "utf-8")


@pytest.fixture(scope="module")
def client() -> Iterator[tuple[asyncio.AbstractEventLoop, CameraClient, CannedTransport]]:
    """A CameraClient over the shared WSDLs and a canned transport, with its own event loop."""
    loop = asyncio.new_event_loop()
    session = loop.run_until_complete(_session())
    transport = CannedTransport(session)
    factory: Any = SimpleNamespace(
        transport=transport, wsdls=load_wsdls(), settings=hardened_settings(), cfg=PollerConfig()
    )
    cam = CameraClient(factory, "127.60.40.1", 80, Credential(GROUP, USER, PASSWORD))
    cam.set_clock_offset(0.0)
    yield loop, cam, transport
    loop.run_until_complete(session.close())
    loop.close()


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=3000),
        mutated(identity_reply()),
        st.text(max_size=200).map(lambda t: identity_reply().replace(b"Hostile", t.encode("utf-8", "surrogatepass"))),
    )
)
def test_zeep_reply_handling_raises_only_device_errors(
    client: tuple[asyncio.AbstractEventLoop, CameraClient, CannedTransport], content: bytes
) -> None:
    """Arbitrary and mutated GetDeviceInformation replies through the transport and zeep: a parsed answer or
    a DeviceError, never a library exception."""
    loop, cam, transport = client
    transport.content = content
    try:
        reply = loop.run_until_complete(cam.call("device", "GetDeviceInformation"))
    except DeviceError:
        return
    assert reply is not None
