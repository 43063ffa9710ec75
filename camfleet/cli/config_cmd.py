"""``camfleet config check``: validate a config file and name every bad key."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import app, errors_as_messages, out_console, state
from camfleet.config import load_config

config_app = typer.Typer(help="Configuration: check a camfleet.toml.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def check(
    path: Annotated[
        str | None, typer.Argument(help="Config file to check (default: the one camfleet would use).")
    ] = None,
) -> None:
    """Validate a config file: unknown keys, wrong types and out-of-range values, each with its key path."""
    with errors_as_messages():
        cfg = load_config(path or state.config_path, apply_env=False)
        out_console.print(f"[green]ok[/]: {path or state.config_path or 'defaults'} is valid")
        out_console.print(f"  database: {cfg.database.url.split('://', 1)[0]}, web: {cfg.web.listen}")
