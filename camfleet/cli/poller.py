"""``camfleet run``, ``camfleet sweep --once`` and ``camfleet check CAMERA``."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import app, not_implemented


@app.command("run")
def run(
    listen: Annotated[
        str | None, typer.Option("--listen", help="HOST:PORT for the web server (default 127.0.0.1:9870).")
    ] = None,
) -> None:
    """Run the service: poll the fleet until stopped, serve /metrics and /coverage (systemd runs this)."""
    not_implemented("run", "poller issue")()


@app.command("sweep")
def sweep(
    once: Annotated[bool, typer.Option("--once", help="One sweep of the whole fleet, then exit.")] = False,
    checks: Annotated[str, typer.Option("--checks", help="liveness or full.")] = "liveness",
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object for scripts.")] = False,
) -> None:
    """Check every camera once, confirm each failure, and print a summary by status and town."""
    not_implemented("sweep", "poller issue")()


@app.command("check")
def check(
    camera: Annotated[str, typer.Argument(help="Camera id, or host[:port].")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Diagnose one camera step by step: connect, clock, auth, identity, profiles, snapshot."""
    not_implemented("check", "poller issue")()
