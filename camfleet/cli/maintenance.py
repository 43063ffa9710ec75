"""``camfleet maintenance add|list|end``: planned works hold the alerts of a camera, a village or an uplink.

Exit codes (``cli.app``): 0 done; 2 usage (unknown camera, village, uplink or window, bad time: nothing
written); 3 the database could not be read or written.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from camfleet.cli.app import EXIT_USAGE, app, errors_as_messages, fail, get_config
from camfleet.cli.app import out_console as out
from camfleet.cli.baseline import approver
from camfleet.maintenance import SCOPE_ZH, Scope, local, parse_time, state_of, window_json

if TYPE_CHECKING:
    from camfleet.inventory.store import Store

# The store (SQLAlchemy) is imported inside the commands: --help must start without it.

maintenance_app = typer.Typer(
    help="Maintenance windows: planned works on a camera, village or uplink hold its alerts until they end.",
    no_args_is_help=True,
)
app.add_typer(maintenance_app, name="maintenance")


def _store() -> Store:
    from camfleet.inventory.store import Store

    return Store(get_config().database.url)


@maintenance_app.command("add")
def add(
    until: Annotated[
        str, typer.Option("--until", help="End: 2026-12-08T18:00 (local time unless an offset is given) or 4h, 2d.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Why (shown with the window and on /coverage).")],
    camera: Annotated[str | None, typer.Option("--camera", help="One camera id.")] = None,
    village: Annotated[
        str | None, typer.Option("--village", help="Every camera of a village: 镇/村, or the village with --town.")
    ] = None,
    town: Annotated[str | None, typer.Option("--town", help="The village's town (with --village).")] = None,
    uplink: Annotated[str | None, typer.Option("--uplink", help="Every camera behind this uplink.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Start, as --until (default now); a duration counts from now.")
    ] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who (default $SUDO_USER, else the login user).")] = None,
) -> None:
    """Hold the alerts of a camera, a village or an uplink during planned works.

    Give one of --camera, --village (镇/村, or --town T --village V) or --uplink, and --until. A duration in
    --until counts from the start. The window is stored with who and when; a running `camfleet run` exports it
    within 15 s and the shipped alert rules stay quiet for what it covers. A fault still there when the window
    ends alerts after the rule's usual `for:`. Unknown camera, village or uplink: nothing is written (exit 2).
    """
    from camfleet.inventory.maintenance import add as store_window
    from camfleet.inventory.maintenance import resolve_village

    given = [(s, v) for s, v in ((Scope.CAMERA, camera), (Scope.VILLAGE, village), (Scope.UPLINK, uplink)) if v]
    if len(given) != 1:
        fail("give exactly one of --camera, --village or --uplink", code=EXIT_USAGE)
    if town is not None and village is None:
        fail("--town goes with --village", code=EXIT_USAGE)
    scope, target = given[0][0], given[0][1].strip()
    now = time.time()
    who = approver(by)
    with errors_as_messages():
        starts_at = parse_time(start, base=now, option="--from") if start else now
        ends_at = parse_time(until, base=starts_at, option="--until")
        with _store() as store:
            if scope is Scope.VILLAGE:
                target = resolve_village(store, town.strip() if town else None, target)
            w = store_window(store, scope, target, starts_at=starts_at, ends_at=ends_at, reason=reason, by=who, now=now)
    when = f"from {local(w.starts_at)} " if w.starts_at > now else ""
    out.print(
        f"maintenance window {w.id}: {w.scope.value} {w.target} {when}until {local(w.ends_at)}, by {who} at "
        f"{local(now)}: {w.reason}", highlight=False, markup=False,
    )  # fmt: skip


@maintenance_app.command("list")
def list_(
    every: Annotated[bool, typer.Option("--all", help="Also windows over or ended (the history).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List maintenance windows: active and planned ones, or with --all every window ever stored.

    The table shows local time ([display] timezone); JSON gives unix times and ISO times with their offset.
    """
    if fmt not in ("table", "json"):
        fail(f"--format {fmt!r}: expected table or json", code=EXIT_USAGE)
    now = time.time()
    with errors_as_messages(), _store() as store:
        windows = store.maintenance(current_at=None if every else now)
    if fmt == "json":
        print(json.dumps({"windows": [window_json(w, now) for w in windows]}, ensure_ascii=False))
        return
    if not windows:
        out.print("no maintenance window" + ("" if every else " active or planned (--all for the history)"))
        return
    table = Table(title=f"维护窗口 maintenance windows ({len(windows)})", title_justify="left")
    show_from = any(w.starts_at > now or every for w in windows)
    columns = ("#", "状态", "对象 target", *(("自 from",) if show_from else ()), "至 until", "原因 reason", "登记 by")
    for col in columns:
        # Numbers, states and times stay on one line; the target, reason and who fold into what width is left.
        table.add_column(col, no_wrap=col[0] in "#状自至", overflow="fold", justify="right" if col == "#" else "left")
    for w in windows:
        state = state_of(w, now)
        times = ([local(w.starts_at)] if show_from else []) + [local(w.until)]
        table.add_row(str(w.id), state, Text(f"{SCOPE_ZH[w.scope]} {w.target}"), *times, Text(w.reason),
                      Text(w.created_by))  # fmt: skip
    out.print(table)


@maintenance_app.command("end")
def end(window_id: Annotated[int, typer.Argument(help="The window's number (see `maintenance list`).")]) -> None:
    """End a maintenance window now: its alerts are no longer held (a running service notices within 15 s)."""
    from camfleet.inventory.maintenance import end as end_window

    now = time.time()
    with errors_as_messages(), _store() as store:
        w, ended = end_window(store, window_id, now=now)
    if not ended:
        out.print(f"maintenance window {w.id} was already over at {local(w.until)}", highlight=False, markup=False)
        return
    out.print(f"maintenance window {w.id} ({w.scope.value} {w.target}) ended at {local(now)}",
              highlight=False, markup=False)  # fmt: skip
