"""The simulator's control endpoint (127.0.0.1 only): list, add and withdraw faults at run time, as JSON.

GET    /faults          → {"elapsed": s, "faults": [fault, …]}
POST   /faults          body: one fault table (as in a scenario; start/end count from *now*) → fault
DELETE /faults          → withdraw all
DELETE /faults/{id}     → withdraw one (404 when unknown)
GET    /cameras/{id}    → the camera's address, identity, boot time and faults in force (a recorder's channel: its
                          channel and recorder; a recorder by its id ``NVR@host:port``: its channels)
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from camfleet.errors import ConfigError
from camfleet.simulator.scenario import fault_from_table
from camfleet.sockets import bind_error

if TYPE_CHECKING:
    from camfleet.simulator.fleet import SimulatedFleet

_FLEET: web.AppKey[SimulatedFleet] = web.AppKey("fleet")


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data, ensure_ascii=False), content_type="application/json")


async def _list(request: web.Request) -> web.Response:
    fleet = request.app[_FLEET]
    return _json({"elapsed": round(fleet.clock.elapsed(), 3), "faults": [f.to_json() for f in fleet.faults]})


async def _add(request: web.Request) -> web.Response:
    fleet = request.app[_FLEET]
    try:
        table = await request.json()
    except ValueError:
        return _json({"error": "body is not JSON"}, 400)
    try:
        fault = fault_from_table(table, "request body")
    except ConfigError as exc:
        return _json({"error": str(exc)}, 400)
    now = fleet.clock.elapsed()
    fault.start += now
    if fault.end is not None:
        fault.end += now
    fleet.add_fault(fault)
    body = fault.to_json() | {"matched": len(fleet.select(fault))}
    return _json(body, 201)


async def _clear(request: web.Request) -> web.Response:
    request.app[_FLEET].clear_faults()
    return _json({"faults": []})


async def _remove(request: web.Request) -> web.Response:
    raw = request.match_info["fault_id"]
    if not raw.isdigit() or not request.app[_FLEET].remove_fault(int(raw)):
        return _json({"error": f"no fault {raw}"}, 404)
    return _json({"removed": int(raw)})


async def _camera(request: web.Request) -> web.Response:
    fleet, cid = request.app[_FLEET], request.match_info["camera_id"]
    cam = fleet.cameras.get(cid) or fleet.devices.get(cid)
    if cam is None:
        return _json({"error": "no such camera"}, 404)
    s = cam.spec
    return _json(
        {
            "camera_id": s.camera_id,
            "url": cam.base_url,
            "town": s.town,
            "village": s.village,
            "uplink": s.uplink,
            "vendor": s.vendor,
            "model": s.model,
            "firmware": s.firmware,
            "serial": s.serial,
            "boot_time": cam.boot_time,
            "listening": cam.listening,
            "faults": [f.id for f in cam.active_faults()],
        }
        | ({"channel": s.channel, "recorder": cam.recorder.spec.camera_id} if cam.recorder else {})
        | ({"channels": {n: ch.spec.camera_id for n, ch in cam.channels.items()}} if cam.channels else {})
        | ({"access": s.access, "rtsp_path": s.rtsp_path} if s.access == "rtsp" else {})
    )


async def start_control(fleet: SimulatedFleet, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve the control API; refuses any address outside loopback."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ConfigError(f"control endpoint {host}:{port}: must listen on a loopback address")
    app = web.Application()
    app[_FLEET] = fleet
    app.router.add_get("/faults", _list)
    app.router.add_post("/faults", _add)
    app.router.add_delete("/faults", _clear)
    app.router.add_delete("/faults/{fault_id}", _remove)
    app.router.add_get("/cameras/{camera_id}", _camera)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise OSError(exc.errno, f"control endpoint: {bind_error(host, port, exc)}") from None
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, f"http://{host}:{bound}"


async def stop_control(runner: object) -> None:
    """Stop the control API."""
    if isinstance(runner, web.AppRunner):
        await runner.cleanup()
