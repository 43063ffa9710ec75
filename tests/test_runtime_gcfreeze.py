"""The poller takes its long-lived objects out of the garbage collector's full walks once every camera has
been checked, and gives them back before dropping clients (inventory change, stop)."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
from poller_helpers import credentials, fast_config, running, target, village_specs

from camfleet.runtime.gcfreeze import freeze_fleet, thaw
from camfleet.runtime.poller import Poller
from camfleet.simulator import SimulatedFleet


class _Node:
    """An object that can sit in a reference cycle and be watched by a weak reference."""

    me: object = None


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
