"""The ``camfleet`` command line (typer + rich). One module per command group; nothing imports this."""

from __future__ import annotations

import importlib.util
import sys

from camfleet.cli import (
    analyze,
    baseline,
    config_cmd,
    coverage,
    db,
    demo,
    inventory,
    maintenance,
    poller,
    relay,
    run,
    simulate,
    simulate_fleet,
)
from camfleet.cli.app import app


def main() -> None:
    """Console-script entry point."""
    # Picture workers start from a forkserver, and a new process first imports its parent's main module: for the
    # console script that is this whole command line, ~40 MB more in every worker (90 against 50 MB resident).
    # multiprocessing skips a main module named ``<package>.__main__``; this is ``python -m camfleet`` anyway.
    main_module = sys.modules["__main__"]
    if getattr(main_module, "__spec__", None) is None:
        main_module.__spec__ = importlib.util.find_spec("camfleet.__main__")
    app(prog_name="camfleet")


__all__ = [
    "analyze",
    "app",
    "baseline",
    "config_cmd",
    "coverage",
    "db",
    "demo",
    "inventory",
    "main",
    "maintenance",
    "poller",
    "relay",
    "run",
    "simulate",
    "simulate_fleet",
]
