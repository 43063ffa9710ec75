"""camfleet.simulator."""
