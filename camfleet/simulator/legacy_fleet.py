"""The legacy fleet as the field has it: some 农村小天网 cameras sit behind village recorders, some speak RTSP only.

``recorders_and_rtsp`` rewrites rows of a generated district in place (the camera count does not change):

- ``channels`` legacy cameras become channels of village NVRs of 4–16 channels each. A recorder takes the
  address of its first channel's camera (the others' addresses fall idle), keeps the district's port, one
  credential group (its first channel's) and the village's uplink. Its channel numbers are drawn from its
  capacity (4, 8 or 16 ports, the smallest that holds them), so a recorder of five cameras on an 8-port box
  may use channels 1, 2, 5, 7, 8: real recorders have empty ports. Recorders go first to villages that keep at
  least one standalone camera besides them, so that a dead recorder is told apart from a dead uplink.
- ``rtsp_only`` of the remaining standalone legacy cameras become RTSP-only (access ``rtsp``, the simulator's
  RTSP port, a Hikvision- or Dahua-style stream path).

Its own random stream (``Random("legacy-fleet:<seed>")``): the district's stream is untouched, so a district
without recorders or RTSP-only cameras is byte for byte what it was before these options existed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable

from camfleet.simulator.rtsp import RTSP_PORT

MIN_CHANNELS, MAX_CHANNELS = 4, 16
_CAPACITIES = (4, 8, 16)
#: Stream paths of RTSP-only cameras, by the vendors' URL conventions (main stream of the first channel).
RTSP_PATHS = ("/Streaming/Channels/101", "/cam/realmonitor?channel=1&subtype=0", "/media/video1")


def recorder_sizes(rng: random.Random, channels: int) -> list[int]:
    """``channels`` split into recorders of 4–16 channels (``channels`` must be 0 or at least 4)."""
    sizes: list[int] = []
    left = channels
    while left > 0:
        if left <= MAX_CHANNELS:
            size = left
        else:
            size = rng.randint(MIN_CHANNELS, MAX_CHANNELS)
            if left - size < MIN_CHANNELS:  # never leave a remainder too small for a recorder
                size = left - MIN_CHANNELS
        sizes.append(size)
        left -= size
    return sizes


def _villages(rows: list[dict[str, str]], legacy_program: str) -> dict[str, tuple[list[int], int]]:
    """Village → (row indexes of its legacy cameras, how many other cameras it has)."""
    found: dict[str, tuple[list[int], int]] = {}
    for index, row in enumerate(rows):
        if not row["camera_id"]:
            continue
        legacy, others = found.get(row["village"], ([], 0))
        if row["program"] == legacy_program:
            legacy.append(index)
        else:
            others += 1
        found[row["village"]] = (legacy, others)
    return found


def _place(sizes: Iterable[int], villages: dict[str, tuple[list[int], int]], order: list[str]) -> list[list[int]]:
    """Each recorder's camera rows: round-robin over the villages, keeping a standalone camera where possible."""
    free = {v: list(villages[v][0]) for v in order}
    recorders: list[list[int]] = []
    turn = 0
    for size in sizes:
        chosen = None
        for keep_one in (True, False):
            for step in range(len(order)):
                village = order[(turn + step) % len(order)]
                keep = 1 if keep_one and villages[village][1] == 0 else 0
                if len(free[village]) - keep >= size:
                    chosen = village
                    turn = (turn + step + 1) % len(order)
                    break
            if chosen is not None:
                break
        if chosen is None:
            raise ValueError(f"a recorder of {size} channels fits in no village: ask for fewer --nvr-channels")
        recorders.append(free[chosen][:size])
        del free[chosen][:size]
    return recorders


def recorders_and_rtsp(
    rows: list[dict[str, str]], *, channels: int, rtsp_only: int, seed: int, legacy_program: str
) -> None:
    """Turn ``channels`` legacy cameras into NVR channels and ``rtsp_only`` others into RTSP-only cameras."""
    legacy = sum(1 for r in rows if r["camera_id"] and r["program"] == legacy_program)
    if min(channels, rtsp_only) < 0 or 0 < channels < MIN_CHANNELS:
        raise ValueError(f"--nvr-channels must be 0 or at least {MIN_CHANNELS} (a recorder has 4–16 channels)")
    if channels + rtsp_only > legacy:
        raise ValueError(f"{channels} NVR channels + {rtsp_only} RTSP-only cameras exceed the {legacy} legacy cameras")
    rng = random.Random(f"legacy-fleet:{seed}")
    villages = _villages(rows, legacy_program)
    order = sorted(villages)
    rng.shuffle(order)
    in_recorder: set[int] = set()
    for members in _place(recorder_sizes(rng, channels), villages, order):
        first = rows[members[0]]
        capacity = next(c for c in _CAPACITIES if c >= len(members))
        numbers = sorted(rng.sample(range(1, capacity + 1), len(members)))
        for index, number in zip(members, numbers, strict=True):
            rows[index] |= {"host": first["host"], "port": first["port"], "credential": first["credential"],
                            "uplink": first["uplink"], "channel": str(number)}  # fmt: skip
        in_recorder.update(members)
    standalone = [i for i, r in enumerate(rows) if r["camera_id"] and r["program"] == legacy_program]
    for index in sorted(rng.sample([i for i in standalone if i not in in_recorder], rtsp_only)):
        rows[index] |= {"access": "rtsp", "port": str(RTSP_PORT), "rtsp_path": rng.choice(RTSP_PATHS)}
