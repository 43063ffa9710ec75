"""A hostile or broken events service never changes a camera's status: its replies are bounded and counted.

Each camera here is a real simulated camera behind a small HTTP relay on its own loopback address: every request
is relayed unchanged, except the pull point's, which the relay answers with one hostile reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from frames_helpers import config, credentials, specs, until
from hostile_payloads import LAUGHS, XXE
from poller_helpers import GROUP, running

from camfleet.model import CameraTarget, Status
from camfleet.runtime.poller import Poller
from camfleet.runtime.sink import MemorySink
from camfleet.simulator import SimulatedFleet

NET = 46
SOAP = "application/soap+xml; charset=utf-8"
_ENV = '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'


def _notifications(n: int) -> bytes:
    one = (
        '<wsnt:NotificationMessage><wsnt:Topic Dialect="x">tns1:RuleEngine/TamperDetector/Tamper</wsnt:Topic>'
        '<wsnt:Message><tt:Message UtcTime="2026-11-27T12:00:00Z" PropertyOperation="Changed"><tt:Source>'
        '<tt:SimpleItem Name="Rule" Value="r{i}"/></tt:Source><tt:Data><tt:SimpleItem Name="IsTamper" Value="true"/>'
        "</tt:Data></tt:Message></wsnt:Message></wsnt:NotificationMessage>"
    )
    body = "".join(one.format(i=i) for i in range(n))
    return (
        f'{_ENV} xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"'
        ' xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body><tev:PullMessagesResponse>'
        "<tev:CurrentTime>2026-11-27T12:00:00Z</tev:CurrentTime><tev:TerminationTime>2026-11-27T12:10:00Z"
        f"</tev:TerminationTime>{body}</tev:PullMessagesResponse></s:Body></s:Envelope>"
    ).encode()


#: mode → (HTTP status, body) the relay answers a pull with.
HOSTILE: dict[str, Callable[[], tuple[int, bytes]]] = {
    "cut_short": lambda: (200, _notifications(3)[:300]),
    "entity_bomb": lambda: (200, LAUGHS),
    "external_entity": lambda: (200, XXE),
    "oversized": lambda: (200, _notifications(1)[:-40] + b" " * (3 * 1024 * 1024) + _notifications(1)[-40:]),
    "wrong_answer": lambda: (
        200,
        f'{_ENV}><s:Body><x:GetSystemDateAndTimeResponse xmlns:x="urn:x"/></s:Body></s:Envelope>'.encode(),
    ),
    "html_500": lambda: (500, b"<html><body>Internal Server Error</body></html>"),
}


@asynccontextmanager
async def relay(
    listen: str, upstream: str, pull: Callable[[], tuple[int, bytes]], operation: bytes = b"PullMessages"
) -> AsyncIterator[list[str]]:
    """Relay ``listen`` → ``upstream`` (host:8080), answering requests for ``operation`` with ``pull()``; yields
    the paths asked for."""
    seen: list[str] = []
    session = aiohttp.ClientSession()

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        seen.append(request.path)
        data = await request.read()
        if operation in data:
            status, body = pull()
            ctype = "text/html" if body.startswith(b"<html") else SOAP
            return web.Response(status=status, body=body, content_type=ctype.split(";")[0])
        headers = {"Content-Type": request.headers.get("Content-Type", SOAP)}
        async with session.post(f"http://{upstream}:8080{request.path}", data=data, headers=headers) as resp:
            return web.Response(status=resp.status, body=await resp.read(), headers={"Content-Type": SOAP})

    server = web.Server(handle)
    runner = web.ServerRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, listen, 8080)
    await site.start()
    try:
        yield seen
    finally:
        await runner.cleanup()
        await session.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", sorted(HOSTILE))
async def test_hostile_pull_reply_never_touches_liveness(mode: str) -> None:
    """Whatever the pull point answers (cut-short XML, an entity bomb, an external entity, 3 MB, the answer to
    another question, an HTML 500), the camera stays `ok` through many pulls: each failure is counted under
    kind=events, the claim records the error, the subscription is re-created rather than trusted, and the
    poller keeps running."""
    fleet_specs = specs(NET, [f"EVH-{mode}"])
    fleet = SimulatedFleet(fleet_specs)
    upstream = fleet_specs[0].host
    proxy = f"127.50.{NET}.200"
    cfg = config(events={"interval_s": 0.2, "pull_timeout_s": 0.1}, vision={"enabled": False})
    t = CameraTarget(fleet_specs[0].camera_id, proxy, 8080, "up-h", GROUP)
    async with running(fleet), relay(proxy, upstream, HOSTILE[mode]) as seen:
        poller = Poller(cfg, [t], credentials(), MemorySink())
        await poller.start()
        try:
            errors = lambda: sum(n for (k, s), n in poller.fleet.counters.probes.items() if k == "events" and s != "ok")  # noqa: E731
            await until(lambda: errors() >= 4, "four failed event rounds", 30)
            await until(lambda: poller.fleet.counters.probes[("liveness", "ok")] >= 2, "two liveness checks", 30)
            state = poller.fleet.states[t.camera_id]
            assert state.status is Status.OK, (state.status, state.reason, state.detail)
            assert state.camera_events is not None and state.camera_events.error.startswith("protocol_error")
            assert not state.camera_events.known and state.camera_events.agreement is None
            assert poller.events is not None and poller.events.sessions[t.camera_id].created >= 2
            assert any(p.startswith("/onvif/pullpoint/") for p in seen)
        finally:
            await poller.stop()


@pytest.mark.timeout(60)
async def test_message_flood_is_cut_at_the_limit() -> None:
    """A camera that ignores MessageLimit and sends 2,000 notifications: only `message_limit` are read, the claim is
    still built from them, and the camera stays `ok`."""
    fleet_specs = specs(NET + 1, ["EVH-flood"])
    fleet = SimulatedFleet(fleet_specs)
    proxy = f"127.50.{NET + 1}.200"
    cfg = config(events={"interval_s": 0.3, "pull_timeout_s": 0.1, "message_limit": 8}, vision={"enabled": False})
    t = CameraTarget("EVH-flood", proxy, 8080, "up-f", GROUP)
    flood = _notifications(2000)
    async with running(fleet), relay(proxy, fleet_specs[0].host, lambda: (200, flood)):
        poller = Poller(cfg, [t], credentials(), MemorySink())
        await poller.start()
        try:
            state = poller.fleet.states["EVH-flood"]
            await until(lambda: state.camera_events is not None and state.camera_events.known, "a read claim", 30)
            assert poller.events is not None
            session = poller.events.sessions["EVH-flood"]
            assert 1 <= len(session.properties) <= 8 * 4  # at most message_limit per pull, 4 pulls per round
            assert state.camera_events is not None and state.camera_events.faults == (Status.COVERED,)
            await until(lambda: poller.fleet.counters.probes[("liveness", "ok")] >= 2, "two liveness checks", 30)
            assert state.status is Status.OK
        finally:
            await poller.stop()


NOT_SUPPORTED = (
    f'{_ENV} xmlns:ter="http://www.onvif.org/ver10/error"><s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value>'
    '<s:Subcode><s:Value>ter:ActionNotSupported</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">'
    "Optional Action Not Implemented</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
).encode()


@pytest.mark.timeout(60)
async def test_camera_without_pull_points_is_left_alone() -> None:
    """A camera answering CreatePullPointSubscription with ter:ActionNotSupported: one counted failure, the claim
    says `protocol_error/not_supported`, no further subscription attempts for an hour (rounds are skipped, not
    counted), and the camera stays `ok`."""
    fleet_specs = specs(NET + 2, ["EVH-none"])
    fleet = SimulatedFleet(fleet_specs)
    proxy = f"127.50.{NET + 2}.200"
    cfg = config(events={"interval_s": 0.2}, vision={"enabled": False})
    t = CameraTarget("EVH-none", proxy, 8080, "up-n", GROUP)
    answer = (500, NOT_SUPPORTED)
    async with (
        running(fleet),
        relay(proxy, fleet_specs[0].host, lambda: answer, b"CreatePullPointSubscription") as seen,
    ):
        poller = Poller(cfg, [t], credentials(), MemorySink())
        await poller.start()
        try:
            state = poller.fleet.states["EVH-none"]
            await until(lambda: state.camera_events is not None, "a first round", 30)
            await asyncio.sleep(1.5)  # several intervals
            assert state.camera_events is not None and state.camera_events.error == "protocol_error/not_supported"
            assert poller.fleet.counters.probes[("events", "protocol_error")] == 1
            assert sum(1 for p in seen if p == "/onvif/event_service") == 1
            await until(lambda: poller.fleet.counters.probes[("liveness", "ok")] >= 2, "two liveness checks", 30)
            assert state.status is Status.OK
            assert poller.fleet.counters.probes[("events", "protocol_error")] == 1  # still: rounds were skipped
        finally:
            await poller.stop()
