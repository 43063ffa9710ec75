"""The poller's process series: prometheus_client's standard families, written by the fast renderer, working under
the unit's ``ProcSubset=pid``, with the cgroup's memory limit beside them."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from camfleet.metrics.process import ProcessReader, process_families, read_process
from camfleet.metrics.render import render_families
from camfleet.metrics.snapshot import ProcessStats
from camfleet.runtime.fleet import FleetState
from camfleet.service.views import Inventory, ServiceStats, metrics_snapshot

ROOT = Path(__file__).resolve().parent.parent


def _shape(text: str) -> dict[str, tuple[str, frozenset[frozenset[str]]]]:
    """Family name → (type, the label-name sets of its samples) of a text document."""
    shape = {}
    for fam in text_string_to_metric_families(text):
        shape[fam.name] = (fam.type, frozenset(frozenset(s.labels) for s in fam.samples))
    return shape


def _values(text: str) -> dict[str, float]:
    return {s.name: s.value for fam in text_string_to_metric_families(text) for s in fam.samples if not s.labels}


def test_same_families_as_prometheus_clients_default_collectors() -> None:
    """The fast renderer writes the families prometheus_client's own process, platform and GC collectors serve, with
    the same names, types and labels, and python_info and process_max_fds with the same values."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    theirs = generate_latest(registry).decode()
    ours = render_families(process_families(read_process()))
    expected = _shape(theirs)
    assert {"process_resident_memory_bytes", "process_open_fds", "process_max_fds", "process_cpu_seconds"} <= set(
        expected
    )
    assert {n: v for n, v in _shape(ours).items() if n != "camfleet_cgroup_memory_max_bytes"} == expected
    assert _values(ours)["process_max_fds"] == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    info = [s for f in text_string_to_metric_families(ours) for s in f.samples if s.name == "python_info"]
    assert info and info[0].labels["version"] == ".".join(map(str, sys.version_info[:3]))


def test_open_descriptors_and_memory_are_this_process() -> None:
    """process_open_fds follows the descriptors this process opens, and resident memory is this process's."""
    before = _values(render_families(process_families(read_process())))["process_open_fds"]
    pipes = [os.pipe() for _ in range(50)]
    try:
        during = _values(render_families(process_families(read_process())))
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)
    assert during["process_open_fds"] == pytest.approx(before + 100, abs=5)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert 10 * 2**20 < during["process_resident_memory_bytes"] <= rss_kib * 1024


def test_hidden_proc_stat_still_gives_every_process_series(tmp_path: Path) -> None:
    """Under ProcSubset=pid /proc/stat is hidden: the library alone then exports no process series at all, camfleet's
    reader still exports them, with the same start time as from the full /proc."""
    (tmp_path / "self").symlink_to(f"/proc/{os.getpid()}")  # a /proc with this process and no stat
    alone = CollectorRegistry()
    ProcessCollector(proc=str(tmp_path), registry=alone)
    assert "process_" not in generate_latest(alone).decode()
    hidden = _values(render_families(process_families(ProcessReader.create(proc=str(tmp_path)).read())))
    full = _values(render_families(process_families(read_process())))
    assert hidden["process_open_fds"] > 0 and hidden["process_resident_memory_bytes"] > 0
    assert hidden["process_start_time_seconds"] == pytest.approx(full["process_start_time_seconds"], abs=2)


def test_real_proc_subset_pid_mount_exports_the_process_series() -> None:
    """In a mount namespace with /proc mounted as the unit mounts it (subset=pid, hidepid=invisible), a poller process
    still exports process_* with its true start time (the library alone exports none there)."""
    unshare = shutil.which("unshare")
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs unshare and root to mount a /proc with subset=pid")
    code = (
        "import json, os; from camfleet.metrics.process import read_process;"
        "assert not os.path.exists('/proc/stat');"
        "s = read_process(); print(json.dumps({f.name: f.rows[0][1] for f in s.families if f.rows}))"
    )
    script = f'mount -t proc -o subset=pid,hidepid=invisible proc /proc && exec {sys.executable} -c "{code}"'
    result = subprocess.run(
        [unshare, "--mount", "--pid", "--fork", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    if result.returncode != 0 and "Operation not permitted" in result.stderr:
        pytest.skip(f"cannot make a mount namespace here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["process_open_fds"] > 0 and values["process_resident_memory_bytes"] > 0
    assert abs(values["process_start_time_seconds"] - time.time()) < 60


@pytest.mark.parametrize(
    ("lines", "files", "limit"),
    [
        ("0::/system.slice/camfleet.service\n", {"system.slice/camfleet.service/memory.max": "1073741824\n"}, 2**30),
        ("0::/system.slice/camfleet.service\n", {"system.slice/camfleet.service/memory.max": "max\n"}, None),
        ("0::/system.slice/camfleet.service\n", {"memory.max": "536870912\n"}, 2**29),  # cgroup namespace: our root
        ("4:memory:/camfleet\n0::/\n", {"memory/camfleet/memory.limit_in_bytes": "268435456\n"}, 2**28),
        ("4:memory:/\n", {"memory/memory.limit_in_bytes": "9223372036854771712\n"}, None),  # v1's "unlimited"
        ("0::/\n", {}, None),
    ],
)
def test_cgroup_memory_limit(tmp_path: Path, lines: str, files: dict[str, str], limit: int | None) -> None:
    """The limit is the cgroup's memory.max (v2) or memory.limit_in_bytes (v1); "max", v1's huge number or no file
    at all mean no limit, and then no camfleet_cgroup_memory_max_bytes series."""
    proc, root = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text(lines)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    reader = ProcessReader(CollectorRegistry(), proc, root)
    assert reader.memory_max() == limit
    text = render_families(process_families(ProcessStats((), reader.memory_max())))
    assert _values(text).get("camfleet_cgroup_memory_max_bytes") == limit


def test_service_snapshot_carries_the_process_series() -> None:
    """The service's /metrics snapshot reads the process where the poller runs, and it survives pickling (the
    renderer may be a worker process)."""
    import pickle

    snapshot = metrics_snapshot(FleetState(), Inventory([], []), ServiceStats(), cannot_judge_alert_s=3600.0)
    families = {f.name for f in pickle.loads(pickle.dumps(snapshot)).process.families}
    assert {"process_resident_memory_bytes", "process_open_fds", "process_max_fds", "python_info"} <= families
    assert snapshot.cannot_judge_alert_s == 3600.0
