"""``camfleet analyze``: judge picture files against a baseline built from reference pictures."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import app, not_implemented


@app.command("analyze")
def analyze(
    frames: Annotated[list[str], typer.Argument(help="Picture files to judge.")],
    reference: Annotated[list[str], typer.Option("--reference", help="Reference picture(s) of the healthy scene.")],
    json_out: Annotated[bool, typer.Option("--json", help="One JSON line per frame.")] = False,
) -> None:
    """Judge frames against a baseline learned from the reference pictures."""
    not_implemented("analyze", "vision issue")()
