"""The service: composition root (config, inventory, poller, metrics, web), signals and sd_notify."""
