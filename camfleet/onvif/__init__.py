"""camfleet.onvif."""
