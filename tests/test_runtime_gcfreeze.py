"""The poller takes its long-lived objects out of the garbage collector's full walks once every camera has
been checked, and gives them back before dropping clients (inventory change, stop); while they are frozen it
runs a full collection every ``FULL_COLLECTION_S``, which frees closed connections' transports (on Python 3.11
each waits in a reference cycle with its own read callback)."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import weakref

import pytest
from poller_helpers import credentials, fast_config, running, target, village_specs

from camfleet.runtime.gcfreeze import FULL_COLLECTION_S, freeze_fleet, thaw
from camfleet.runtime.poller import Poller
from camfleet.simulator import SimulatedFleet


class _Node:
    """An object that can sit in a reference cycle and be watched by a weak reference."""

    me: object = None


async def closed_transport() -> weakref.ref[asyncio.BaseTransport]:
    """A weak reference to the client transport of a loopback connection that has been opened and closed, the
    way aiohttp opens and closes a camera's kept-alive connection; nothing else refers to it."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    lost = loop.create_future()

    class Client(asyncio.Protocol):
        def connection_lost(self, exc: Exception | None) -> None:
            lost.set_result(None)

    transport, _protocol = await loop.create_connection(Client, "127.0.0.1", port)
    transport.write(b"GET / HTTP/1.1\r\n\r\n")
    ref = weakref.ref(transport)
    transport.close()
    del transport, _protocol
    await lost
    await asyncio.sleep(0)  # _call_connection_lost has returned: the transport dropped its socket and protocol
    server.close()
    await server.wait_closed()
    return ref


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="CPython gh-100348: 3.12 drops the cycle on close")
async def test_a_closed_transport_is_freed_only_by_the_cyclic_collector() -> None:
    """The cause of the soak's drift: on Python 3.11 a closed asyncio socket transport is not freed by
    reference counting (it refers to itself through its bound read callback), only by a collection that
    reaches it."""
    gc.disable()
    try:
        ref = await closed_transport()
        assert ref() is not None and ref().is_closing()  # type: ignore[union-attr]
        gc.collect()
        assert ref() is None
    finally:
        gc.enable()


def dropped_cycle() -> weakref.ref[_Node]:
    """A weak reference to an object in a reference cycle nothing else refers to."""
    node = _Node()
    node.me = node
    return weakref.ref(node)


def test_freeze_fleet_takes_live_objects_out_and_thaw_gives_them_back() -> None:
    """Objects alive at the freeze are counted in the permanent generation; a cycle dropped while frozen
    survives full collections (the collector no longer walks it) and is freed by the first one after the
    thaw, which empties the permanent generation."""
    thaw()
    try:
        held = [[i] for i in range(20_000)]  # lists are always tracked (small dicts of atoms are not)
        node = _Node()
        node.me = node
        ref = weakref.ref(node)
        frozen = freeze_fleet()
        assert frozen >= 20_000 and gc.get_freeze_count() == frozen
        del node
        gc.collect()
        assert ref() is not None
        thaw()
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert ref() is None and len(held) == 20_000
    finally:
        thaw()


@pytest.mark.timeout(60)
async def test_poller_freezes_after_the_first_window_and_thaws_on_changes() -> None:
    """With a fake clock: the poller freezes nothing while its first checks may still run; after the longest
    first window plus the frame deadline the objects alive then (20,000 test-held lists among them) are
    frozen; removing a camera thaws and plans the next freeze one window later; stop thaws."""
    specs = village_specs(7, {"青石村": 3})
    fleet = SimulatedFleet(specs)
    now = [1_000.0]
    cfg = fast_config(frame_interval_s=60.0)
    thaw()
    async with running(fleet):
        poller = Poller(cfg, [target(s) for s in specs], credentials(), clock=lambda: now[0])
        try:
            await poller.start()
            window = max(poller.schedule.first_window(k) for k in poller.schedule.kinds)
            assert window == 60.0
            now[0] += window  # every first check due, but the frame deadline has not passed
            poller._wake.set()
            await asyncio.sleep(0.5)
            before = gc.get_freeze_count()  # the parsed WSDLs, frozen when they were loaded, if by now
            held = [[i] for i in range(20_000)]  # lists are always tracked (small dicts of atoms are not)
            await asyncio.sleep(0.3)
            assert gc.get_freeze_count() < before + 20_000  # (frozen objects still die by reference count)
            now[0] += cfg.poller.frame_timeout_s + 1
            poller._wake.set()
            for _ in range(50):
                await asyncio.sleep(0.1)
                if gc.get_freeze_count() >= before + 20_000:
                    break
            assert gc.get_freeze_count() >= before + 20_000
            poller.update_targets([target(s) for s in specs[:2]])
            assert gc.get_freeze_count() == 0
            now[0] += window + cfg.poller.frame_timeout_s + 1
            poller._wake.set()
            for _ in range(50):
                await asyncio.sleep(0.1)
                if gc.get_freeze_count() >= 20_000:
                    break
            assert gc.get_freeze_count() >= 20_000 and len(held) == 20_000
        finally:
            await poller.stop()
            assert gc.get_freeze_count() == 0
            thaw()


@pytest.mark.timeout(60)
async def test_frozen_poller_runs_a_timed_full_collection_that_frees_closed_transports(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a fake clock and the automatic collector off: a closed connection's transport (and a plain cycle)
    dropped after the freeze is still alive just before ``FULL_COLLECTION_S`` has passed, and freed by the
    poller's own full collection once it has, which logs its pause and counts it for /metrics; the next one is
    due a whole interval later. (Before this collection existed, nothing freed them until CPython's rare full
    collection.)"""
    specs = village_specs(8, {"白沙村": 2})
    fleet = SimulatedFleet(specs)
    now = [5_000.0]
    cfg = fast_config(frame_interval_s=60.0)
    thaw()
    caplog.set_level(logging.INFO, logger="camfleet.runtime.poller")
    async with running(fleet):
        poller = Poller(cfg, [target(s) for s in specs], credentials(), clock=lambda: now[0])
        gc.disable()
        try:
            await poller.start()
            now[0] += max(poller.schedule.first_window(k) for k in poller.schedule.kinds)
            now[0] += cfg.poller.frame_timeout_s + 1
            poller._wake.set()
            for _ in range(50):
                await asyncio.sleep(0.1)
                if gc.get_freeze_count() > 0:
                    break
            assert gc.get_freeze_count() > 0  # frozen at now[0]: the first collection is due an interval later
            transport = await closed_transport()
            plain = dropped_cycle()
            now[0] += FULL_COLLECTION_S - 1
            poller._wake.set()
            await asyncio.sleep(0.5)
            assert transport() is not None and plain() is not None
            now[0] += 2
            poller._wake.set()
            for _ in range(50):
                await asyncio.sleep(0.1)
                if plain() is None and transport() is None:
                    break
            assert plain() is None and transport() is None
            assert poller.fleet.counters.gc_full_collections == 1 and poller.fleet.counters.gc_full_last_s > 0
            assert any("full garbage collection" in r.getMessage() and "ms CPU" in r.getMessage()
                       for r in caplog.records)  # fmt: skip
            again = dropped_cycle()
            now[0] += FULL_COLLECTION_S - 1
            poller._wake.set()
            await asyncio.sleep(0.5)
            assert again() is not None  # not on every pass: one interval after the last
        finally:
            gc.enable()
            await poller.stop()
            thaw()
