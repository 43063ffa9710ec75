"""Helpers for service tests: a small district on 127.40.x.y served by the simulator in a child process,
`camfleet run` in another child process, and a notify socket that receives what systemd would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from camfleet.inventory.files import write_inventory_file

#: A distinctive password: the redaction test searches every output for it.
SECRET = "Zq9-Secret-Pass-4711"
GROUP = "svc-test"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def camera_rows(n: int, net: int) -> list[dict[str, str]]:
    """``n`` cameras C-net-i on 127.40.net.(i+1):8080 in two villages of one town."""
    rows = []
    for i in range(n):
        village = "东岭村" if i % 2 == 0 else "西河村"
        rows.append(
            {
                "town": "青石镇", "village": village, "point_id": f"P{net}-{i}", "point_name": "村口",
                "lat": "30.1", "lon": "120.1", "program": "一村一探头", "point_status": "accepted",
                "installed_on": "2025-05-01", "camera_id": f"C{net}-{i}", "host": f"127.40.{net}.{i + 1}",
                "port": "8080", "credential": GROUP, "uplink": "",
            }
        )  # fmt: skip
    return rows


def write_inventory(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write an inventory CSV (and the credentials file beside it, mode 0600)."""
    write_inventory_file(path, rows)
    cred = path.with_name(path.stem + ".credentials.toml")
    cred.write_text(f'[groups.{GROUP}]\nusername = "admin"\npassword = "{SECRET}"\n', encoding="utf-8")
    cred.chmod(0o600)
    return path


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's notify socket."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.received: list[str] = []

    def wait_for(self, field: str, timeout_s: float = 60.0) -> list[str]:
        """Read datagrams until one contains ``field`` (e.g. ``READY=1``); returns that datagram's lines."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536).decode()
            except TimeoutError:
                break
            self.received.append(data)
            if field in data.split("\n"):
                return data.split("\n")
        raise AssertionError(f"no {field} within {timeout_s} s; got {self.received[-5:]}")

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


class ServiceProcess:
    """`camfleet run` in a child process with its own process group; stderr (the log) goes to a file."""

    def __init__(self, config: Path, listen: str, log: Path, notify: NotifySocket, env: dict[str, str]) -> None:
        self.config, self.listen, self.log, self.notify, self.env = config, listen, log, notify, env
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the service (with systemd's notify and watchdog variables set)."""
        env = {**os.environ, **self.env, "NOTIFY_SOCKET": self.notify.path, "WATCHDOG_USEC": "2000000"}
        env.pop("WATCHDOG_PID", None)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "camfleet.cli", "--config", str(self.config), "run", "--listen", self.listen],
                stdout=log, stderr=log, env=env, start_new_session=True,
            )  # fmt: skip

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the service process."""
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout_s: float) -> int:
        """Wait for exit; the exit status."""
        assert self.proc is not None
        return self.proc.wait(timeout=timeout_s)

    def kill(self) -> None:
        """SIGKILL the whole process group (used by the crash test and as a last resort)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def get(self, path: str) -> tuple[int, str]:
        """GET a path of the web server: (status, body)."""
        try:
            with urllib.request.urlopen(f"http://{self.listen}{path}", timeout=10) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def wait_until(predicate: object, timeout_s: float = 60.0, what: str = "condition") -> None:
    """Poll ``predicate()`` every 0.3 s until it is true (bounded)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what} not reached within {timeout_s} s")
