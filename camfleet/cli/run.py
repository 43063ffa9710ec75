"""``camfleet run``: the service that systemd runs."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from camfleet.cli.app import app, checked_listen, errors_as_messages, get_config, state


@app.command("run")
def run(
    listen: Annotated[
        str | None, typer.Option("--listen", help="HOST:PORT for the web server (default 127.0.0.1:9870).")
    ] = None,
) -> None:
    """Run the service: poll the fleet until stopped, serve /metrics and /coverage (systemd runs this).

    SIGHUP reloads config, credentials and inventory; SIGTERM stops gracefully within 10 s.
    """
    from camfleet.service.app import run_service

    with errors_as_messages():
        cfg = get_config()
        if listen:
            checked_listen(listen, "--listen")
        asyncio.run(run_service(cfg, config_path=state.config_path, listen=listen))
