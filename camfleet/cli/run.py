"""``camfleet run``: the service that systemd runs."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.markup import escape

from camfleet.cli.app import app, checked_listen, err_console, errors_as_messages, get_config, state


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
        from camfleet.config.load import environment_overrides, load_config

        cfg = get_config()
        for line in environment_overrides(load_config(state.config_path, apply_env=False)):
            err_console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)
        if listen:
            checked_listen(listen, "--listen")
        asyncio.run(run_service(cfg, config_path=state.config_path, listen=listen))
