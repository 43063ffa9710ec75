"""Fault scenarios: which fault hits which cameras, and when. Read from TOML or built in code.

A scenario file is a list of ``[[fault]]`` tables (see docs/simulator.md). Times are durations from the
simulator's start; a fault with no ``end`` lasts until the simulator stops or the fault is cleared.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camfleet.errors import ConfigError

#: Fault kinds and the kind-specific keys each accepts (with their parser).
NETWORK_KINDS = ("offline", "blackhole", "slow", "auth", "clock_skew", "reboot", "uplink_down")
IMAGE_KINDS = ("covered", "spray", "defocus", "displaced", "frozen", "black", "glare", "ir_cut")
PROTOCOL_KINDS = ("snapshot_error", "malformed_xml", "oversized")
#: A recorder's faults: ``nvr_down`` takes the whole recorder off the network; ``video_loss`` blacks one channel.
RECORDER_KINDS = ("nvr_down", "video_loss")
KINDS = NETWORK_KINDS + IMAGE_KINDS + PROTOCOL_KINDS + RECORDER_KINDS
_SELECTORS = ("cameras", "village", "uplink", "town", "host", "fraction", "seed")
_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "slow": ("latency", "bandwidth"),
    "clock_skew": ("skew",),
    "reboot": ("down",),
    "snapshot_error": ("status",),
    "oversized": ("size",),
    "covered": ("material",),
    "defocus": ("blur",),
    "spray": ("paint",),
}
#: Allowed values of the string settings (kept here: the renderer's lists are in ``frame``, which needs OpenCV).
_CHOICES = {
    "material": ("dark_cloth", "grey_cloth", "translucent", "leaf"),
    "blur": ("disc", "gaussian"),
    "paint": ("mist", "burst"),
}
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31557600.0}
_DURATION = re.compile(r"^\s*([+-]?)((?:\d+(?:\.\d*)?(?:ms|s|m|h|d|w|y)\s*)+)$")
_PART = re.compile(r"(\d+(?:\.\d*)?)(ms|s|m|h|d|w|y)")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*([kKmMgG]?)i?[bB]?\s*$")


def parse_duration(value: object, where: str) -> float:
    """Seconds in ``"30s"``, ``"-2h"``, ``"1h30m"``, ``"500ms"``, ``"3y"`` or a bare number of seconds."""
    if isinstance(value, bool):
        raise ConfigError(f'{where}: expected a duration like "30s", got {value!r}')
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and (m := _DURATION.match(value)):
        total = sum(float(n) * _UNITS[u] for n, u in _PART.findall(m.group(2)))
        return -total if m.group(1) == "-" else total
    raise ConfigError(f'{where}: expected a duration like "30s", "-2h" or "5m", got {value!r}')


def parse_size(value: object, where: str) -> int:
    """Bytes in ``"20MB"``, ``"512k"`` or a bare integer."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and (m := _SIZE.match(value)):
        scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2).lower()]
        return int(float(m.group(1)) * scale)
    raise ConfigError(f'{where}: expected a size like "20MB" or a number of bytes, got {value!r}')


@dataclass
class Fault:
    """One fault: its kind, the cameras it selects, its time window and kind-specific settings.

    Selectors combine as "any of": ``cameras`` ids, every camera of ``village``/``uplink``/``town``, every camera
    at ``host`` (a recorder's address selects all its channels), and ``fraction`` of the whole fleet drawn with
    ``seed``. Settings: ``latency``/``bandwidth`` (slow,
    seconds and bytes/s), ``skew`` (clock_skew, seconds), ``down`` (reboot, seconds), ``status``
    (snapshot_error), ``size`` (oversized, bytes), ``material`` (covered), ``blur`` (defocus), ``paint`` (spray); an
    empty ``material``/``blur``/``paint`` is drawn per camera by its seed.
    """

    kind: str
    cameras: tuple[str, ...] = ()
    village: str = ""
    uplink: str = ""
    town: str = ""
    host: str = ""
    fraction: float = 0.0
    seed: int = 0
    start: float = 0.0
    end: float | None = None
    latency: float = 3.0
    bandwidth: int = 0
    skew: float = 0.0
    down: float = 20.0
    status: int = 500
    size: int = 20 * 1024 * 1024
    material: str = ""
    blur: str = ""
    paint: str = ""
    id: int = 0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def active(self, elapsed: float) -> bool:
        """Whether the fault is in force ``elapsed`` seconds after the simulator started."""
        return self.start <= elapsed and (self.end is None or elapsed < self.end)

    def to_json(self) -> dict[str, Any]:
        """The fault as the control API shows it."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "start": self.start, "end": self.end}
        for key in _SELECTORS:
            value = getattr(self, key)
            if value:
                out[key] = list(value) if key == "cameras" else value
        for key in _KIND_KEYS.get(self.kind, ()):
            out[key] = getattr(self, key)
        return out


@dataclass
class Scenario:
    """A list of faults, the cameras' own events (``[events]``), and the file they came from (for messages).

    ``events_offered``: share of cameras offering events, drawn by the fleet seed (None: by programme);
    ``events``: camera id → events mode (``truthful``, ``silent``, ``lying``, ``none``), overriding the draw.
    """

    faults: list[Fault] = field(default_factory=list)
    source: str = ""
    events_offered: float | None = None
    events: dict[str, str] = field(default_factory=dict)


_EVENT_MODES = ("truthful", "silent", "lying", "none")


def read_events_table(table: object, where: str, scenario: Scenario) -> None:
    """``[events]``: ``offered = 0.2`` and/or lists of camera ids per mode (``silent = ["C1"]``)."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    unknown = sorted(set(table) - {"offered", *_EVENT_MODES})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; expected offered, {', '.join(_EVENT_MODES)}")
    if "offered" in table:
        offered = table["offered"]
        if isinstance(offered, bool) or not isinstance(offered, int | float) or not 0 <= offered <= 1:
            raise ConfigError(f"{where}.offered: expected a number between 0 and 1, got {offered!r}")
        scenario.events_offered = float(offered)
    for mode in _EVENT_MODES:
        ids = table.get(mode, [])
        if not isinstance(ids, list) or not all(isinstance(c, str) for c in ids):
            raise ConfigError(f"{where}.{mode}: expected a list of camera ids")
        for cid in ids:
            if scenario.events.setdefault(cid, mode) != mode:
                raise ConfigError(f"{where}.{mode}: camera {cid!r} is already {scenario.events[cid]!r}")


def fault_from_table(table: object, where: str) -> Fault:
    """Build a ``Fault`` from one TOML/JSON table; errors name ``where`` and the key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: must be a table")
    kind = table.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    allowed = {"kind", "start", "end", *_SELECTORS, *_KIND_KEYS.get(kind, ())}
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) for kind {kind!r}: {', '.join(unknown)}")
    fault = Fault(kind=kind)
    _read_selectors(fault, table, where)
    fault.start = parse_duration(table.get("start", 0), f"{where}.start")
    if "end" in table:
        fault.end = parse_duration(table["end"], f"{where}.end")
        if fault.end <= fault.start:
            raise ConfigError(f"{where}.end: must come after start")
    if "latency" in table:
        fault.latency = parse_duration(table["latency"], f"{where}.latency")
    if "bandwidth" in table:
        fault.bandwidth = parse_size(table["bandwidth"], f"{where}.bandwidth")
    if "skew" in table:
        fault.skew = parse_duration(table["skew"], f"{where}.skew")
    if "down" in table:
        fault.down = parse_duration(table["down"], f"{where}.down")
    if "size" in table:
        fault.size = parse_size(table["size"], f"{where}.size")
    for key, choices in _CHOICES.items():
        if key in table:
            if table[key] not in choices:
                raise ConfigError(f"{where}.{key}: expected one of {', '.join(choices)}, got {table[key]!r}")
            setattr(fault, key, table[key])
    if "status" in table:
        status = table["status"]
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise ConfigError(f"{where}.status: expected an HTTP error status (400–599), got {status!r}")
        fault.status = status
    return fault


def _read_selectors(fault: Fault, table: dict[str, Any], where: str) -> None:
    cameras = table.get("cameras", [])
    if not isinstance(cameras, list) or not all(isinstance(c, str) for c in cameras):
        raise ConfigError(f"{where}.cameras: expected a list of camera ids")
    fault.cameras = tuple(cameras)
    for key in ("village", "uplink", "town", "host"):
        value = table.get(key, "")
        if not isinstance(value, str):
            raise ConfigError(f"{where}.{key}: expected a string")
        setattr(fault, key, value)
    fraction = table.get("fraction", 0.0)
    if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 <= fraction <= 1:
        raise ConfigError(f"{where}.fraction: expected a number between 0 and 1, got {fraction!r}")
    fault.fraction = float(fraction)
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"{where}.seed: expected an integer")
    fault.seed = seed
    if not (fault.cameras or fault.village or fault.uplink or fault.town or fault.host or fault.fraction):
        raise ConfigError(f"{where}: selects no camera (give cameras, village, uplink, town, host or fraction)")


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario TOML file: ``[[fault]]`` tables. Errors name the file and the key path."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read scenario: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{p}: scenario is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"fault", "events"})
    if unknown:
        raise ConfigError(f"{p}: unknown top-level key(s) {', '.join(unknown)}; expected [[fault]] tables, [events]")
    tables = data.get("fault", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{p}: fault: expected [[fault]] tables")
    faults = [fault_from_table(t, f"{p}: fault[{i}]") for i, t in enumerate(tables)]
    scenario = Scenario(faults=faults, source=str(p))
    if "events" in data:
        read_events_table(data["events"], f"{p}: events", scenario)
    return scenario
