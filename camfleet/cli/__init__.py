"""The ``camfleet`` command line (typer + rich). One module per command group; nothing imports this."""

from __future__ import annotations

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
