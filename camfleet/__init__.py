"""camfleet: keeps a rural district's video-surveillance fleet honest."""

__version__ = "0.1.0"
