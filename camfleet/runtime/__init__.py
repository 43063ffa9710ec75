"""camfleet.runtime."""
