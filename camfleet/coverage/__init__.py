"""camfleet.coverage."""
