"""camfleet.vision."""
