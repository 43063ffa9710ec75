"""The typer application, its global options and the helpers every command shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from camfleet import __version__
from camfleet.config import CamfleetConfig, load_config
from camfleet.errors import CamfleetError, ConfigError, DatabaseError, NotImplementedYet, UsageError

app = typer.Typer(
    name="camfleet",
    help=(
        "camfleet keeps a rural district's camera fleet honest: ONVIF health, picture checks, "
        "Prometheus metrics and village-by-village coverage."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)
out_console = Console()


class State:
    """Global options shared by every command."""

    config_path: str | None = None


state = State()


def _version(value: bool) -> None:
    if value:
        print(f"camfleet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    config: Annotated[
        str | None,
        typer.Option(
            "--config",
            help="Config file (else $CAMFLEET_CONFIG, ./camfleet.toml, /etc/camfleet/camfleet.toml).",
            metavar="PATH",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    state.config_path = config


def get_config() -> CamfleetConfig:
    """The config named by --config / the environment / the default locations; its display zone becomes the one
    this command writes times in."""
    from camfleet.config.display import set_display_zone

    cfg = load_config(state.config_path)
    set_display_zone(cfg.display.zone())
    return cfg


def shown_time(ts: float) -> str:
    """``2026-12-06 15:09:00 CST``: a moment for people, in the display zone (``[display] timezone``)."""
    from datetime import datetime

    from camfleet.config.display import display_zone

    return datetime.fromtimestamp(ts, display_zone()).strftime("%Y-%m-%d %H:%M:%S %Z")


def fail(message: str, code: int = 1) -> NoReturn:
    """Print an error on stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(code)


def checked_listen(value: str, option: str) -> tuple[str, int]:
    """``HOST:PORT`` given on the command line, or a usage error naming the option (exit 2)."""
    from camfleet.config.web import parse_listen

    try:
        return parse_listen(value)
    except ValueError as exc:
        fail(f"{option}: {exc}".replace("[", "\\["), code=2)


#: Exit codes: 0 done; 1 the input was rejected or the work failed; 2 a usage error (a bad option or value, an
#: unknown camera, not implemented); 3 the database could not be read or written (retry later, or `db upgrade`);
#: 4 the configuration is wrong (config or credentials file, an address that cannot be listened on).
EXIT_FAILED, EXIT_USAGE, EXIT_DATABASE, EXIT_CONFIG = 1, 2, 3, 4


@contextmanager
def errors_as_messages() -> Iterator[None]:
    """Turn ``CamfleetError`` into one clean message and the exit code of its kind (see EXIT_*)."""
    try:
        yield
    except (NotImplementedYet, UsageError) as exc:
        fail(str(exc).replace("[", "\\["), code=EXIT_USAGE)
    except DatabaseError as exc:
        fail(str(exc).replace("[", "\\["), code=EXIT_DATABASE)
    except ConfigError as exc:
        fail(str(exc).replace("[", "\\["), code=EXIT_CONFIG)
    except CamfleetError as exc:
        fail(str(exc).replace("[", "\\["), code=EXIT_FAILED)
