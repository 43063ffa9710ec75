"""Several pollers on one PostgreSQL: a child-process runner (``python tests/scaling_helpers.py ...``) that
runs one Poller + Ownership pair and logs every probe and every ownership change, and the parent's side:
start/kill/stop instances by PID and read their logs back.

Each log line is JSON: ``{"p": [camera, kind, start, end]}`` for a probe, ``{"own": [t, [camera ids]]}``
when the owned set changes, ``{"leader": [t, bool]}``; at a graceful stop the instance's own ``/metrics``
text goes to ``<log>.metrics``. Times are ``time.time()`` of this one machine, comparable across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from poller_helpers import GROUP, fast_config, spec, target

from camfleet.model import CameraTarget
from camfleet.simulator import SimCameraSpec

NET = 70  # 127.70.x.y: this suite's loopback range
SIZES = (3, 4, 5, 6, 7)  # cameras per uplink, cycling: units of unequal weight


def cluster_specs(uplinks: int) -> list[SimCameraSpec]:
    """``uplinks`` villages of 3–7 cameras each, one uplink per village, on 127.70.x.y."""
    out: list[SimCameraSpec] = []
    index = 1
    for v in range(uplinks):
        for i in range(SIZES[v % len(SIZES)]):
            s = spec(f"S{v:02d}-{i}", NET, index, f"村{v:02d}")
            s.host = f"127.{NET}.{index // 250}.{index % 250 + 1}"
            out.append(s)
            index += 1
    return out


def targets_json(specs: list[SimCameraSpec], path: Path) -> Path:
    """The poller targets of ``specs`` as JSON for the children."""
    rows = [dataclasses.asdict(target(s)) for s in specs]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------- parent side


@dataclass
class Instance:
    """One child instance, known by its PID."""

    name: str
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    terminating: bool = False  # SIGTERM already sent

    def start(self, url: str, targets: Path, interval_s: float, lease_s: float, write_interval_s: float = 0.1) -> None:
        """Start the child (its own process group; stopped by PID only)."""
        cmd = [sys.executable, str(Path(__file__)), "--url", url, "--instance", self.name, "--targets", str(targets),
               "--log", str(self.log), "--interval", str(interval_s), "--lease", str(lease_s),
               "--write-interval", str(write_interval_s)]  # fmt: skip
        err = self.log.with_suffix(".stderr").open("ab")
        try:
            self.proc = subprocess.Popen(cmd, stdout=err, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            err.close()

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the child by its PID."""
        assert self.proc is not None
        os.kill(self.proc.pid, sig)
        if sig == signal.SIGTERM:
            self.terminating = True

    def kill(self) -> float:
        """SIGKILL (a crash: no lease is released); returns the time it died."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        return time.time()

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM and wait (graceful: leases released); SIGKILL if it does not end in time."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        if not self.terminating:
            # Once only: a second SIGTERM that lands after the child's loop has closed (its handler gone) would
            # kill it by the default action (exit -15) in the middle of a graceful stop.
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            return -9


@dataclass
class Logs:
    """What the instances wrote: probes, ownership intervals, leader flags."""

    probes: list[tuple[str, str, str, float, float]] = field(default_factory=list)  # inst, cam, kind, start, end
    owned: dict[str, list[tuple[float, frozenset[str]]]] = field(default_factory=lambda: defaultdict(list))
    leader: dict[str, list[tuple[float, bool]]] = field(default_factory=lambda: defaultdict(list))


def read_logs(instances: list[Instance]) -> Logs:
    """Parse every instance's log (a line cut short by SIGKILL is skipped)."""
    logs = Logs()
    for inst in instances:
        if not inst.log.exists():
            continue
        for line in inst.log.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "p" in rec:
                cam, kind, start, end = rec["p"]
                logs.probes.append((inst.name, cam, kind, start, end))
            elif "own" in rec:
                logs.owned[inst.name].append((rec["own"][0], frozenset(rec["own"][1])))
            elif "leader" in rec:
                logs.leader[inst.name].append((rec["leader"][0], rec["leader"][1]))
    logs.probes.sort(key=lambda p: p[3])
    return logs


def ownership_intervals(logs: Logs, ends: dict[str, list[float]]) -> dict[str, list[tuple[str, float, float]]]:
    """Per camera: (instance, from, to) intervals it was owned, from each instance's own log. An interval
    still open when the instance was killed closes at the kill time (``ends``: each run's end times)."""
    out: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for inst, changes in logs.owned.items():
        run_ends = sorted(ends.get(inst, []))
        since: dict[str, float] = {}
        for t, owned in changes:
            finished = [e for e in run_ends if e <= t]
            if finished:  # a new run began after a kill: close what the dead run held
                for cam, t0 in since.items():
                    out[cam].append((inst, t0, finished[-1]))
                since = {}
                run_ends = [e for e in run_ends if e > t]
            for cam in list(since):
                if cam not in owned:
                    out[cam].append((inst, since.pop(cam), t))
            for cam in owned:
                since.setdefault(cam, t)
        for cam, t0 in since.items():
            out[cam].append((inst, t0, run_ends[0] if run_ends else float("inf")))
    return out


# --------------------------------------------------------------------------------------------- child side


async def _run_instance(args: argparse.Namespace) -> None:
    from poller_helpers import PASSWORD, USER

    from camfleet.config import Credential, CredentialStore
    from camfleet.inventory.leases import LeaseStore
    from camfleet.inventory.store import Store
    from camfleet.runtime.ownership import Ownership, PollerBinding
    from camfleet.runtime.poller import Poller

    fd = os.open(args.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def write(rec: dict[str, Any]) -> None:  # one unbuffered write per line: a SIGKILL loses nothing written
        os.write(fd, (json.dumps(rec, ensure_ascii=False) + "\n").encode())

    targets = [CameraTarget(**row) for row in json.loads(Path(args.targets).read_text(encoding="utf-8"))]
    cfg = fast_config(liveness_interval_s=args.interval, jitter=0.0, identity_interval_s=600.0,
                      discovery_interval_s=600.0)  # fmt: skip
    # Picture checks are not what this runner measures, and three vision pools would triple the load.
    database = cfg.database.model_copy(update={"write_interval_s": args.write_interval})
    cfg = cfg.model_copy(update={"vision": cfg.vision.model_copy(update={"enabled": False}), "database": database})
    store = Store(args.url)
    poller = Poller(cfg, [], CredentialStore(groups={GROUP: Credential(GROUP, USER, PASSWORD)}), store)
    for kind, probe in list(poller.runner.probes.items()):

        async def recorded(t: CameraTarget, ctx: Any, _probe: Any = probe, _kind: str = str(kind)) -> Any:
            start = time.time()
            try:
                return await _probe(t, ctx)
            finally:
                write({"p": [t.camera_id, _kind, start, time.time()]})

        poller.runner.probes[kind] = recorded
    binding = PollerBinding(poller, targets, store)

    async def on_change(owned: frozenset[str]) -> None:
        # Logged before (old + new: an arrival counts from here) and after (a departure ends when drained).
        write({"own": [time.time(), sorted(owned | binding.owned)]})
        await binding.apply(owned)
        write({"own": [time.time(), sorted(owned)]})

    coord = Ownership(LeaseStore(args.url), args.instance, lease_s=args.lease, targets=targets, on_change=on_change)
    poller.writer.fence = coord.write_fence  # as service/cluster.py does
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGUSR1, lambda: dump_metrics(args.log + ".metrics", poller, coord))
    await poller.start()
    await coord.start()
    leader = None
    while not stop.is_set():
        if coord.leader != leader:
            leader = coord.leader
            write({"leader": [time.time(), leader]})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
    await coord.stop()
    write({"own": [time.time(), []]})
    await poller.stop()
    store.close()
    os.close(fd)


def dump_metrics(path: str, poller: Any, coord: Any) -> None:
    """This instance's /metrics text, as the service would render it, written to ``path``."""
    from camfleet.metrics.render import render_snapshot
    from camfleet.metrics.snapshot import MetricsSnapshot, PollerStats

    stats = PollerStats(db_write_refused=poller.fleet.counters.write_refused)
    snapshot = MetricsSnapshot(targets=dict(poller.fleet.targets), states=dict(poller.fleet.states), points=[],
                               cameras=[], poller=stats, cluster=coord.stats(), taken_at=time.time())  # fmt: skip
    tmp = Path(path + ".tmp")
    tmp.write_bytes(render_snapshot(snapshot))
    tmp.replace(path)


def main() -> None:
    """Entry point of one child instance."""
    parser = argparse.ArgumentParser()
    for name in ("--url", "--instance", "--targets", "--log"):
        parser.add_argument(name, required=True)
    parser.add_argument("--interval", type=float, required=True)
    parser.add_argument("--lease", type=float, required=True)
    parser.add_argument("--write-interval", type=float, default=0.1)
    asyncio.run(_run_instance(parser.parse_args()))


if __name__ == "__main__":
    main()
