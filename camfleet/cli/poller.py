"""``camfleet sweep --once`` and ``camfleet check CAMERA``."""

from __future__ import annotations

import asyncio
import difflib
import ipaddress
import json
import time
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from camfleet.cli.app import (
    EXIT_DATABASE,
    app,
    err_console,
    errors_as_messages,
    fail,
    get_config,
    out_console,
    shown_time,
)
from camfleet.config import CamfleetConfig, CredentialStore, load_credentials
from camfleet.errors import DatabaseError
from camfleet.model import STATUS_ZH, Access, CameraState, CameraTarget, Status, status_words
from camfleet.runtime.camera_json import camera_json

if TYPE_CHECKING:
    from camfleet.inventory.store import Store
    from camfleet.runtime.diagnose import Diagnosis
    from camfleet.vision import Baseline

# The runtime (aiohttp, zeep, OpenCV) and the store (SQLAlchemy) are imported inside the commands: every
# other command, and --help, must start without them.

#: What `sweep --once --checks` accepts: each is a superset of the one before (runtime.poller.SWEEP_KINDS).
CHECKS = ("liveness", "identity", "full")
#: Said under a liveness sweep's summary: it answers "which cameras answer", not "which work".
LIVENESS_ONLY = (
    "liveness only: each camera was reached, not authenticated; a changed password or a clock hours off still "
    "reads ok here (camfleet sweep --once checks credentials; --checks full judges pictures too)"
)


def _command_logging(cfg: CamfleetConfig, creds: CredentialStore) -> None:
    """Log lines of an interactive command: the service's format (camera id first, secrets redacted), warnings
    and worse unless the config asks for debug; without this a transition printed as a bare "unknown → offline"."""
    from camfleet.log import setup_logging

    level = cfg.logging.level if cfg.logging.level.lower() == "debug" else "warning"
    setup_logging(level, cfg.logging.format, creds.secrets())


def _sweep(
    cfg: CamfleetConfig, targets: list[CameraTarget], creds: CredentialStore, store: Store, checks: str
) -> dict[str, CameraState]:
    from camfleet.runtime.poller import Poller

    poller = Poller(cfg, targets, creds, store)
    columns = (TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("sweep", total=len(targets))
        states = asyncio.run(
            poller.sweep_once(
                checks,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        )
    if poller.writer.backlog:
        err_console.print(
            f"warning: {poller.writer.backlog} state changes could not be written: {poller.writer.last_error}",
            highlight=False,
            markup=False,
        )
    return states


def _summary(targets: list[CameraTarget], states: dict[str, CameraState], finished: float) -> None:
    counts = Counter(str(states[t.camera_id].status) for t in targets if t.camera_id in states)
    out_console.print(f"巡检完成 sweep finished: {shown_time(finished)}", highlight=False, markup=False)
    by_status = Table(title="按状态 Cameras by status")
    by_status.add_column("状态 status")
    by_status.add_column("摄像机 cameras", justify="right")
    for status, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        by_status.add_row(status_words(status), str(n))
    out_console.print(by_status)
    towns: dict[str, Counter[str]] = {}
    for t in targets:
        towns.setdefault(t.town or "-", Counter())[str(states.get(t.camera_id, CameraState(t.camera_id)).status)] += 1
    by_town = Table(title="按镇街 Cameras by town")
    named = (Status.OK, Status.OFFLINE, Status.UPLINK_DOWN)
    columns = ("镇街 town", "摄像机 cameras", *(f"{STATUS_ZH[s]} {s}" for s in named), "其他故障 other")
    for col in columns:
        by_town.add_column(col, justify="left" if col == columns[0] else "right")
    for town, c in sorted(towns.items()):
        total = sum(c.values())
        shown = [c[str(s)] for s in named]
        by_town.add_row(town, str(total), *(str(n) for n in shown), str(total - sum(shown)))
    out_console.print(by_town)


@app.command("sweep")
def sweep(
    once: Annotated[bool, typer.Option("--once", help="One sweep of the whole fleet, then exit.")] = False,
    checks: Annotated[
        str,
        typer.Option(
            "--checks",
            help="identity (default: reach and authenticate each camera), liveness (reach only, fast: no "
            "credentials checked) or full (also discover and judge a picture).",
        ),
    ] = "identity",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")] = False,
) -> None:
    """Check every camera once, confirm each failure, and print a summary by status and town."""
    if not once:
        fail("continuous sweeping is `camfleet run`; for a single pass use `camfleet sweep --once`", code=2)
    if checks not in CHECKS:
        fail(f"--checks must be one of {', '.join(CHECKS)}, not {checks!r}", code=2)
    from camfleet.inventory.store import Store

    with errors_as_messages():
        cfg = get_config()
        creds = load_credentials(cfg.credentials.file)
        _command_logging(cfg, creds)
        with Store(cfg.database.url) as store:
            targets = store.load_targets()
            states = _sweep(cfg, targets, creds, store, checks) if targets else {}
    if json_out:
        counts = Counter(str(states[t.camera_id].status) if t.camera_id in states else "unknown" for t in targets)
        doc = {
            "checks": checks,
            "counts": dict(sorted(counts.items())),
            "cameras": [camera_json(t, states.get(t.camera_id)) for t in targets],
        }
        print(json.dumps(doc, ensure_ascii=False))
        return
    if not targets:
        err_console.print("the inventory has no cameras: run `camfleet inventory import FILE` first")
        return
    _summary(targets, states, time.time())
    if checks == "liveness":
        err_console.print(LIVENESS_ONLY, highlight=False, markup=False, soft_wrap=True)


def _looks_like_address(text: str) -> bool:
    """``host[:port]`` where host is an IP address, ``localhost`` or a dotted name: a camera id (C00099) is not."""
    host = text.rpartition(":")[0] if text.count(":") == 1 else text
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or "." in host
    return True


def _target_for(camera: str, credential: str | None, cfg: CamfleetConfig) -> tuple[CameraTarget, Baseline | None]:
    """The camera by id from the database (with its stored baseline), else ``host[:port]`` with ``--credential``."""
    from camfleet.inventory.store import Store
    from camfleet.runtime.baselines import baseline_from_rows

    known: list[str] = []
    try:
        with Store(cfg.database.url) as store:
            targets = store.load_targets()
            found = next((t for t in targets if t.camera_id == camera), None)
            known = [t.camera_id for t in targets]
            rows = store.get_baselines(camera) if found is not None else {}
    except DatabaseError as exc:
        if not _looks_like_address(camera):
            fail(f"cannot look up camera {camera!r}: {exc}", code=EXIT_DATABASE)
        found, rows = None, {}
    baseline = None
    if rows:
        try:
            baseline = baseline_from_rows(rows, cfg.vision)
        except ValueError as exc:
            err_console.print(f"warning: stored baseline of {camera} ignored: {exc}", markup=False, highlight=False)
    if found is not None:
        return (found if credential is None else CameraTarget(**{**_fields(found), "credential": credential})), baseline
    if not _looks_like_address(camera):
        close = difflib.get_close_matches(camera, known, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        fail(
            f"no camera {camera!r} in the inventory ({len(known)} cameras){hint} "
            "To check a device by address, give its IP or host name: camfleet check HOST[:PORT] --credential GROUP",
            code=2,
        )
    host, _, port_text = camera.rpartition(":") if camera.count(":") == 1 else (camera, "", "80")
    if not port_text.isdigit() or not host:
        fail(f"{camera!r} is neither a camera id in the database nor host[:port]", code=2)
    if not credential:
        fail(f"{camera!r} is not a camera id in the database: give --credential GROUP to check it by address", code=2)
    return CameraTarget(camera_id=camera, host=host, port=int(port_text), uplink="", credential=credential), None


def _fields(t: CameraTarget) -> dict[str, Any]:
    return {name: getattr(t, name) for name in CameraTarget.__slots__}


@app.command("check")
def check(
    camera: Annotated[str, typer.Argument(help="Camera id, or host[:port].")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    credential: Annotated[
        str | None, typer.Option("--credential", help="Credential group (for host[:port], or to try another).")
    ] = None,
) -> None:
    """Diagnose one camera step by step: connect, clock, auth, identity, profiles, snapshot (an RTSP-only camera:
    OPTIONS, DESCRIBE, one keyframe)."""
    from camfleet.runtime.diagnose import diagnose

    with errors_as_messages():
        cfg = get_config()
        creds = load_credentials(cfg.credentials.file)
        _command_logging(cfg, creds)
        target, baseline = _target_for(camera, credential, cfg)
        started = time.time()
        result = asyncio.run(diagnose(target, cfg, creds, baseline))
        events = _camera_events(target, cfg, creds, result)
    if json_out:
        print(json.dumps({**_diagnosis_json(result), "camera_events": events}, ensure_ascii=False))
    else:
        _print_diagnosis(result, started)
        _print_events(events)
    if result.status is not Status.OK:
        raise typer.Exit(1)


def _camera_events(
    target: CameraTarget, cfg: CamfleetConfig, creds: CredentialStore, d: Diagnosis
) -> dict[str, Any] | None:
    """The camera's own tamper events, read once, against the picture verdict; None when not read."""
    if not cfg.events.enabled or d.status in (Status.OFFLINE, Status.AUTH_FAILED, Status.UPLINK_DOWN):
        return None
    if target.access is Access.RTSP:
        return None  # an RTSP-only camera has no events service: nothing to read, nothing to report
    from camfleet.runtime.camera_events import agreement_of, read_claim

    reading = asyncio.run(read_claim(target, cfg, creds))
    ok = reading.result.status is Status.OK
    ours = d.picture or Status.UNKNOWN
    words = f"{reading.result.status}/{reading.result.reason}" if reading.result.reason else str(reading.result.status)
    return {
        "claim": [str(f) for f in reading.faults],
        "known": ok,
        "agreement": str(agreement_of(reading.faults, ours)) if ok else None,
        "camfleet": str(ours),
        "error": "" if ok else words,
        "detail": reading.result.detail,
    }


def _print_events(events: dict[str, Any] | None) -> None:
    if events is None:
        return
    if not events["known"]:
        line = f"camera events: not read ({events['error']}: {events['detail']})"
    else:
        claim = ", ".join(events["claim"]) or "no fault"
        line = f"camera events: {claim} (camfleet: {events['camfleet']}) → {events['agreement']}"
    out_console.print(line, highlight=False, markup=False)


def _diagnosis_json(d: Diagnosis) -> dict[str, Any]:
    return {
        "camera": d.camera_id, "host": d.host, "port": d.port, "status": str(d.status), "reason": str(d.reason),
        "verdict": d.verdict, "hint": d.hint,
        "steps": [{"step": s.name, "ok": s.ok, "ms": round(s.ms, 1), "detail": s.detail} for s in d.steps],
        "baseline": {"exists": bool(d.baseline_modes), "modes": d.baseline_modes},
        "picture": None if d.picture is None else {
            "verdict": str(d.picture), "reason": str(d.picture_reason), "detail": d.picture_detail, "scores": d.scores,
        },
    }  # fmt: skip


def _print_diagnosis(d: Diagnosis, started: float) -> None:
    out_console.print(f"检查时间 checked at: {shown_time(started)}", highlight=False, markup=False)
    table = Table(title=f"{d.camera_id} ({d.host}:{d.port})")
    for col in ("step", "result", "ms", "detail"):
        table.add_column(col, justify="right" if col == "ms" else "left")
    for s in d.steps:
        table.add_row(s.name, "[green]ok[/]" if s.ok else "[red]FAILED[/]", f"{s.ms:.0f}", s.detail.replace("[", "\\["))
    out_console.print(table)
    colour = "green" if d.status is Status.OK else "red"
    reason = f"/{d.reason}" if d.reason else ""
    modes = ", ".join(d.baseline_modes) or "none yet"
    if d.picture is not None:
        why = f"/{d.picture_reason}" if d.picture_reason else ""
        out_console.print(f"picture: {d.picture}{why} (baseline: {modes})", highlight=False, markup=False)
    out_console.print(f"[{colour}]{d.status}{reason}[/]: {d.verdict}", highlight=False)
    if d.hint:
        out_console.print(f"hint: {d.hint}", highlight=False, markup=False)
