"""``camfleet analyze``: judge picture files against a baseline built from reference pictures, or alone.

With ``--reference`` (healthy pictures of the same camera, day and/or IR night) the references are
averaged into a baseline and each frame is judged against it. Without, each frame is judged with no
baseline (docs/day-one.md), the other readable frames of the same analysis width counting as its peers
(cameras of the same model: give frames of one model). Either way each frame is also judged against the
frame before it on the command line (two identical files in a row are ``frozen``). Exit code: 0 when every
file could be read — whatever the verdicts —, 1 when any reference or frame could not be read (the others
are still judged), 2 when references were given and none could be read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column, Table

from camfleet.cli.app import app as cli_app
from camfleet.cli.app import err_console, get_config, out_console
from camfleet.errors import CamfleetError, FrameError
from camfleet.model import Reason

if TYPE_CHECKING:
    from camfleet.model import FrameStats
    from camfleet.vision import Baseline, FrameSignature, PeerView

# OpenCV and the vision package load inside the command: other commands must not pay for them.

_SHOWN_SCORES = ("brightness_ratio", "sharpness_ratio", "structure", "changed_fraction", "shift_px")


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise FrameError(f"cannot read: {exc.strerror or exc}", Reason.SNAPSHOT_ERROR) from None


def _problem(path: str, exc: Exception) -> None:
    err_console.print(f"[bold red]error:[/] {path}: {exc}", highlight=False, markup=True, soft_wrap=True)


def _reduction() -> int:
    try:
        return get_config().vision.decode_reduction
    except CamfleetError:
        return 4  # analyze needs no config file; a broken one is reported by `camfleet config check`


def build_baseline(references: list[str], reduction: int) -> tuple[Baseline | None, int]:
    """A baseline averaging every readable reference; also the number of unreadable ones."""
    from camfleet.vision import Baseline, analyze_jpeg

    baseline = Baseline(samples=max(1, len(references)))
    failures = 0
    for path in references:
        try:
            stats, _, signature = analyze_jpeg(_read(path), None, None, reduction)
        except FrameError as exc:
            _problem(path, exc)
            failures += 1
            continue
        baseline.learn(stats, signature)
    if not baseline.modes:
        return None, failures
    baseline.samples = 1  # every mode with a reference judges, however few of its pictures there were
    return baseline, failures


@cli_app.command("analyze")
def analyze(
    frames: Annotated[list[str], typer.Argument(help="Picture files (JPEG) to judge.")],
    reference: Annotated[
        list[str] | None,
        typer.Option("--reference", help="Reference picture(s) of the healthy scene; none: judge each frame alone."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON line per frame.")] = False,
) -> None:
    """Judge frames against a baseline learned from the reference pictures, or (no --reference) each frame
    with no baseline, the other frames as its peers."""
    from camfleet.vision import analyze_jpeg

    reduction = _reduction()
    baseline_dict: dict[str, Any] | None = None
    failures = 0
    peers: dict[str, PeerView | None] = {}
    if reference:
        baseline, failures = build_baseline(reference, reduction)
        if baseline is None:
            err_console.print("[bold red]error:[/] no reference picture could be read", highlight=False)
            raise typer.Exit(2)
        baseline_dict = baseline.to_dict()
    else:
        peers = peer_views(frames, reduction)
    previous: FrameSignature | None = None
    rows: list[dict[str, Any]] = []
    for path in frames:
        try:
            stats, verdict, signature = analyze_jpeg(
                _read(path), baseline_dict, previous, reduction, peers=peers.get(path)
            )
        except FrameError as exc:
            _problem(path, exc)
            failures += 1
            continue
        previous = signature
        row = {
            "file": path,
            "verdict": verdict.status.value,
            "reason": verdict.reason.value,
            "detail": verdict.detail,
            "scores": verdict.scores,
            "mode": verdict.mode or ("ir" if stats.is_ir else "day"),
            "basis": verdict.basis,
            "width": stats.width,
            "height": stats.height,
        }
        if json_out:
            print(json.dumps(row, ensure_ascii=False), flush=True)
        rows.append(row)
    if not json_out and rows:
        out_console.print(_table(rows))
    if failures:
        raise typer.Exit(1)


def peer_views(frames: list[str], reduction: int) -> dict[str, PeerView | None]:
    """Per frame, its peers: the other readable frames of the same analysis width, one camera each (an
    unreadable one is reported when it is judged)."""
    from camfleet.vision import analyze_jpeg, peer_group
    from camfleet.vision.peers import view_of

    seen: dict[str, FrameStats] = {}
    for path in dict.fromkeys(frames):
        try:
            seen[path] = analyze_jpeg(_read(path), None, None, reduction)[0]
        except FrameError:
            continue
    width = {path: int(stats.extra.get("analysis_width", stats.width)) for path, stats in seen.items()}
    views: dict[str, PeerView | None] = {}
    for path, w in width.items():
        others = [stats for other, stats in seen.items() if other != path and width[other] == w]
        views[path] = view_of(peer_group("", w), others)
    return views


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(
        Column("file", overflow="fold"),
        Column("verdict", no_wrap=True),
        "reason",
        "mode",
        *(Column(name, overflow="fold") for name in _SHOWN_SCORES),
    )
    for row in rows:
        scores = row["scores"]
        style = "green" if row["verdict"] == "ok" else "yellow" if row["verdict"] == "cannot_judge" else "red"
        shown = [f"{scores[k]:g}" if k in scores else "" for k in _SHOWN_SCORES]
        table.add_row(row["file"], f"[{style}]{row['verdict']}[/]", row["reason"], row["mode"], *shown)
    return table
