"""Keep full garbage collections short once the poller holds a whole fleet.

CPython's full (generation-2) collection walks every container object of the process. A poller of 5,500
cameras holds hundreds of thousands of them for its whole life — one ONVIF client, HTTP and Digest state,
a health state and a picture memory per camera — and a full collection walking them all stalls the event
loop for a few hundred milliseconds (`benchmarks/gc_full_pause.py`, docs/poller.md), every few dozen
sweeps. ``gc.freeze()`` moves every object alive into a permanent generation the collector never walks.

The poller freezes once every camera has had each of its checks (``Poller``: one first window after start,
or after an inventory change). What is frozen is still freed by reference counting; only *cyclic* garbage
among it would stay, so the poller thaws before the events that drop long-lived objects with cycles (a
camera's client replaced or removed, the session closed) and freezes again one window later.

What is *not* frozen still holds cyclic garbage the poller makes all the time: on Python 3.11 every closed
connection leaves its asyncio transport in a cycle with its own bound read callback (with its socket and
``TransportSocket``: CPython gh-100348, mended in 3.12), and zeep builds an lxml ``ElementMaker`` per request
whose closures hold their own scope. Young cycles die in the young collections; a transport that lived
through them (a kept-alive connection) reaches the oldest generation and waits for a full collection, which
``GC_THRESHOLDS`` and CPython's own rule (no full collection until a quarter of the old objects are new) make
rare: soaks at 1,000 cameras grew by 0.07–0.34 MiB a minute that way (docs/reliability.md, "Soak"). So once the
fleet is frozen the poller also runs one full collection every ``FULL_COLLECTION_S``: it walks only what came
after the freeze; its pause is logged and exported (``camfleet_gc_full_collection_last_seconds``).
"""

from __future__ import annotations

import gc
import time

from camfleet.heap import trim_heap


def freeze_fleet() -> int:
    """Collect the young generations, then freeze everything they and the old one hold; the number of
    objects frozen.

    Not a full collection first: that would be the very pause this avoids. Garbage already in the old
    generation is frozen with the rest — once, and not for good: ``thaw()`` hands it back, and the first full
    collection after a thaw frees it. The freeze itself is a list splice.
    """
    gc.collect(1)
    gc.freeze()
    return gc.get_freeze_count()


def thaw() -> None:
    """Give every frozen object back to the collector (a list splice: no pause now; the next full
    collection walks them again, and frees the cycles dropped since)."""
    gc.unfreeze()


def timed_freeze() -> tuple[int, float]:
    """``freeze_fleet()`` and the CPU milliseconds it took (for the log)."""
    start = time.process_time()
    frozen = freeze_fleet()
    return frozen, (time.process_time() - start) * 1000


#: How often the running poller runs a full collection once its fleet is frozen (seconds). Between two, the
#: closed transports of 5 minutes wait (~0.4 MiB at 1,000 cameras with the soak's faults); each walks only
#: what was promoted since the freeze (docs/reliability.md, "Soak", has its pause).
FULL_COLLECTION_S = 300.0


def timed_collect() -> tuple[int, float, float]:
    """One full collection of what is not frozen: the unreachable objects it found, its wall and CPU
    milliseconds (the wall time is the loop's stall, the CPU time what the collection itself cost)."""
    wall, cpu = time.perf_counter(), time.process_time()
    found = gc.collect()
    return found, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def timed_trim() -> float:
    """``trim_heap()`` (camfleet/heap.py) and the wall milliseconds it took: the loop waits for it."""
    wall = time.perf_counter()
    trim_heap()
    return (time.perf_counter() - wall) * 1000
