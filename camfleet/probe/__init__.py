"""camfleet.probe."""
