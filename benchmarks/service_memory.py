"""The service's memory against the unit's ``MemoryMax=``: ``camfleet run`` over the default simulated district and
over one twice its size, each inside a memory cgroup limited as deploy/systemd/camfleet.service limits it (1 GiB).

Target (#23): the service's steady memory (poller + picture workers) with room for twice the cameras under the
limit. Per size, as an engineer deploys it: ``camfleet simulate inventory`` (the default district, or every count
multiplied by ``--scale``), ``db upgrade``, ``inventory import``, ``camfleet simulate fleet`` beside it, then
``camfleet run`` with the default config (SQLite) started inside a fresh cgroup whose limit is ``--limit-mib``;
its picture workers are its children, so the limit covers them as ``MemoryMax=`` does. Every ``--every`` seconds:
the RSS of the service process and of its whole tree (from /proc), the cgroup's charge (anonymous memory and page
cache apart: the SQLite file's cache is charged too, and the kernel reclaims it before it kills anything), and the
frames judged so far (``camfleet_probes_total{kind="frame"}`` from its /metrics). At the end: peak and steady (the
median over the last ``--steady-minutes``) of each, the cgroup's own peak, how many processes the kernel's OOM
killer took in it, and the ``CamfleetPollerMemoryHigh`` alert's value (``process_resident_memory_bytes /
camfleet_cgroup_memory_max_bytes`` as the service exports them).

The simulator serves ``--frame-pool`` pre-drawn scenes per camera resolution instead of drawing every picture
(drawing costs it ~20 ms of CPU a picture, which no real camera charges; the service's work is the same).

Run (the district listens on 127.10.x.y: keep it in a network namespace of its own; root, to make the cgroup):

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python benchmarks/service_memory.py \\
        [--scales 1,2] [--minutes 20] [--limit-mib 1024]'
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from cli_full_sweep import CAMFLEET, _rss, run, tree

#: ``camfleet simulate inventory``'s defaults, the default district (5,500 cameras): multiplied by ``--scale``.
DISTRICT = {"--towns": 20, "--villages": 128, "--points": 336, "--cameras": 500, "--legacy": 5000}
PORT = 9870
FRAMES = re.compile(r'^camfleet_probes_total\{kind="frame",result="[^"]*"\} (\S+)$', re.M)
GAUGE = r"^{}(?:\{{\}})? (\S+)$"


class Cgroup:
    """A memory cgroup of its own (v2 ``memory.max`` or v1 ``memory.limit_in_bytes``) with a limit."""

    def __init__(self, name: str, limit: int) -> None:
        v2 = Path("/sys/fs/cgroup")
        if "memory" in _read(v2 / "cgroup.controllers").split():
            self.v2, self.path = True, v2 / name
            self.path.mkdir()
            (self.path / "memory.max").write_text(str(limit))
            (self.path / "memory.swap.max").write_text("0")
        else:
            self.v2, self.path = False, v2 / "memory" / name
            self.path.mkdir()
            (self.path / "memory.limit_in_bytes").write_text(str(limit))
        self.limit = limit

    def charge(self) -> tuple[int, int, int]:
        """Bytes charged now: in all, anonymous, page cache."""
        stat = dict(line.split() for line in _read(self.path / "memory.stat").splitlines() if line)
        if self.v2:
            return int(_read(self.path / "memory.current")), int(stat["anon"]), int(stat["file"])
        return int(_read(self.path / "memory.usage_in_bytes")), int(stat["total_rss"]), int(stat["total_cache"])

    def peak(self) -> int:
        return int(_read(self.path / ("memory.peak" if self.v2 else "memory.max_usage_in_bytes")) or 0)

    def oom_kills(self) -> int:
        text = _read(self.path / ("memory.events" if self.v2 else "memory.oom_control"))
        found = re.search(r"^oom_kill (\d+)$", text, re.M)
        return int(found.group(1)) if found else 0

    def remove(self) -> None:
        for _ in range(50):  # the last processes may take a moment to leave
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.2)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _pss(pid: int) -> int:
    """Proportional set size: pages shared by the workers and the service counted once in all (RSS counts them in
    each process)."""
    found = re.search(r"^Pss:\s+(\d+) kB$", _read(Path(f"/proc/{pid}/smaps_rollup")), re.M)
    return int(found.group(1)) * 1024 if found else 0


def scrape() -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics", timeout=5) as reply:
            return str(reply.read().decode("utf-8"))
    except OSError:
        return ""


def gauge(text: str, name: str) -> float | None:
    found = re.search(GAUGE.format(re.escape(name)), text, re.M)
    return float(found.group(1)) if found else None


@dataclass
class Sample:
    at: float
    main: int
    total: int
    pss: int
    charged: int
    anon: int
    cache: int
    frames: float


@dataclass
class Run:
    cameras: int
    samples: list[Sample] = field(default_factory=list)
    peak_cgroup: int = 0
    oom_kills: int = 0
    alive: bool = True
    alert_value: float | None = None


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> None:
    """Stop ``proc``'s process group: ``sig``, then SIGKILL after 30 s. The group even when ``proc`` has ended (killed
    by the OOM killer, its worker processes live on)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def measure(scale: float, args: argparse.Namespace) -> Run:
    work = Path(tempfile.mkdtemp(prefix="service-memory-"))
    env = dict(os.environ)
    env.update(
        CAMFLEET_DATABASE_URL=f"sqlite:///{work / 'camfleet.db'}",
        CAMFLEET_CREDENTIALS_FILE=str(work / "district.credentials.toml"),
        CAMFLEET_CONFIG=str(work / "camfleet.toml"),
    )
    (work / "camfleet.toml").write_text("# the defaults\n", encoding="utf-8")
    counts = [str(x) for key, n in DISTRICT.items() for x in (key, max(1, round(n * scale)))]
    run([CAMFLEET, "simulate", "inventory", "--out", "district.csv", *counts], env, work)
    run([CAMFLEET, "db", "upgrade"], env, work)
    run([CAMFLEET, "inventory", "import", "district.csv"], env, work)
    cameras = sum(1 for _ in (work / "district.csv").open(encoding="utf-8")) - 1
    # Files, not pipes: a pipe nobody reads fills up, and the process blocks on its next log line.
    fleet_out, service_err = (work / "fleet.out").open("w+"), (work / "service.err").open("w+")
    fleet = subprocess.Popen(
        [CAMFLEET, "simulate", "fleet", "--inventory", "district.csv", "--control", "127.0.0.1:0",
         "--frame-pool", str(args.frame_pool)],
        env=env, cwd=work, stdout=fleet_out, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    group = Cgroup(f"camfleet-bench-{os.getpid()}-{time.monotonic_ns()}", args.limit_mib * 2**20)
    result = Run(cameras)
    service: subprocess.Popen[str] | None = None
    try:
        for _ in range(600):
            line = (work / "fleet.out").read_text()
            if "\n" in line or fleet.poll() is not None:
                break
            time.sleep(0.5)
        if "serving" not in line:
            raise SystemExit(f"the simulated fleet did not start: {line!r}")
        procs = group.path / "cgroup.procs"
        service = subprocess.Popen(
            ["sh", "-c", f'echo $$ > "{procs}" && exec "{CAMFLEET}" run --listen 127.0.0.1:{PORT}'],
            env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=service_err, text=True, start_new_session=True,
        )  # fmt: skip
        print(
            f"# {cameras} cameras, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load {os.getloadavg()[0]:.1f}, "
            f"limit {args.limit_mib} MiB (cgroup v{2 if group.v2 else 1})",
            flush=True,
        )
        t0 = time.monotonic()
        next_line = 0.0
        while (now := time.monotonic() - t0) < args.minutes * 60 and service.poll() is None:
            pids = tree(service.pid)
            text = scrape()
            charged, anon, cache = group.charge()
            sample = Sample(
                now, _rss(service.pid), sum(_rss(p) for p in pids), sum(_pss(p) for p in pids), charged, anon,
                cache,
                sum(float(x) for x in FRAMES.findall(text)) or (result.samples[-1].frames if result.samples else 0.0),
            )  # fmt: skip
            result.samples.append(sample)
            if now >= next_line:
                print(
                    f"  {now / 60:5.1f} min: frames {sample.frames:7.0f}; RSS service {sample.main / 2**20:4.0f}, "
                    f"with workers {sample.total / 2**20:4.0f} MiB (PSS {sample.pss / 2**20:4.0f}); "
                    f"cgroup {charged / 2**20:4.0f} MiB (anon "
                    f"{anon / 2**20:.0f}, cache {cache / 2**20:.0f}); load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                next_line += 60
            limit = gauge(text, "camfleet_cgroup_memory_max_bytes")
            if text and limit:
                result.alert_value = (gauge(text, "process_resident_memory_bytes") or 0) / limit
            time.sleep(args.every)
        result.alive = service.poll() is None
        result.peak_cgroup, result.oom_kills = group.peak(), group.oom_kills()
    finally:
        if service is not None:
            stop(service)
            if service.returncode not in (0, None, -signal.SIGTERM):
                print((work / "service.err").read_text()[-1500:], file=sys.stderr)
        stop(fleet, signal.SIGINT)
        fleet_out.close()
        service_err.close()
        log = (work / "service.err").read_text(errors="replace")
        print(f"  service log: {len(log.splitlines())} lines, {len(log.encode()) / 1024:.0f} KiB", flush=True)
        group.remove()
        subprocess.run(["rm", "-rf", str(work)], check=False)
    return result


def report(result: Run, args: argparse.Namespace) -> str:
    mib = 2**20
    steady = [s for s in result.samples if s.at >= result.samples[-1].at - args.steady_minutes * 60]

    def med(attr: str) -> float:
        return statistics.median(getattr(s, attr) for s in steady) / mib

    def top(attr: str) -> float:
        return max(getattr(s, attr) for s in result.samples) / mib

    limit = args.limit_mib
    alert = f"{result.alert_value:.2f}" if result.alert_value is not None else "n/a"
    return (
        f"| {result.cameras:,} | {result.samples[-1].at / 60:.0f} min, {result.samples[-1].frames:,.0f} frames | "
        f"{med('main'):.0f} / {top('main'):.0f} | {med('total'):.0f} / {top('total'):.0f} | "
        f"{med('pss'):.0f} / {top('pss'):.0f} | "
        f"{med('anon'):.0f} / {result.peak_cgroup / mib:.0f} | {top('total') / limit:.2f} | {alert} | "
        f"{'running' if result.alive else 'stopped'}, {result.oom_kills} OOM kills |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,2", help="district sizes, as multiples of the default district")
    parser.add_argument("--minutes", type=float, default=20, help="how long the service runs at each size")
    parser.add_argument("--steady-minutes", type=float, default=5, help="the last minutes taken as steady")
    parser.add_argument("--limit-mib", type=int, default=1024, help="the cgroup's limit (the unit's MemoryMax=1G)")
    parser.add_argument("--every", type=float, default=5, help="seconds between samples")
    parser.add_argument("--frame-pool", type=int, default=64, help="pre-drawn scenes the simulator serves")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    runs = [measure(float(s), args) for s in args.scales.split(",")]
    print(
        "\n| cameras | ran | service RSS MiB, steady / peak | with workers, steady / peak | PSS of both, steady / peak "
        "| cgroup anon steady / cgroup peak (cache included) | peak with workers / limit | alert at the end | end |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for each in runs:
        print(report(each, args))


if __name__ == "__main__":
    main()
