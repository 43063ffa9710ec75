"""systemd's notify protocol: READY, STATUS, WATCHDOG, STOPPING, RELOADING.

Hand-written because the protocol is one datagram to $NOTIFY_SOCKET; the packages that wrap it add nothing
a poller needs and some block on a missing socket. Without $NOTIFY_SOCKET every call is a no-op.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time


class Notifier:
    """Sends sd_notify messages when run under systemd (Type=notify)."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address if address is not None else os.environ.get("NOTIFY_SOCKET", "")
        self._sock: socket.socket | None = None
        if self.address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        """True when a notify socket was given."""
        return self._sock is not None

    def send(self, *fields: str) -> None:
        """Send ``KEY=VALUE`` lines in one datagram; errors are swallowed (never fatal for the service)."""
        if self._sock is None:
            return
        addr = self.address
        if addr.startswith("@"):  # abstract namespace socket
            addr = "\0" + addr[1:]
        with contextlib.suppress(OSError):
            self._sock.sendto("\n".join(fields).encode("utf-8"), addr)

    def ready(self, status: str = "") -> None:
        """The inventory is loaded and the web server listens."""
        self.send("READY=1", f"STATUS={status}") if status else self.send("READY=1")

    def status(self, text: str) -> None:
        """A one-line status shown by ``systemctl status``."""
        self.send(f"STATUS={text}")

    def watchdog(self) -> None:
        """The event loop is alive."""
        self.send("WATCHDOG=1")

    def reloading(self) -> None:
        """A reload begins (systemd ≥ 253 wants a monotonic timestamp with it)."""
        self.send("RELOADING=1", f"MONOTONIC_USEC={time.monotonic_ns() // 1000}")

    def stopping(self) -> None:
        """Shutdown begins."""
        self.send("STOPPING=1")

    def close(self) -> None:
        """Close the socket."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None


def watchdog_interval_s() -> float | None:
    """Half of $WATCHDOG_USEC in seconds (when systemd asked for pings from this process), else None."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000
