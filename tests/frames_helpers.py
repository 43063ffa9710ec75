"""Helpers for the picture-check tests: simulated cameras on 127.50.x.y at local noon, a store-backed setup."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inventory_helpers import write_csv
from poller_helpers import GROUP, PASSWORD, TOWN, USER, inventory_rows

from camfleet.config import CamfleetConfig, Credential, CredentialStore
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.validate import validate_file
from camfleet.simulator import Fault, SimCameraSpec, SimulatedFleet
from camfleet.simulator.device_ops import TZ_OFFSET_S

VILLAGE = "画面村"


def specs(net: int, ids: list[str]) -> list[SimCameraSpec]:
    """One simulated camera per id at 127.50.``net``.(i+1):8080, one uplink each (no uplink rule)."""
    return [
        SimCameraSpec(cid, f"127.50.{net}.{i + 1}", 8080, USER, PASSWORD, town=TOWN, village=VILLAGE,
                      uplink=f"up-{cid}")
        for i, cid in enumerate(ids)
    ]  # fmt: skip


def at_noon(fleet: SimulatedFleet) -> None:
    """Put every camera's clock at local 12:00 today: day pictures whatever the hour the test runs."""
    local = time.time() + TZ_OFFSET_S
    skew = local - (local % 86400) + 12 * 3600 - local
    fleet.add_fault(Fault("clock_skew", cameras=tuple(fleet.cameras), skew=skew))


def config(**overrides: Any) -> CamfleetConfig:
    """Short deadlines, quick writes, sweeps that finish learning; settings from ``overrides`` (section → values)."""
    values: dict[str, Any] = {
        "poller": {"call_timeout_s": 2.0, "connect_timeout_s": 1.0, "recheck_delay_s": 0.05,
                   "degraded_latency_s": 1.5, "liveness_interval_s": 2.0, "identity_interval_s": 60.0,
                   "discovery_interval_s": 60.0, "frame_timeout_s": 10.0},
        "database": {"write_interval_s": 0.1},
        # Most tests need baselines learned within one sweep; the default pace (one frame per sweep) has its own
        # tests (tests/test_sweep_pace.py).
        "vision": {"sweep_learns": True},
    }  # fmt: skip
    for section, extra in overrides.items():
        values.setdefault(section, {}).update(extra)
    return CamfleetConfig.model_validate(values)


def credentials() -> CredentialStore:
    """The simulator's credential group."""
    return CredentialStore(groups={GROUP: Credential(GROUP, USER, PASSWORD)})


def import_specs(db_url: str, tmp_path: Path, fleet_specs: list[SimCameraSpec]) -> None:
    """Import the cameras into the database as an inventory."""
    import_inventory(db_url, validate_file(write_csv(tmp_path / "inv.csv", inventory_rows(fleet_specs))))


async def until(cond: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Wait (bounded) for ``cond``; fail naming ``what``."""
    for _ in range(int(seconds / 0.05)):
        if cond():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def slow_echo(delay_s: float, value: int) -> int:
    """A picklable worker function for pool tests: sleeps, then returns ``value``."""
    time.sleep(delay_s)
    return value
