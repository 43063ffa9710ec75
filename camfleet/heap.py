"""Keep the C heap from holding the memory of pictures long gone (glibc only; elsewhere a no-op).

A full sweep passes every camera's snapshot through the poller: a few hundred KiB of JPEG bytes read, pickled
to a picture worker, freed. glibc serves blocks that large with ``mmap`` and unmaps them on ``free`` — until the
first is freed: its *dynamic* threshold then rises to that block's size, and every later picture comes from the
heap, whose holes among long-lived objects (clients, states) it keeps. After two full sweeps of 1,500 cameras the
poller's Python objects were ~70 MiB and the process 462 MiB; with the threshold fixed, 358 MiB
(`benchmarks/poller_memory.py`). What stays free in the heap all the same is handed back by a trim after each
full sweep and with the service's periodic full collection (~20 ms for ~300 MiB of holes).

Not in the picture workers: their decoded pictures and feature arrays are just over the threshold, and mapping
each anew cost them CPU (docs/poller.md, "Memory"). ``mallopt`` and ``malloc_trim`` are glibc's; ``ctypes`` is
the only way to them from Python.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
from functools import cache

#: ``mallopt`` parameter (glibc's malloc.h).
M_MMAP_THRESHOLD = -3
#: Blocks at least this large are mapped on their own and unmapped when freed (glibc's starting value, kept
#: fixed; a 1080p snapshot is 150–600 KiB, a 720p one 60–300 KiB).
MMAP_THRESHOLD = 128 * 1024


@cache
def _libc() -> ctypes.CDLL | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


def tune_heap() -> bool:
    """Fix the mmap threshold, process-wide; whether the C library took it."""
    libc = _libc()
    return libc is not None and bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def trim_heap() -> bool:
    """Hand the heap's free pages back to the system; whether any were."""
    libc = _libc()
    return libc is not None and bool(libc.malloc_trim(0))
