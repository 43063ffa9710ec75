"""``camfleet config check``: validate a config file and name every bad key."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from camfleet.cli.app import app, err_console, errors_as_messages, out_console, state
from camfleet.config import load_config
from camfleet.config.load import check_files
from camfleet.errors import ConfigError

config_app = typer.Typer(help="Configuration: check a camfleet.toml.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("check")
def check(
    path: Annotated[
        str | None, typer.Argument(help="Config file to check (default: the one camfleet would use).")
    ] = None,
) -> None:
    """Validate a config file: unknown keys, wrong types and out-of-range values, each with its key path, and
    the files it names (credentials, web password and TLS files, the SQLite file's directory)."""
    with errors_as_messages():
        cfg = load_config(path or state.config_path, apply_env=False)
        problems, warnings = check_files(cfg)
        if problems:
            raise ConfigError("the files it names:\n" + "\n".join(problems))
        for line in warnings:
            err_console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)
        out_console.print(f"[green]ok[/]: {path or state.config_path or 'defaults'} is valid")
        out_console.print(f"  database: {cfg.database.url.split('://', 1)[0]}, web: {cfg.web.listen}")
