"""camfleet.inventory."""
