"""`camfleet coverage --format json` end to end on SQLite: the synthetic district with 30 days of history.

Target (coverage issue): under 2 s. The database is filled through the real importer and store; the command
runs as a user runs it (a child process). Two baselines in the same run: `camfleet --version` (interpreter
and CLI start-up, which every command pays) and the store's bare load of the same 30 days of transitions.

Run: .venv/bin/python benchmarks/coverage_cli.py [--repeat 5] [--transitions 50000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coverage_report import district_db

from camfleet.inventory.store import Store


def timed(repeat: int, cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Median and max wall time of ``cmd`` over ``repeat`` runs (each must exit 0)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=300)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--transitions", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, inventory, transitions = district_db(Path(tmp), args.transitions)
        with Store(url) as store:
            t0 = time.perf_counter()
            loaded = store.load_transitions(time.time() - 30 * 86400)
            load_s = time.perf_counter() - t0
        env = {**os.environ, "CAMFLEET_DATABASE_URL": url}
        cli = [sys.executable, "-m", "camfleet.cli"]
        start_med, _ = timed(args.repeat, [*cli, "--version"], env)
        cov_med, cov_max = timed(args.repeat, [*cli, "coverage", "--format", "json", "--window", "30d"], env)
        print(f"cameras {len(inventory.cameras)}, transitions {len(transitions)} ({len(loaded)} in window)")
        print(f"baseline: camfleet --version (start-up)          {start_med:6.2f} s")
        print(f"baseline: store.load_transitions(30 d)           {load_s:6.2f} s")
        print(f"camfleet coverage --format json --window 30d     {cov_med:6.2f} s median, {cov_max:.2f} s max")
        print(f"ratio to start-up: {cov_med / start_med:.1f}x; target < 2 s: {'met' if cov_max < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
