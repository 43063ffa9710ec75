"""`camfleet sweep --once --checks full`, twice in a row, over the default simulated district with the default
config, as a new user runs it: wall time, CPU seconds and peak resident memory of the command and its picture
workers together (the process tree, sampled every 0.2 s from /proc).

Target (#23): the first sweep, which meets every camera for the first time, within 2× the second; peak RSS of
the process and its workers ≤ 400 MiB.

Run (the district listens on 127.10.x.y: keep it in a network namespace of its own):

    unshare --net sh -c 'ip link set lo up; exec .venv/bin/python benchmarks/cli_full_sweep.py [--sweeps 2] \\
        [--timeline 10]'

The simulated fleet (``camfleet simulate fleet``) runs as a child beside it; its CPU is reported apart.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from full_sweep_meter import cpu_seconds, rss_mib

CAMFLEET = str(Path(sys.executable).with_name("camfleet"))


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def _rss(pid: int) -> int:
    try:
        return int(rss_mib(pid) * 2**20)
    except OSError:  # the process ended between two samples
        return 0


class Sampler(threading.Thread):
    """Peak RSS of a process tree (sum over its processes), and each process's CPU seconds as last seen."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.peak_main = 0
        self.cpu: dict[int, float] = {}
        self.stop = threading.Event()
        self.samples: list[tuple[float, int, int]] = []  # (seconds since start, command RSS, with workers)

    def run(self) -> None:
        start = time.monotonic()
        while not self.stop.is_set():
            pids = tree(self.pid)
            total, main = sum(_rss(p) for p in pids), _rss(self.pid)
            self.peak, self.peak_main = max(self.peak, total), max(self.peak_main, main)
            self.samples.append((time.monotonic() - start, main, total))
            for p in pids:
                self.cpu[p] = max(self.cpu.get(p, 0.0), cpu_seconds(p))
            self.stop.wait(0.2)


def timeline(samples: list[tuple[float, int, int]], step_s: float) -> str:
    """The peak RSS (command, with workers) of each ``step_s`` window: where in the sweep the memory goes."""
    windows: dict[int, tuple[int, int]] = {}
    for t, main, total in samples:
        old = windows.get(int(t // step_s), (0, 0))
        windows[int(t // step_s)] = (max(old[0], main), max(old[1], total))
    return "\n".join(
        f"  {w * step_s:6.0f} s: command {m / 2**20:4.0f} MiB, with workers {t / 2**20:4.0f} MiB"
        for w, (m, t) in sorted(windows.items())
    )


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> None:
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sweeps", type=int, default=2)
    parser.add_argument("--config", default="", help="a config file to use instead of the defaults")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--timeline", type=float, default=0, help="print the peak RSS of every so many seconds")
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = Path(tempfile.mkdtemp(prefix="cli-sweep-"))
    env = dict(os.environ)
    env.update(
        CAMFLEET_DATABASE_URL=f"sqlite:///{work / 'camfleet.db'}",
        CAMFLEET_CREDENTIALS_FILE=str(work / "district.credentials.toml"),
        CAMFLEET_CONFIG=args.config or str(work / "camfleet.toml"),
    )
    if not args.config:
        (work / "camfleet.toml").write_text("# the defaults\n", encoding="utf-8")
    run([CAMFLEET, "simulate", "inventory", "--out", "district.csv"], env, work)
    run([CAMFLEET, "db", "upgrade"], env, work)
    run([CAMFLEET, "inventory", "import", "district.csv"], env, work)
    fleet = subprocess.Popen(
        [CAMFLEET, "simulate", "fleet", "--inventory", "district.csv", "--control", "127.0.0.1:0"],
        env=env, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert fleet.stdout is not None
        line = fleet.stdout.readline()
        if "serving" not in line:
            raise SystemExit(f"the simulated fleet did not start: {line!r}")
        print(f"# {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load {os.getloadavg()[0]:.1f}; {line.strip()}", flush=True)
        rows = []
        for n in range(1, args.sweeps + 1):
            sim_cpu0 = sum(cpu_seconds(p) for p in tree(fleet.pid))
            t0 = time.monotonic()
            proc = subprocess.Popen(
                [CAMFLEET, "sweep", "--once", "--checks", "full", "--json"],
                env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            sampler = Sampler(proc.pid)
            sampler.start()
            _out, err = proc.communicate(timeout=1800)
            wall = time.monotonic() - t0
            sampler.stop.set()
            sampler.join()
            sim_cpu = sum(cpu_seconds(p) for p in tree(fleet.pid)) - sim_cpu0
            if proc.returncode not in (0, 1):
                print(err[-2000:], file=sys.stderr)
                raise SystemExit(f"sweep {n} failed with exit code {proc.returncode}")
            main_cpu = sampler.cpu.get(proc.pid, 0.0)
            workers_cpu = sum(v for p, v in sampler.cpu.items() if p != proc.pid)
            rows.append((n, wall, main_cpu, workers_cpu, sim_cpu, sampler.peak_main, sampler.peak))
            print(
                f"sweep {n}: {wall:.1f} s wall; CPU s: command {main_cpu:.1f}, workers {workers_cpu:.1f}, "
                f"simulator {sim_cpu:.1f}; peak RSS command {sampler.peak_main / 2**20:.0f} MiB, "
                f"with workers {sampler.peak / 2**20:.0f} MiB; load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            if args.timeline > 0:
                print(timeline(sampler.samples, args.timeline), flush=True)
        if len(rows) >= 2:
            print(f"first / second: {rows[0][1] / rows[1][1]:.2f}×")
    finally:
        os.killpg(fleet.pid, signal.SIGINT)
        try:
            fleet.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(fleet.pid, signal.SIGKILL)
            fleet.wait()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(work)], check=False)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
