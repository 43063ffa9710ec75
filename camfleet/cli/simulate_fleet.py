"""``camfleet simulate fleet``: serve an inventory's cameras as virtual ONVIF cameras."""

from __future__ import annotations

from typing import Annotated

import typer

from camfleet.cli.app import not_implemented
from camfleet.cli.simulate import simulate_app


@simulate_app.command("fleet")
def fleet(
    inventory: Annotated[str, typer.Option("--inventory", help="Inventory file of the cameras to serve.")],
    scenario: Annotated[str | None, typer.Option("--scenario", help="Fault scenario TOML.")] = None,
) -> None:
    """Serve every camera of an inventory as a virtual ONVIF camera on its own loopback address."""
    not_implemented("simulate fleet", "simulator issue")()
