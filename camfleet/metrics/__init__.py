"""camfleet.metrics."""
