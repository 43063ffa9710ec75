"""``camfleet baseline import|review|approve|reset``: acceptance pictures, and people vouching for baselines.

Exit codes (``cli.app``): 0 done; 1 files rejected (``import``: nothing stored); 2 usage (unknown camera,
village or town: nothing written); 3 the database could not be read or written.
"""

from __future__ import annotations

import getpass
import json
import os
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from camfleet.cli.app import EXIT_USAGE, app, err_console, errors_as_messages, fail, get_config
from camfleet.cli.app import out_console as out
from camfleet.inventory.approvals import REVIEW_ORDER, awaiting, check_area
from camfleet.inventory.approvals import pending as pending_approvals
from camfleet.model import BaselineState

if TYPE_CHECKING:
    from camfleet.cli.baseline_files import Scan
    from camfleet.inventory.store import Store
    from camfleet.model import BaselineReview, CameraTarget

# The store (SQLAlchemy) and OpenCV are imported inside the commands: --help must start without them.

baseline_app = typer.Typer(
    help="Picture baselines: what each camera's healthy picture looks like, and who vouched for it.",
    no_args_is_help=True,
)
app.add_typer(baseline_app, name="baseline")

STATE_WORDS = {BaselineState.DOUBTFUL: "存疑 doubtful", BaselineState.PROVISIONAL: "待确认 provisional"}
MAX_PROBLEM_LINES = 200


def _store() -> Store:
    from camfleet.inventory.store import Store

    return Store(get_config().database.url)


def _where(t: CameraTarget | None) -> tuple[str, str]:
    return (t.town, t.village) if t is not None else ("-", "-")


def _local(ts: float) -> str:
    from camfleet.coverage.fmt import local

    return local(ts)


# --------------------------------------------------------------------------------------------- import
def _print_import(scan: Scan, targets: dict[str, CameraTarget], had: set[str], title: str) -> None:
    """Pictures by town and village: cameras there, pictures found, of them new and replacing, still missing."""
    per: dict[tuple[str, str], Counter[str]] = {}
    for t in targets.values():
        per.setdefault(_where(t), Counter())["cameras"] += 1
    for p in scan.pictures:
        c = per[_where(targets[p.camera_id])]
        c["pictures"] += 1
        c["replacing" if p.camera_id in had else "new"] += 1
        c["converted"] += p.converted
    table = Table(title=title, title_justify="left")
    for col in ("镇街 town", "行政村 village", "摄像机 cameras", "照片 pictures", "新 new", "替换 replacing",
                "无照片 without"):  # fmt: skip
        table.add_column(col, justify="left" if col[0] in "镇行" else "right")
    total: Counter[str] = Counter()
    for (town, village), c in sorted(per.items()):
        total.update(c)
        if c["pictures"]:
            table.add_row(Text(town), Text(village), *(str(c[k]) for k in ("cameras", "pictures", "new", "replacing")),
                          str(c["cameras"] - c["pictures"]))  # fmt: skip
    table.add_row("全部 all", "", *(str(total[k]) for k in ("cameras", "pictures", "new", "replacing")),
                  str(total["cameras"] - total["pictures"]), style="bold")  # fmt: skip
    out.print(table)
    if total["converted"]:
        out.print(f"{total['converted']} PNG (or oversized) picture(s) converted to JPEG", highlight=False)


@baseline_app.command("import")
def import_(
    directory: Annotated[Path, typer.Argument(help="Directory of <camera_id>.jpg|.jpeg|.png acceptance pictures.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check every file and print the plan; store nothing.")
    ] = False,
) -> None:
    """Store acceptance pictures (验收照片) as each camera's reference view, all or nothing.

    Every file must be <camera_id>.jpg, .jpeg or .png (any case) of a camera in the inventory, readable, a
    real JPEG or PNG of at most 8 MiB and at least 320 px wide; every other file is named with the reason and
    nothing is stored (exit 1). PNG is converted to JPEG. A camera's earlier picture is replaced. A camera
    with a reference view reads `displaced` from its first sample when it was turned away.
    """
    if not directory.is_dir():
        fail(f"{escape(str(directory))} is not a directory", code=EXIT_USAGE)
    from camfleet.cli.baseline_files import scan_directory
    from camfleet.model import ReferencePicture

    with errors_as_messages():
        with _store() as store:
            targets = {t.camera_id: t for t in store.load_targets()}
            had = set(store.references(list(targets)))  # which cameras already have one: "replacing"
        scan = scan_directory(directory, targets)
        for name in scan.skipped:
            err_console.print(f"  skipped hidden file {escape(name)}", highlight=False, soft_wrap=True)
        if scan.problems:
            for problem in scan.problems[:MAX_PROBLEM_LINES]:
                err_console.print(f"  {escape(str(problem))}", highlight=False, soft_wrap=True)
            if len(scan.problems) > MAX_PROBLEM_LINES:
                err_console.print(f"  … and {len(scan.problems) - MAX_PROBLEM_LINES} more", highlight=False)
            err_console.print(
                f"[bold red]rejected:[/] {len(scan.problems)} bad file(s) in {escape(str(directory))}; "
                f"nothing stored ({len(scan.pictures)} good picture(s) checked)",
                soft_wrap=True,
            )
            raise typer.Exit(1)
        if not scan.pictures:
            fail(f"no <camera_id>.jpg|.jpeg|.png pictures in {escape(str(directory))}", code=EXIT_USAGE)
        where = escape(str(directory))
        if dry_run:
            _print_import(scan, targets, had, f"dry run: {where} (nothing stored)")
            return
        now = time.time()
        rows = [ReferencePicture(p.camera_id, p.jpeg, p.name, now) for p in scan.pictures]
        with _store() as store:
            store.put_references(rows)
        _print_import(scan, targets, had, f"imported {where}")


# --------------------------------------------------------------------------------------------- review
def _pending(reviews: dict[str, BaselineReview], store: Store) -> set[str]:
    """Cameras approved after the poller last wrote their state: the approval waits for the poller."""
    return pending_approvals(reviews, store.approvals())


def review_rows(
    reviews: dict[str, BaselineReview], targets: dict[str, CameraTarget], pending: set[str],
    town: str | None = None, village: str | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The cameras awaiting a person, doubtful first, then by town, village, since, camera."""
    return [
        {"camera": a.review.camera_id, "town": a.town, "village": a.village, "point_id": a.point_id,
         "state": a.review.state.value, "reason": a.review.reason, "since": a.review.since,
         "approval_pending": a.review.camera_id in pending}
        for a in awaiting(reviews, targets, town, village)
    ]  # fmt: skip


@baseline_app.command("review")
def review(
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")] = False,
    town: Annotated[str | None, typer.Option("--town", help="Only this town.")] = None,
    village: Annotated[str | None, typer.Option("--village", help="Only this village.")] = None,
) -> None:
    """List the cameras whose baseline a person should look at: doubtful first, then provisional.

    Doubtful: the first pictures failed the no-baseline checks, nothing was learned, the camera is not `ok`.
    Provisional: learned from pictures that passed them, but nobody has looked. Approve with
    `camfleet baseline approve`; the page /review shows the pictures.
    """
    with errors_as_messages(), _store() as store:
        targets = {t.camera_id: t for t in store.load_targets()}
        check_area(targets, town, village)
        reviews = store.reviews()
        rows = review_rows(reviews, targets, _pending(reviews, store), town, village)
    counts = Counter(r["state"] for r in rows)
    if json_out:
        from camfleet.coverage.fmt import iso

        doc = {"counts": {s.value: counts[s.value] for s in REVIEW_ORDER},
               "cameras": [{**r, "since": iso(r["since"])} for r in rows]}  # fmt: skip
        print(json.dumps(doc, ensure_ascii=False))
        return
    if not rows:
        out.print("nothing to review: no doubtful or provisional baseline" + (" here" if town or village else ""))
        return
    for state in REVIEW_ORDER:
        mine = [r for r in rows if r["state"] == state.value]
        if not mine:
            continue
        table = Table(title=f"{STATE_WORDS[state]}: {len(mine)}", title_justify="left")
        any_pending = any(r["approval_pending"] for r in mine)
        columns = ("镇街", "行政村", "摄像机", "原因 reason", "自 since") + (("批准 approval",) if any_pending else ())
        for col in columns:
            # Names, ids and times stay on one line; the reason takes what width is left and wraps.
            table.add_column(col, no_wrap=col != "原因 reason", ratio=1 if col == "原因 reason" else None)
        last: tuple[str, str] = ("", "")
        for r in mine:
            here = (r["town"], r["village"])
            shown = ("", "") if here == last else here  # grouped: a town and village are named once
            last = here
            cells = [Text(shown[0]), Text(shown[1]), Text(r["camera"]), Text(r["reason"]), Text(_local(r["since"]))]
            if any_pending:
                cells.append(Text("待生效 pending" if r["approval_pending"] else ""))
            table.add_row(*cells)
        out.print(table)


# --------------------------------------------------------------------------------------------- approve
def approver(by: str | None) -> str:
    """Who approves: ``--by``, else the user who ran sudo, else the login user."""
    if by and by.strip():
        return by.strip()
    sudo = os.environ.get("SUDO_USER", "").strip()
    if sudo:
        return sudo
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a bare container): say so rather than invent a name
        return f"uid {os.getuid()}"


@baseline_app.command("approve")
def approve(
    cameras: Annotated[list[str] | None, typer.Argument(help="Camera ids to approve.")] = None,
    village: Annotated[
        str | None, typer.Option("--village", help="Every camera awaiting review in this village.")
    ] = None,
    town: Annotated[str | None, typer.Option("--town", help="Every camera awaiting review in this town.")] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Who approves (default $SUDO_USER, else the login user).")
    ] = None,
    note: Annotated[str, typer.Option("--note", help="Why, for the log.")] = "",
) -> None:
    """Vouch for cameras' pictures: their baseline is learned from what they show now.

    Camera ids are approved whatever their state; --village and --town add the cameras of that area whose
    baseline is doubtful or provisional (as `baseline review` lists them). Every approval is stored with who
    and when; a running poller applies it at its next look. An unknown id or area: nothing is written (exit 2).
    """
    ids = list(dict.fromkeys(cameras or []))
    if not ids and village is None and town is None:
        fail("name cameras, or --village / --town", code=EXIT_USAGE)
    from camfleet.inventory.approvals import approve as store_approval

    who = approver(by)
    now = time.time()
    with errors_as_messages(), _store() as store:
        ids = store_approval(store, ids, by=who, note=note, town=town, village=village, now=now)
    if not ids:
        out.print("nothing to approve: no doubtful or provisional baseline there", highlight=False)
        return
    shown = ", ".join(ids[:20]) + (f" … +{len(ids) - 20}" if len(ids) > 20 else "")
    out.print(f"approved {len(ids)} camera(s) as {who} at {_local(now)}: {shown}", highlight=False, markup=False)


# --------------------------------------------------------------------------------------------- reset
@baseline_app.command("reset")
def baseline_reset(camera: Annotated[str, typer.Argument(help="Camera id.")]) -> None:
    """Forget a camera's picture baseline (after it was re-aimed or its scene changed for good).

    The camera is judged with no baseline again, as on day one: provisional and learning once its pictures pass
    the no-baseline rules, doubtful (a person approves) when they do not. A running `camfleet run` notices the
    reset at its next write. A doubtful camera has learned nothing: approve it instead.
    """
    with errors_as_messages(), _store() as store:
        known = any(c.camera_id == camera for c in store.load_cameras())
        deleted = store.delete_baselines(camera)
    if not known and not deleted:
        fail(f"{camera!r} is not a camera in the database", code=EXIT_USAGE)
    if deleted:
        out.print(f"{camera}: baseline forgotten ({deleted} mode(s)); it learns its picture again",
                  highlight=False, markup=False)  # fmt: skip
    else:
        out.print(f"{camera}: had no stored baseline (a doubtful camera learns nothing until approved: "
                  f"camfleet baseline approve {camera})", highlight=False, markup=False)  # fmt: skip
