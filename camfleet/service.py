"""Composition root: wires config, inventory, poller, metrics and web; signals and sd_notify."""
