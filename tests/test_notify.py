"""sd_notify: messages reach a real AF_UNIX datagram socket as systemd would receive them."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from camfleet.service.notify import Notifier, watchdog_interval_s


def test_messages_arrive_on_the_notify_socket(tmp_path: Path) -> None:
    """READY, STATUS, WATCHDOG and STOPPING arrive as newline-separated KEY=VALUE datagrams."""
    path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(5)
    try:
        n = Notifier(path)
        n.ready("polling 3 cameras")
        assert server.recv(4096).decode().split("\n") == ["READY=1", "STATUS=polling 3 cameras"]
        n.watchdog()
        assert server.recv(4096) == b"WATCHDOG=1"
        n.stopping()
        assert server.recv(4096) == b"STOPPING=1"
        n.close()
    finally:
        server.close()


def test_without_socket_everything_is_a_noop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside systemd (no $NOTIFY_SOCKET) the notifier is disabled and calls do nothing."""
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    n = Notifier()
    assert not n.enabled
    n.ready()
    n.watchdog()


def test_watchdog_interval_is_half_of_systemds(monkeypatch: pytest.MonkeyPatch) -> None:
    """WatchdogSec=30s (WATCHDOG_USEC=30000000) means a ping every 15 s; another PID's watchdog is ignored."""
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    assert watchdog_interval_s() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", "1")
    assert watchdog_interval_s() is None
