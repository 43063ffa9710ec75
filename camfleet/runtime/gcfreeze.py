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
"""

from __future__ import annotations

import gc
import time


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
