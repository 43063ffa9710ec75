"""The virtual fleet: thousands of cameras in one process, each on its own loopback address and port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from camfleet.errors import ConfigError
from camfleet.simulator.auth import DigestAuth
from camfleet.simulator.camera import LISTENER_KINDS, FleetClock, SimCamera
from camfleet.simulator.camera_server import CameraServer, Shared
from camfleet.simulator.frame_pool import FramePool
from camfleet.simulator.media_ops import PROFILES
from camfleet.simulator.rtsp import RTSP_PORT, RtspServers
from camfleet.simulator.scenario import Fault, Scenario, load_scenario
from camfleet.simulator.scene import BaseCache
from camfleet.simulator.spec import SimCameraSpec, events_mode, with_identity

log = logging.getLogger("camfleet.simulator")
_TICK_S = 0.1


class SimulatedFleet:
    """Serve ``specs`` as ONVIF cameras; apply the scenario's faults and those added at run time."""

    def __init__(
        self,
        specs: list[SimCameraSpec],
        scenario: Scenario | None = None,
        *,
        seed: int = 1,
        control: tuple[str, int] | None = None,
        frame_pool: int = 0,
        events_offered: float | None = None,
    ) -> None:
        self.seed = seed
        #: benchmark mode: pictures from a pool of pre-drawn scenes (None: every picture is drawn)
        self.pool = FramePool(frame_pool) if frame_pool else None
        self.clock = FleetClock()
        self.cameras: dict[str, SimCamera] = {}
        seen: dict[tuple[str, int], str] = {}
        for spec in specs:
            if spec.camera_id in self.cameras:
                raise ConfigError(f"camera {spec.camera_id!r}: listed twice")
            other = seen.setdefault((spec.host, spec.port), spec.camera_id)
            if other != spec.camera_id:
                raise ConfigError(f"camera {spec.camera_id!r}: {spec.host}:{spec.port} is already {other!r}'s")
            self.cameras[spec.camera_id] = cam = SimCamera(with_identity(spec, seed), seed, self.clock)
            # The field's cameras: most legacy ones offer no events; the scenario may make some lie or stay silent.
            offered = scenario.events_offered if scenario and scenario.events_offered is not None else events_offered
            forced = scenario.events.get(spec.camera_id, "") if scenario else ""
            cam.events = forced or events_mode(spec, seed, offered)
        self.faults: list[Fault] = []
        self._next_fault_id = 1
        self._control_addr = control
        self.control_url: str | None = None
        self._servers: dict[str, CameraServer] = {}
        self._watched: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._control_runner: object | None = None
        self._shared: Shared | None = None
        self._rtsp = RtspServers()
        for fault in scenario.faults if scenario else []:
            self.add_fault(fault)

    @classmethod
    def from_inventory(
        cls,
        path: str | os.PathLike[str],
        scenario_path: str | os.PathLike[str] | None = None,
        *,
        seed: int = 1,
        control: tuple[str, int] | None = None,
        rtsp: int = 0,
        main_only: bool = False,
        frame_pool: int = 0,
    ) -> SimulatedFleet:
        """A fleet of the inventory's cameras, credentials from their groups (see ``inventory_specs``).

        ``rtsp`` cameras (chosen by the seed) also stream H.264 over RTSP; every second one of them has no
        snapshot URI at all, so that only its stream gives a picture (the poller's RTSP fallback).
        ``main_only`` cameras offer only their 1920×1080 profile; ``frame_pool`` serves pre-drawn pictures
        (benchmarks: see ``frame_pool``).
        """
        from camfleet.simulator.inventory_specs import specs_from_inventory

        scenario = load_scenario(scenario_path) if scenario_path else None
        specs = specs_from_inventory(Path(path))
        if rtsp:
            chosen = random.Random(seed).sample(sorted(s.camera_id for s in specs), min(rtsp, len(specs)))
            order = {cid: i for i, cid in enumerate(chosen)}
            for spec in specs:
                if spec.camera_id in order:
                    spec.rtsp = True
                    spec.snapshot = order[spec.camera_id] % 2 == 0
        for spec in specs:
            spec.main_only = main_only
        return cls(specs, scenario, seed=seed, control=control, frame_pool=frame_pool)

    # -- faults -------------------------------------------------------------------------------------

    def select(self, fault: Fault) -> list[SimCamera]:
        """The cameras a fault applies to: any of its ids, village, uplink, town, or seeded fraction."""
        chosen: dict[str, SimCamera] = {}
        for cid in fault.cameras:
            if cid in self.cameras:
                chosen[cid] = self.cameras[cid]
        if fault.village or fault.uplink or fault.town:
            for cid, cam in self.cameras.items():
                s = cam.spec
                if s.village == fault.village or s.uplink == fault.uplink or s.town == fault.town:
                    chosen[cid] = cam
        if fault.fraction:
            ids = sorted(self.cameras)
            k = round(fault.fraction * len(ids))
            for cid in random.Random(fault.seed).sample(ids, k):
                chosen[cid] = self.cameras[cid]
        return list(chosen.values())

    def add_fault(self, fault: Fault) -> None:
        """Apply ``fault`` (times from the fleet's start) to the cameras it selects; gives it an id."""
        fault.id = self._next_fault_id
        self._next_fault_id += 1
        self.faults.append(fault)
        for cam in self.select(fault):
            cam.faults.append(fault)
            if fault.kind in LISTENER_KINDS:
                self._watched.add(cam.spec.camera_id)
        log.info("fault added: id=%s kind=%s cameras=%d", fault.id, fault.kind, len(self.select(fault)))

    def remove_fault(self, fault_id: int) -> bool:
        """Withdraw one fault; False when no fault has that id."""
        fault = next((f for f in self.faults if f.id == fault_id), None)
        if fault is None:
            return False
        self.faults.remove(fault)
        for cam in self.cameras.values():
            if fault in cam.faults:
                cam.faults.remove(fault)
        return True

    def clear_faults(self) -> None:
        """Withdraw every fault (cameras come back at the next tick)."""
        self.faults.clear()
        for cam in self.cameras.values():
            cam.faults.clear()

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind every camera (and the control endpoint); fault windows count from now."""
        self.clock.started = time.monotonic()
        executor = ThreadPoolExecutor(2, thread_name_prefix="sim-frame")
        self._shared = Shared(executor, BaseCache(), DigestAuth(), self.pool)
        try:
            for cid, cam in self.cameras.items():
                srv = self._servers[cid] = CameraServer(cam, self._shared)
                if cam.should_listen():
                    await srv.open()
            await self._reconcile()
            await self._start_rtsp()
            if self._control_addr is not None:
                from camfleet.simulator.control import start_control

                self._control_runner, self.control_url = await start_control(self, *self._control_addr)
        except BaseException:
            await self.stop()
            raise
        self._tasks.append(asyncio.create_task(self._watch(), name="sim-faults"))
        log.info("simulator started: cameras=%d control=%s", len(self.cameras), self.control_url)

    async def _start_rtsp(self) -> None:
        """Start the RTSP child process for the cameras that stream (blocking start-up runs in a thread)."""
        streaming = [cam for cam in self.cameras.values() if cam.spec.rtsp]
        mounts = [{"token": p.token, "width": p.width, "height": p.height} for p in PROFILES]
        for cam in streaming:
            cam.rtsp_port = RTSP_PORT
        cams = [
            {"host": cam.spec.host, "port": RTSP_PORT, "username": cam.spec.username, "password": cam.spec.password,
             "mounts": mounts}
            for cam in streaming
        ]  # fmt: skip
        await asyncio.to_thread(self._rtsp.start, cams)

    async def stop(self) -> None:
        """Close every listener and connection, the control endpoint and the render threads."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._control_runner is not None:
            from camfleet.simulator.control import stop_control

            await stop_control(self._control_runner)
            self._control_runner = None
        for srv in self._servers.values():
            srv.set_trap(False)
            await srv.close()
        self._servers.clear()
        if self._shared is not None:
            self._shared.executor.shutdown(wait=True, cancel_futures=True)
            self._shared = None
        await asyncio.to_thread(self._rtsp.stop)

    async def _watch(self) -> None:
        """Open and close listeners as offline / reboot / uplink_down faults start and end."""
        while True:
            await asyncio.sleep(_TICK_S)
            try:
                await self._reconcile()
            except OSError as exc:  # e.g. the address was taken meanwhile: keep serving the others
                log.warning("simulator: cannot restore a listener: %s", exc)

    async def _reconcile(self) -> None:
        for cid in list(self._watched):
            cam, srv = self.cameras[cid], self._servers.get(cid)
            if srv is None:
                continue
            active = {f.kind for f in cam.active_faults()}
            if not active & LISTENER_KINDS and not any(f.kind in LISTENER_KINDS for f in cam.faults):
                self._watched.discard(cid)
            rebooting = "reboot" in active
            if rebooting:
                cam.rebooting = True
            elif cam.rebooting:
                cam.rebooting = False
                cam.boot_time = time.time()
                cam.subscriptions.clear()
            trapped = "uplink_down" in active
            if (rebooting or "offline" in active or trapped) and srv.server is not None:
                await srv.close()
            srv.set_trap(trapped and not rebooting and "offline" not in active)
            if cam.should_listen() and not trapped and srv.server is None:
                await srv.open()
