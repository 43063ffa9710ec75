"""Turn an inventory file and its credential groups into camera specs for the simulator."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from camfleet.config import load_credentials
from camfleet.errors import ConfigError, InventoryError, InventoryProblem
from camfleet.inventory.files import read_inventory_file
from camfleet.simulator.spec import SimCameraSpec


def specs_from_inventory(path: Path) -> list[SimCameraSpec]:
    """One spec per row that has a camera; every problem found is reported at once, by row.

    Rows without a camera (planned points) are skipped. Hosts must be loopback addresses: the simulator
    binds them, and it never listens anywhere else. Credentials come from the camera's group.
    """
    inventory = read_inventory_file(path)
    store = load_credentials(configured_file="", inventory_path=path)
    specs: list[SimCameraSpec] = []
    problems: list[InventoryProblem] = []
    for row in inventory.rows:
        camera_id = row.get("camera_id")
        if not camera_id:
            continue
        host, port_text, group = row.get("host"), row.get("port") or "80", row.get("credential")
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
            )
        )
    if problems:
        raise InventoryError(problems)
    if not specs:
        raise ConfigError(f"{inventory.path}: no camera rows (every row lacks a camera_id)")
    return specs
