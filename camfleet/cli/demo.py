"""``camfleet demo``: a simulated district fleet, the poller and the web UI on embedded defaults."""

from __future__ import annotations

from camfleet.cli.app import app, not_implemented


@app.command("demo")
def demo() -> None:
    """Start a simulated district, poll it, and serve metrics and the coverage page on 127.0.0.1."""
    not_implemented("demo", "service issue")()
