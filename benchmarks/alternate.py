"""Timing two calls alternately in one run, so that both see the same load (a part against the whole it is in)."""

from __future__ import annotations

import time
from collections.abc import Callable


def alternately(whole: Callable[[], object], part: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Seconds per call of ``whole`` and of ``part``, called one after the other ``runs`` times."""
    wholes, parts = [], []
    for _ in range(runs):
        start = time.perf_counter()
        whole()
        wholes.append(time.perf_counter() - start)
        start = time.perf_counter()
        part()
        parts.append(time.perf_counter() - start)
    return wholes, parts
