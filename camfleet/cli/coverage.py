"""``camfleet coverage``: village-by-village coverage for planners (table, CSV, JSON or HTML)."""

from __future__ import annotations

import gc
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from camfleet.cli.app import EXIT_USAGE, app, errors_as_messages, fail, get_config, out_console

if TYPE_CHECKING:
    from camfleet.coverage import CoverageReport

# The report's modules (SQLAlchemy, the renderers) are imported inside the functions: `camfleet --help` and
# every other command must not pay ~0.5 s for them.

FORMATS = ("table", "csv", "json", "html")
TITLE = "村级视频覆盖 Village camera coverage"


def _load_report(
    town: str | None, program: str | None, window: str, from_day: str | None, to_day: str | None
) -> CoverageReport:
    """Read inventory, states and the window's history through the store and build the report."""
    from camfleet.coverage import build_report, parse_window, window_between
    from camfleet.inventory.store import Store
    from camfleet.model import BaselineState

    now = time.time()
    coverage_cfg = get_config().coverage
    if to_day is not None and from_day is None:
        fail("--to needs --from", code=EXIT_USAGE)
    span = window_between(from_day, to_day, now=now) if from_day is not None else parse_window(window, now=now)
    store = Store(get_config().database.url)
    try:
        points, cameras, _targets = store.load_inventory()
        states = store.load_states()
        # From the window's start to now: later transitions tell the status of a camera quiet all window.
        transitions = store.load_transitions(span.start)
        # What faulty cameras showed when the fault was confirmed: the repair list's pictures.
        thumbnails = store.latest_evidence([c.camera_id for c in cameras])
        # Doubtful first pictures nobody has reviewed: the report says how many of "not working" they are.
        reviews = store.reviews()
        doubtful = [cid for cid, r in reviews.items() if r.state is BaselineState.DOUBTFUL]
        # ok on the no-baseline rules alone so far: the report says how much of "working" that is.
        provisional = [cid for cid, r in reviews.items() if r.state is BaselineState.PROVISIONAL]
        # Planned works: listed, and named beside the cameras they cover (which still count as not working).
        maintenance = store.maintenance(current_at=now)
    finally:
        store.close()
    return build_report(
        points, cameras, states, transitions, now=now, window=span, town=town, program=program, thumbnails=thumbnails,
        doubtful=doubtful, provisional=provisional, standards=coverage_cfg.standard, site_types=coverage_cfg.site_types,
        maintenance=maintenance,
    )  # fmt: skip


def _render(report: CoverageReport, fmt: str, to_file: bool) -> bytes | None:
    """The report's bytes, or None when it was printed on the terminal directly (table to stdout)."""
    from rich.console import Console

    from camfleet.coverage import render_csv, render_html, render_table, report_to_json

    if fmt == "json":
        # Compact: indent=2 switches json to its pure-Python encoder, ~0.4 s on the district's report.
        return (json.dumps(report_to_json(report), ensure_ascii=False) + "\n").encode("utf-8")
    if fmt == "csv":
        return render_csv(report)
    if fmt == "html":
        return render_html(report, title=TITLE, generated_at=report.generated_at).encode("utf-8")
    if not to_file:
        render_table(report, out_console)
        return None
    console = Console(file=io.StringIO(), width=160, record=True, color_system=None)
    render_table(report, console)
    return console.export_text().encode("utf-8")


def _write_atomically(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory: never half a report. The file
    gets ``mode`` (a report is for others to read: mkstemp's 0600 kept a web server and colleagues out)."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command("coverage")
def coverage(
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or html.")] = "table",
    output: Annotated[str | None, typer.Option("--output", help="File to write (default stdout).")] = None,
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    window: Annotated[str, typer.Option("--window", help="Availability window, e.g. 24h, 7d, 30d.")] = "7d",
    from_day: Annotated[
        str | None, typer.Option("--from", help="Window start date (YYYY-MM-DD, local); replaces --window.")
    ] = None,
    to_day: Annotated[str | None, typer.Option("--to", help="Window end date, inclusive (default: now).")] = None,
    program: Annotated[str | None, typer.Option("--program", help="Only this programme, e.g. 一村一探头.")] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="Permissions of the --output file, octal (0640: the group only).")
    ] = "0644",
) -> None:
    """Report coverage, online rate (在线率) and working rate (完好率) by district, town and village."""
    if fmt not in FORMATS:
        fail(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}", code=EXIT_USAGE)
    try:
        file_mode = int(mode, 8)
    except ValueError:
        file_mode = -1
    if not 0 <= file_mode <= 0o777:
        fail(f"--mode {mode!r}: expected octal permissions such as 0644 or 0640", code=EXIT_USAGE)
    # The report's ~220,000 tracked objects all live until the command exits: the collector's passes over
    # them free under 700 (import-time cycles) and took a third of the command's time on 5,500 cameras.
    gc.disable()
    with errors_as_messages():
        report = _load_report(town, program, window, from_day, to_day)
        data = _render(report, fmt, to_file=output is not None)
        if data is None:
            return
        if output is None:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
            return
        try:
            _write_atomically(Path(output), data, file_mode)
        except OSError as exc:
            fail(f"{output}: cannot write: {exc.strerror}")
