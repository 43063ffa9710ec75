"""What cyclic garbage the running poller leaves for the collector, and which cycles it comes in.

The soak's poller and simulated district (``soak.py``: its faults, intervals and SQLite) run for a while with
the service's collector settings; then everything frozen is thawed and one full collection runs with
``gc.DEBUG_SAVEALL``, so every object only the cyclic collector could free lands in ``gc.garbage`` instead of
being freed. The garbage is split into its connected groups (objects that refer to one another), each group
named by its notable types (an asyncio transport, a socket, an exception, a frame...); the script prints the
commonest groups, their size, and the types overall. It also prints the collector's statistics (how many full
collections ran) and, with ``--walk``, the referrers chain of one transport found in the garbage.

Run: .venv/bin/python benchmarks/gc_garbage.py [--cameras 1000] [--seconds 180] [--out gc-garbage.json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from soak import district, scenario, soak_config

from camfleet.config import load_credentials
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.store import Store
from camfleet.inventory.validate import validate_file
from camfleet.runtime.poller import Poller
from camfleet.simulator.process import SimulatorProcess

#: Types that name a group of garbage (the rest are dicts, lists, cells, bound methods holding them together).
NOTABLE = (
    "_SelectorSocketTransport", "socket", "TransportSocket", "ResponseHandler", "ClientResponse", "ClientRequest",
    "Connection", "Task", "Future", "frame", "traceback", "TimeoutError", "ConnectionRefusedError", "OSError",
    "ClientConnectorError", "ServerDisconnectedError", "ClientOSError", "DeviceError", "CancelledError",
    "_Element", "Document", "AsyncClient", "CameraClient", "coroutine", "function",
)  # fmt: skip


def type_name(obj: object) -> str:
    return type(obj).__name__


def groups(garbage: list[object]) -> list[list[object]]:
    """The connected groups of the garbage (edges: ``gc.get_referents`` within the garbage), by union-find."""
    index = {id(o): i for i, o in enumerate(garbage)}
    parent = list(range(len(garbage)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, obj in enumerate(garbage):
        for ref in gc.get_referents(obj):
            j = index.get(id(ref))
            if j is not None:
                a, b = find(i), find(j)
                if a != b:
                    parent[a] = b
    out: dict[int, list[object]] = {}
    for i, obj in enumerate(garbage):
        out.setdefault(find(i), []).append(obj)
    return list(out.values())


def signature(group: list[object]) -> str:
    """The group's notable types with their counts, e.g. ``_SelectorSocketTransport×1 socket×1``."""
    names = Counter(type_name(o) for o in group)
    notable = [f"{n}×{names[n]}" for n in NOTABLE if n in names]
    return " ".join(notable) or "other: " + " ".join(f"{n}×{c}" for n, c in names.most_common(4))


def size_of(group: list[object]) -> int:
    return sum(sys.getsizeof(o) for o in group)


async def run(cameras: int, seconds: int, walk: bool) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="camfleet-gcgarbage-"))
    inventory, rows = district(work, cameras)
    scen, _injected = scenario(rows, max(5, seconds // 60 + 3), work)
    url = f"sqlite:///{work}/soak.db"
    import_inventory(url, validate_file(inventory))
    sim = SimulatorProcess(inventory, scenario=scen, control=("127.0.0.1", 19871), log_file=work / "sim.log")
    sim.start()
    store = Store(url)
    poller = Poller(soak_config(url), store.load_targets(), load_credentials("", inventory), store)
    try:
        await poller.start()
        await asyncio.sleep(seconds)
        stats = gc.get_stats()
        frozen = gc.get_freeze_count()
        old_gen = len(gc.get_objects(2))
        gc.unfreeze()  # what the poller's freeze put away is looked at too
        gc.set_debug(gc.DEBUG_SAVEALL)
        t0 = time.perf_counter()
        found = gc.collect()
        pause_ms = (time.perf_counter() - t0) * 1000
        gc.set_debug(0)
        garbage = list(gc.garbage)
        gc.garbage.clear()
        by_group = groups(garbage)
        sigs: Counter[str] = Counter()
        sig_bytes: Counter[str] = Counter()
        for g in by_group:
            sig = signature(g)
            sigs[sig] += 1
            sig_bytes[sig] += size_of(g)
        chain: list[str] = []
        if walk:
            transport = next((o for o in garbage if type_name(o) == "_SelectorSocketTransport"), None)
            if transport is not None:
                chain = [f"{type_name(r)}: {str(r)[:120]}" for r in gc.get_referrers(transport) if r is not garbage]
                chain += [f"state: closing={transport._closing} sock={transport._sock} "  # type: ignore[attr-defined]
                          f"protocol={transport._protocol}"]  # type: ignore[attr-defined]  # fmt: skip
            closures = [o for o in garbage if type_name(o) == "cython_function_or_method"]
            chain += sorted({f"cython closure: {getattr(o, '__module__', '?')}.{getattr(o, '__qualname__', '?')}"
                             for o in closures})  # fmt: skip
        result: dict[str, object] = {
            "cameras": cameras, "seconds": seconds, "collections_by_generation": [s["collections"] for s in stats],
            "frozen_before": frozen, "old_generation_before": old_gen, "garbage_objects": found,
            "garbage_groups": len(by_group), "full_collection_ms": round(pause_ms, 1),
            "groups": [{"signature": s, "count": n, "bytes": sig_bytes[s]} for s, n in sigs.most_common(25)],
            "types": Counter(type_name(o) for o in garbage).most_common(30), "transport_referrers": chain,
        }  # fmt: skip
        del garbage, by_group
        return result
    finally:
        await poller.stop()
        sim.stop()
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--walk", action="store_true", help="print the referrers of one garbage transport")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    result = asyncio.run(run(args.cameras, args.seconds, args.walk))
    text = json.dumps(result, indent=1)
    print(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
