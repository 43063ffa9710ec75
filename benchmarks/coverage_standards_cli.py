"""`camfleet coverage --format json` with coverage standards against without, in the same run.

The synthetic district (5,500 cameras) with 30 days of history in SQLite, as ``coverage_cli.py`` builds it.
Two configs: one with no standard (the baseline: today's command) and one with two standards, the pilot
towns' high standard (村口, 主路口, 学校, 完好率 ≥ 95 %, availability ≥ 90 %) and a district-wide one
(村口 in every village, 完好率 ≥ 80 %), which judges every village over the window. The two commands
alternate, so that the machine's load falls on both alike. Target (standards issue): under 2 s.

``--against DIR``: also time the command with standards from another checkout of camfleet (``git worktree add
DIR COMMIT``), interleaved with the others, for a before/after ratio measured in the same run (both must be at
the same schema revision: the database is built once, by this checkout).

Run: .venv/bin/python benchmarks/coverage_standards_cli.py [--repeat 5] [--transitions 50000] [--against DIR]
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

STANDARDS = """
[[coverage.standard]]
name = "高标准全覆盖"
towns = ["城关镇", "双溪镇"]
require_site_types = ["村口", "主路口", "学校"]
min_working_rate = 0.95
min_availability = 0.9

[[coverage.standard]]
name = "村口全覆盖"
require_site_types = ["村口"]
min_working_rate = 0.8
"""


def run(cmd: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, bytes]:
    """Wall time and stdout of ``cmd`` (which must exit 0)."""
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, env=env, timeout=300, cwd=cwd)
    return time.perf_counter() - t0, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--transitions", type=int, default=50_000)
    parser.add_argument("--against", type=Path, help="another camfleet checkout to time the same command from")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, inventory, transitions = district_db(Path(tmp), args.transitions)
        plain, with_std = Path(tmp) / "plain.toml", Path(tmp) / "standards.toml"
        plain.write_text("", encoding="utf-8")
        with_std.write_text(STANDARDS, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "CAMFLEET_CONFIG"} | {"CAMFLEET_DATABASE_URL": url}
        cmd = [sys.executable, "-m", "camfleet.cli", "--config"]
        tail = ["coverage", "--format", "json", "--window", "30d"]
        base: list[float] = []
        std: list[float] = []
        other: list[float] = []
        # `python -m` puts the working directory first on the path: run the other checkout from a neutral one.
        other_env = env | {"PYTHONPATH": str(args.against.resolve())} if args.against else env
        for _ in range(args.repeat):
            base.append(run([*cmd, str(plain), *tail], env)[0])
            seconds, out = run([*cmd, str(with_std), *tail], env)
            std.append(seconds)
            if args.against:
                other.append(run([*cmd, str(with_std), *tail], other_env, cwd=tmp)[0])
        print(f"cameras {len(inventory.cameras)}, transitions {len(transitions)}; JSON with standards {len(out)} bytes")
        b_med, s_med = statistics.median(base), statistics.median(std)
        print(f"baseline: coverage --format json, no standard  {b_med:6.2f} s median, {max(base):.2f} max")
        print(f"coverage --format json, two standards          {s_med:6.2f} s median, {max(std):.2f} max")
        ratio = s_med / b_med
        print(f"ratio {ratio:.2f}x; target < 2 s: {'met' if max(std) < 2 else 'NOT met'} (max)")
        if other:
            o_med = statistics.median(other)
            print(f"{args.against}: two standards             {o_med:6.2f} s median, {max(other):.2f} max")
            print(f"this checkout / {args.against}: {s_med / o_med:.2f}x")


if __name__ == "__main__":
    main()
