"""The virtual fleet: thousands of cameras in one process, each on its own loopback address and port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from camfleet.errors import ConfigError
from camfleet.simulator.auth import DigestAuth
from camfleet.simulator.camera import LISTENER_KINDS, FleetClock, SimCamera
from camfleet.simulator.camera_server import CameraServer, Shared, trap_sockets
from camfleet.simulator.fleet_parts import check_channels, fault_target, rtsp_entry, rtsp_state
from camfleet.simulator.frame_pool import FramePool
from camfleet.simulator.nvr import make_recorder
from camfleet.simulator.rtsp import RtspServers
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
        #: what listens on HTTP: standalone ONVIF cameras by camera id, recorders by ``nvr.recorder_id``
        self.devices: dict[str, SimCamera] = {}
        seen: dict[tuple[str, int], str] = {}
        channels: dict[tuple[str, int], list[SimCameraSpec]] = {}
        ids: set[str] = set()
        for spec in specs:
            if spec.camera_id in ids:
                raise ConfigError(f"camera {spec.camera_id!r}: listed twice")
            ids.add(spec.camera_id)
            if spec.channel and spec.access == "onvif":
                channels.setdefault((spec.host, spec.port), []).append(spec)
                continue
            other = seen.setdefault((spec.host, spec.port), spec.camera_id)
            if other != spec.camera_id:
                raise ConfigError(f"camera {spec.camera_id!r}: {spec.host}:{spec.port} is already {other!r}'s")
            self.cameras[spec.camera_id] = cam = SimCamera(with_identity(spec, seed), seed, self.clock)
            # The field's cameras: most legacy ones offer no events; the scenario may make some lie or stay silent.
            offered = scenario.events_offered if scenario and scenario.events_offered is not None else events_offered
            forced = scenario.events.get(spec.camera_id, "") if scenario else ""
            cam.events = forced or events_mode(spec, seed, offered)
            if spec.access == "onvif":  # an RTSP-only camera has no HTTP side at all
                self.devices[spec.camera_id] = cam
        for address, group in channels.items():
            if address in seen:
                raise ConfigError(f"recorder {address[0]}:{address[1]}: the address is also camera {seen[address]!r}'s")
            recorder = make_recorder(check_channels(group), seed, self.clock)
            self.devices[recorder.spec.camera_id] = recorder
            for channel in recorder.channels.values():
                self.cameras[channel.spec.camera_id] = channel
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
        self._rtsp_state: dict[str, tuple[str, bool]] = {}
        self._rtsp_traps: dict[str, list[socket.socket]] = {}
        self._rtsp_only = [cam for cam in self.cameras.values() if cam.spec.access == "rtsp"]
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
            # Standalone ONVIF cameras only: a recorder's channels and RTSP-only cameras have their own ways.
            plain = sorted(s.camera_id for s in specs if not s.channel and s.access == "onvif")
            chosen = random.Random(seed).sample(plain, min(rtsp, len(plain)))
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
        if fault.village or fault.uplink or fault.town or fault.host:
            wanted = {(k, v) for k, v in (("village", fault.village), ("uplink", fault.uplink), ("town", fault.town),
                                          ("host", fault.host)) if v}  # fmt: skip
            for cid, cam in self.cameras.items():
                s = cam.spec
                if wanted & {("village", s.village), ("uplink", s.uplink), ("town", s.town), ("host", s.host)}:
                    chosen[cid] = cam
        if fault.fraction:
            ids = sorted(self.cameras)
            k = round(fault.fraction * len(ids))
            for cid in random.Random(fault.seed).sample(ids, k):
                chosen[cid] = self.cameras[cid]
        return list(chosen.values())

    def add_fault(self, fault: Fault) -> None:
        """Apply ``fault`` (times from the fleet's start) to the cameras it selects; gives it an id.

        Through a recorder's channel, device-level kinds reach the recorder (``nvr.DEVICE_KINDS``); ``nvr_down``
        and ``video_loss`` reach nothing but recorders and their channels.
        """
        fault.id = self._next_fault_id
        self._next_fault_id += 1
        self.faults.append(fault)
        selected = self.select(fault)
        for cam in selected:
            target = fault_target(cam, fault.kind)
            if target is None or fault in target.faults:
                continue
            target.faults.append(fault)
            if fault.kind in LISTENER_KINDS and target.spec.camera_id in self.devices:
                self._watched.add(target.spec.camera_id)
        log.info("fault added: id=%s kind=%s cameras=%d", fault.id, fault.kind, len(selected))

    def _everyone(self) -> list[SimCamera]:
        return [*self.cameras.values(), *(d for d in self.devices.values() if d.channels)]

    def remove_fault(self, fault_id: int) -> bool:
        """Withdraw one fault; False when no fault has that id."""
        fault = next((f for f in self.faults if f.id == fault_id), None)
        if fault is None:
            return False
        self.faults.remove(fault)
        for cam in self._everyone():
            if fault in cam.faults:
                cam.faults.remove(fault)
        return True

    def clear_faults(self) -> None:
        """Withdraw every fault (cameras come back at the next tick)."""
        self.faults.clear()
        for cam in self._everyone():
            cam.faults.clear()

    # -- life cycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind every camera (and the control endpoint); fault windows count from now."""
        self.clock.started = time.monotonic()
        executor = ThreadPoolExecutor(2, thread_name_prefix="sim-frame")
        self._shared = Shared(executor, BaseCache(), DigestAuth(), self.pool)
        try:
            for cid, cam in self.devices.items():
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
        log.info("simulator started: cameras=%d devices=%d control=%s", len(self.cameras), len(self.devices),
                 self.control_url)  # fmt: skip

    async def _start_rtsp(self) -> None:
        """Start the RTSP child process for the cameras that stream (blocking start-up runs in a thread)."""
        # A recorder's channels stream nothing (their GetStreamUri names port 554, unserved; see ``nvr``).
        streaming = [
            c for c in self.cameras.values() if (c.spec.rtsp and c.recorder is None) or c.spec.access == "rtsp"
        ]
        await asyncio.to_thread(self._rtsp.start, [rtsp_entry(cam) for cam in streaming])
        self._rtsp_state.clear()
        await self._reconcile_rtsp()

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
        for trap in self._rtsp_traps.values():
            for sock in trap:
                sock.close()
        self._rtsp_traps.clear()

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
            cam, srv = self.devices[cid], self._servers.get(cid)
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
            down = bool(active & {"offline", "nvr_down"})
            if (rebooting or down or trapped) and srv.server is not None:
                await srv.close()
            srv.set_trap(trapped and not rebooting and not down)
            if cam.should_listen() and not trapped and srv.server is None:
                await srv.open()
        await self._reconcile_rtsp()

    async def _reconcile_rtsp(self) -> None:
        """RTSP-only cameras: tell the RTSP child which addresses are off the air or refuse the password."""
        if self._rtsp.proc is None:
            return
        for cam in self._rtsp_only:
            cid, (host, port) = cam.spec.camera_id, (cam.spec.host, cam.spec.port)
            state = rtsp_state(cam)
            if state[0] != "trap" and cid in self._rtsp_traps:
                for sock in self._rtsp_traps.pop(cid):  # before the child listens there again
                    sock.close()
            if self._rtsp_state.get(cid, ("up", True)) != state:
                self._rtsp_state[cid] = state
                self._rtsp.control(host, port, up=state[0] == "up", accept=state[1])
            if state[0] == "trap" and cid not in self._rtsp_traps:
                with contextlib.suppress(OSError):  # the child may not have let go of the port yet: next tick
                    self._rtsp_traps[cid] = trap_sockets(host, port)
