"""A real Prometheus over a running camfleet service (the end-to-end tests' shared setup): the shipped rules with
short `for:` windows, the service's fast test config over an imported inventory, Prometheus's config, and
processes started in their own session and stopped by PID."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from camfleet.config import CamfleetConfig
from camfleet.inventory.importer import import_inventory
from camfleet.inventory.validate import validate_file

REPO = Path(__file__).resolve().parents[1]
PROM = shutil.which("prometheus")


def short_rules(tmp: Path, windows: Mapping[str, str] | None = None, default: str = "2s") -> list[Path]:
    """Copies of the shipped rule files in ``tmp`` with every alert's `for:` cut to ``default`` (or to
    ``windows[alert]``), so that a test does not wait 15 minutes."""
    out = []
    for name in ("camfleet.rules.yml", "camfleet.alerts.yml"):
        text = (REPO / "deploy" / "prometheus" / name).read_text(encoding="utf-8")
        blocks = []
        for block in re.split(r"(?m)^(?=      - alert: )", text):
            found = re.match(r"      - alert: (\w+)", block)
            window = (windows or {}).get(found.group(1), default) if found else default
            blocks.append(re.sub(r"(?m)^(\s*)for: .*$", rf"\g<1>for: {window}", block))
        (tmp / name).write_text("".join(blocks), encoding="utf-8")
        out.append(tmp / name)
    return out


def service_config(tmp: Path, inventory: Path) -> CamfleetConfig:
    """``inventory`` imported into ``tmp``/c.db, and a service config over it that checks every second and writes
    every half second, without pictures."""
    db_url = f"sqlite:///{tmp / 'c.db'}"
    import_inventory(db_url, validate_file(inventory))
    return CamfleetConfig.model_validate(
        {
            "database": {"url": db_url, "write_interval_s": 0.5},
            "credentials": {"file": str(inventory.with_name(inventory.stem + ".credentials.toml"))},
            "poller": {"liveness_interval_s": 1.0, "recheck_delay_s": 0.2, "call_timeout_s": 1.0,
                       "connect_timeout_s": 0.5},
            "vision": {"enabled": False},
        }
    )  # fmt: skip


def prometheus_config(
    tmp: Path, rules: list[Path], listen: str, *, alertmanager_port: int | None = None, camfleet_url: str = ""
) -> Path:
    """``tmp``/prometheus.yml: scrape the service at ``listen`` and evaluate ``rules`` every second, send alerts to
    an Alertmanager on ``alertmanager_port`` when given, with ``camfleet_url`` as the external label the
    runbook links use when given."""
    labels = f", external_labels: {{camfleet_url: '{camfleet_url}'}}" if camfleet_url else ""
    alerting = (
        f"alerting:\n  alertmanagers: [{{static_configs: [{{targets: ['127.0.0.1:{alertmanager_port}']}}]}}]\n"
        if alertmanager_port
        else ""
    )
    path = tmp / "prometheus.yml"
    path.write_text(
        f"global: {{scrape_interval: 1s, evaluation_interval: 1s{labels}}}\n"
        f"rule_files: [{', '.join(str(r) for r in rules)}]\n{alerting}"
        f"scrape_configs:\n  - job_name: camfleet\n    static_configs: [{{targets: ['{listen}']}}]\n",
        encoding="utf-8",
    )
    return path


def start(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``args`` in a session of its own, its stderr in ``log``."""
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log.open("wb"), env=env, start_new_session=True)


def start_prometheus(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """A real Prometheus on 127.0.0.1:``port`` with ``config``, its data beside it."""
    return start(
        [PROM or "prometheus", f"--config.file={config}", f"--storage.tsdb.path={config.parent / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        log,
    )  # fmt: skip


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 20 s: by PID, never by name."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
