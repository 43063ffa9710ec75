"""Helpers for the poller tests: simulated cameras on 127.30.x.y, a fast test config, credentials."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from camfleet.config import CamfleetConfig, Credential, CredentialStore
from camfleet.model import CameraTarget
from camfleet.simulator import SimCameraSpec, SimulatedFleet

USER, PASSWORD = "admin", "Poller-pass-7"
GROUP = "batch-2022"
TOWN = "东山镇"


def spec(camera_id: str, net: int, index: int, village: str, *, port: int = 8080) -> SimCameraSpec:
    """One simulated camera at 127.30.``net``.``index`` (``net`` keeps tests' address ranges apart)."""
    return SimCameraSpec(
        camera_id, f"127.30.{net}.{index}", port, USER, PASSWORD, town=TOWN, village=village, uplink=f"{TOWN}/{village}"
    )


def village_specs(net: int, villages: dict[str, int]) -> list[SimCameraSpec]:
    """``villages`` name → camera count; ids are ``V<village#>-<i>``, addresses numbered across the net."""
    out: list[SimCameraSpec] = []
    index = 1
    for v, (name, count) in enumerate(villages.items()):
        for i in range(count):
            out.append(spec(f"V{net:03d}{v}-{i}", net, index, name))
            index += 1
    return out


def target(s: SimCameraSpec, credential: str = GROUP) -> CameraTarget:
    """The poller's view of a simulated camera."""
    return CameraTarget(
        camera_id=s.camera_id,
        host=s.host,
        port=s.port,
        uplink=s.uplink or f"{s.town}/{s.village}",
        credential=credential,
        town=s.town,
        village=s.village,
    )


def credentials(password: str = PASSWORD) -> CredentialStore:
    """A credential store holding the simulator's group."""
    return CredentialStore(groups={GROUP: Credential(GROUP, USER, password)})


def fast_config(**poller: Any) -> CamfleetConfig:
    """Short deadlines so blackholed cameras cost ~1 s, tiny re-check delay, quick writes."""
    values: dict[str, Any] = {
        "call_timeout_s": 1.5,
        "connect_timeout_s": 0.7,
        "recheck_delay_s": 0.05,
        "degraded_latency_s": 0.6,
        "liveness_interval_s": 2.0,
        "identity_interval_s": 30.0,
        "discovery_interval_s": 30.0,
        "jitter": 0.1,
    }
    values.update(poller)
    return CamfleetConfig.model_validate({"poller": values, "database": {"write_interval_s": 0.1}})


@asynccontextmanager
async def running(fleet: SimulatedFleet) -> AsyncIterator[SimulatedFleet]:
    """Start the simulated fleet and stop it whatever happens."""
    await fleet.start()
    try:
        yield fleet
    finally:
        await fleet.stop()


def inventory_rows(specs: list[SimCameraSpec]) -> list[dict[str, str]]:
    """Inventory rows (canonical columns) for simulated cameras, one point per camera."""
    return [
        {"town": s.town, "village": s.village, "point_id": f"P-{s.camera_id}", "point_name": "村口",
         "program": "一村一探头", "point_status": "accepted", "camera_id": s.camera_id, "host": s.host,
         "port": str(s.port), "credential": GROUP, "uplink": s.uplink}
        for s in specs
    ]  # fmt: skip


def write_credentials(path: Path, password: str = PASSWORD) -> Path:
    """A 0600 credentials file with the simulator's group."""
    path.write_text(f'[groups.{GROUP}]\nusername = "{USER}"\npassword = "{password}"\n', encoding="utf-8")
    path.chmod(0o600)
    return path


async def camfleet_cli(*args: str, env: dict[str, str], timeout: float = 120.0) -> tuple[int, str, str]:
    """Run ``python -m camfleet.cli ARGS`` in a child process (the simulator keeps serving on our loop)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "camfleet.cli", *args, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, out.decode(), err.decode()
