"""Turn an inventory file and its credential groups into camera specs for the simulator."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from camfleet.config import load_credentials
from camfleet.errors import ConfigError, InventoryError, InventoryProblem
from camfleet.inventory.files import read_inventory_file
from camfleet.model import ACCESS_ALIASES, RTSP_PORT
from camfleet.simulator.spec import SimCameraSpec


def specs_from_inventory(path: Path) -> list[SimCameraSpec]:
    """One spec per row that has a camera; every problem found is reported at once, by row.

    Rows without a camera (planned points) are skipped. Hosts must be loopback addresses: the simulator
    binds them, and it never listens anywhere else. Credentials come from the camera's group. A row with a
    ``channel`` is a channel of the recorder at its host and port (the fleet serves the rows sharing an address as
    one NVR, each channel under its own camera id); a row with access ``rtsp`` is an RTSP-only camera whose
    stream is at ``rtsp_path`` on its port (554 when empty, as the inventory's validator has it).
    """
    inventory = read_inventory_file(path)
    store = load_credentials(configured_file="", inventory_path=path)
    specs: list[SimCameraSpec] = []
    problems: list[InventoryProblem] = []
    for row in inventory.rows:
        camera_id = row.get("camera_id")
        if not camera_id:
            continue
        host, group = row.get("host"), row.get("credential")
        found = ACCESS_ALIASES.get((row.get("access") or "onvif").upper()) or ACCESS_ALIASES.get(row.get("access"))
        access = found.value if found else row.get("access")
        port_text = row.get("port") or (str(RTSP_PORT) if access == "rtsp" else "80")
        channel_text = row.get("channel") or "0"
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            problems.append(
                InventoryProblem(inventory.path, row.line, "host", f"{host!r} is not a loopback address (127.0.0.0/8)")
            )
            continue
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            problems.append(InventoryProblem(inventory.path, row.line, "port", f"{port_text!r} is not a port"))
            continue
        if not channel_text.isdigit() or (access == "rtsp" and channel_text != "0"):
            problems.append(InventoryProblem(inventory.path, row.line, "channel", f"{channel_text!r} is not a channel"))
            continue
        if access not in ("onvif", "rtsp") or (access == "rtsp") != bool(row.get("rtsp_path")):
            problems.append(
                InventoryProblem(
                    inventory.path, row.line, "access", "access rtsp goes with an rtsp_path, onvif without"
                )
            )
            continue
        cred = store.get(group)
        if cred is None:
            problems.append(
                InventoryProblem(
                    inventory.path,
                    row.line,
                    "credential",
                    f"credential group {group!r} not found in {store.source or 'any file'}",
                )
            )
            continue
        specs.append(
            SimCameraSpec(
                camera_id=camera_id,
                host=host,
                port=int(port_text),
                username=cred.username,
                password=cred.password,
                town=row.get("town"),
                village=row.get("village"),
                uplink=row.get("uplink"),
                program=row.get("program"),
                channel=int(channel_text),
                access=access,
                rtsp_path=row.get("rtsp_path"),
            )
        )
    if problems:
        raise InventoryError(problems)
    if not specs:
        raise ConfigError(f"{inventory.path}: no camera rows (every row lacks a camera_id)")
    return specs
