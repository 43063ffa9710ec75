"""One Poller object can sweep again: each sweep alone opens a fresh session and rebuilds its camera handles;
within ``Poller.opened()`` the sweeps share them."""

from __future__ import annotations

import pytest
from poller_helpers import credentials, fast_config, running, target, village_specs

from camfleet.model import Status
from camfleet.runtime.poller import Poller
from camfleet.simulator import SimulatedFleet

NET = 9


@pytest.mark.timeout(120)
async def test_second_full_sweep_of_the_same_poller_authenticates() -> None:
    """Two full sweeps in a row (no start()): the second one's authenticated calls work (they used to hit the
    first sweep's closed session and report protocol_error for every camera). The second sweep does not
    re-discover profiles found within ``discovery_interval_s``; a third, once they are older, does."""
    specs = village_specs(NET, {"河湾村": 3})
    cfg = fast_config().model_copy(update={"vision": fast_config().vision.model_copy(update={"enabled": False})})
    poller = Poller(cfg, [target(s) for s in specs], credentials(), None)
    async with running(SimulatedFleet(specs)):
        first = await poller.sweep_once("full")
        discovered = poller.fleet.counters.probes[("discovery", "ok")]
        second = await poller.sweep_once("full")
        assert poller.fleet.counters.probes[("discovery", "ok")] == discovered == len(specs)
        for info in poller.ctx.media.values():
            info.discovered_at -= cfg.poller.discovery_interval_s
        third = await poller.sweep_once("full")
        assert poller.fleet.counters.probes[("discovery", "ok")] == 2 * len(specs)
        assert {s.status for s in third.values()} == {Status.OK}
    assert {s.status for s in first.values()} == {Status.OK}
    assert {cid: (s.status, s.detail) for cid, s in second.items()} == {s.camera_id: (Status.OK, "") for s in specs}
    assert all(s.identity is not None and s.identity.serial for s in second.values())


@pytest.mark.timeout(120)
async def test_sweeps_within_opened_keep_the_clients() -> None:
    """Inside ``Poller.opened()`` two full sweeps share the session and the per-camera clients (the service's
    steady state, which the full-sweep benchmark measures); leaving it closes the session and drops them, and
    a later ``sweep_once`` still works on its own."""
    specs = village_specs(NET, {"柳树屯": 2})
    cfg = fast_config().model_copy(update={"vision": fast_config().vision.model_copy(update={"enabled": False})})
    poller = Poller(cfg, [target(s) for s in specs], credentials(), None)
    async with running(SimulatedFleet(specs)):
        async with poller.opened():
            await poller.sweep_once("full")
            clients = dict(poller.ctx.clients)
            session = poller.onvif.session
            second = await poller.sweep_once("full")
            assert poller.onvif.session is session and not session.closed
            assert len(clients) == len(specs) and all(poller.ctx.clients[k] is c for k, c in clients.items())
        assert session.closed and not poller.ctx.clients
        after = await poller.sweep_once("full")
    assert {s.status for s in second.values()} == {s.status for s in after.values()} == {Status.OK}
