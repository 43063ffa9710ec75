"""How often the cluster balancing rules settle badly over random fleets (docs/scaling.md, "release").

Draws N random fleets (1–60 uplinks of 1–40 cameras, 1–6 instances), runs 60 heartbeats with stale loads as
tests/test_scaling_balance.py does, and counts fleets with a unit left unowned, an instance further from the
fair share than the largest uplink, or a further round that still moves something.

Run: .venv/bin/python benchmarks/balance_fleets.py [N]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_scaling_balance import settle


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 4000
    rng = random.Random(12345)
    results = []
    for _ in range(count):
        sizes = [rng.randint(1, 40) for _ in range(rng.randint(1, 60))]
        n, seed = rng.randint(1, 6), rng.randint(0, 2**16)
        results.append(settle(sizes, n, seed))
    unowned = sum(not r.all_owned for r in results)
    off = sum(r.all_owned and not r.within_share for r in results)
    unstable = sum(r.all_owned and not r.stable for r in results)
    print(f"{count} fleets: unowned {unowned}, off by more than the largest uplink {off}, not stable {unstable}")


if __name__ == "__main__":
    main()
