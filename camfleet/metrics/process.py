"""The poller's own process: prometheus_client's standard collectors, and the memory limit of the poller's cgroup.

``process_*`` (resident and virtual memory, CPU seconds, start time, open and maximum file descriptors),
``python_info`` and ``python_gc_*`` are what prometheus_client's default registry serves from any Python program,
so the usual dashboards and alert rules work unchanged; camfleet takes them from the library's own collectors
and writes them with its fast renderer. ``camfleet_cgroup_memory_max_bytes`` is the limit the kernel enforces on
the unit (``MemoryMax=``): the alert on resident memory compares with it, so a drop-in that raises the limit
moves the alert too.

``read_process()`` runs when the snapshot is taken, on the event loop, in the poller's own process (the renderer
may be another process): 0.2 ms, ~6 ms with 11,000 descriptors open (``benchmarks/process_metrics_cost.py``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from camfleet.metrics.family import Family, counter, gauge
from camfleet.metrics.snapshot import ProcessFamily, ProcessStats

#: Above this a cgroup v1 ``memory.limit_in_bytes`` means "no limit" (the kernel writes 2^63 rounded to pages).
_V1_UNLIMITED = 2**62


class _ProcessCollector(ProcessCollector):
    """prometheus_client's ``ProcessCollector``, working under the unit's ``ProcSubset=pid`` too.

    That setting hides ``/proc/stat``, where the library reads the boot time; without it the library exports
    nothing at all. The boot clock gives the same time (now minus the time since boot).
    """

    def _boot_time(self) -> float:
        try:
            found = super()._boot_time()  # type: ignore[no-untyped-call]
        except OSError:
            found = None
        return float(found) if found else time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)


@dataclass(frozen=True, slots=True)
class ProcessReader:
    """Reads the standard process, platform and GC families and the cgroup's memory limit.

    ``proc`` and ``cgroup_root`` are for the tests (a /proc without ``stat``, a cgroup tree of files).
    """

    registry: CollectorRegistry
    proc: Path
    cgroup_root: Path

    @classmethod
    def create(cls, proc: str = "/proc", cgroup_root: str = "/sys/fs/cgroup") -> ProcessReader:
        """A reader with its own registry (never the library's global one, which nothing here serves)."""
        registry = CollectorRegistry(auto_describe=False)
        _ProcessCollector(proc=proc, registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
        return cls(registry, Path(proc), Path(cgroup_root))

    def read(self) -> ProcessStats:
        """One reading of every family and of the memory limit."""
        families = []
        for metric in self.registry.collect():
            name = f"{metric.name}_total" if metric.type == "counter" else metric.name
            samples = [s for s in metric.samples if s.name == name]  # a counter's _created is not served
            labelnames = tuple(samples[0].labels) if samples else ()
            rows = tuple((tuple(s.labels[n] for n in labelnames), float(s.value)) for s in samples)
            families.append(ProcessFamily(name, metric.type, metric.documentation, labelnames, rows))
        return ProcessStats(tuple(families), self.memory_max())

    def memory_max(self) -> float | None:
        """The memory limit of this process's cgroup in bytes (v2 ``memory.max``, v1 ``memory.limit_in_bytes``);
        None when there is none or it cannot be read."""
        try:
            lines = (self.proc / "self" / "cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if controllers == "":
                found = self._limit(self.cgroup_root, path, "memory.max")
            elif "memory" in controllers.split(","):
                found = self._limit(self.cgroup_root / "memory", path, "memory.limit_in_bytes")
            else:
                continue
            if found is not None:
                return found
        return None

    @staticmethod
    def _limit(mount: Path, path: str, name: str) -> float | None:
        # Inside a cgroup namespace the path printed may not exist under the mount: its root is then ours.
        for directory in (mount / path.lstrip("/"), mount):
            try:
                text = (directory / name).read_text().strip()
            except OSError:
                continue
            if text == "max" or not text.isdigit() or int(text) >= _V1_UNLIMITED:
                return None
            return float(text)
        return None


_reader: ProcessReader | None = None


def read_process() -> ProcessStats:
    """This process's standard families and memory limit now (the reader is made on first use)."""
    global _reader
    if _reader is None:
        _reader = ProcessReader.create()
    return _reader.read()


def process_families(stats: ProcessStats) -> list[Family]:
    """The families read, in the library's order, then the cgroup's memory limit (no series when unlimited)."""
    out: list[Family] = []
    for fam in stats.families:
        made = (
            counter(fam.name, fam.help, *fam.labelnames)
            if fam.type == "counter"
            else gauge(fam.name, fam.help, *fam.labelnames)
        )
        for labels, value in fam.rows:
            made.add(labels, value)
        out.append(made)
    limit = gauge(
        "camfleet_cgroup_memory_max_bytes",
        "Memory limit of the poller's cgroup (the unit's MemoryMax=), bytes; no series when unlimited.",
    )
    if stats.memory_max_bytes is not None:
        limit.add((), stats.memory_max_bytes)
    return [*out, limit]
