"""Run the simulator as a child process (the demo, service tests and benchmarks keep it out of the poller's
process: one listening socket per camera plus both ends of every connection would crowd one fd table).

The child gets its own process group; ``stop()`` signals that group by its id, never by name.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType


class SimulatorProcess:
    """``camfleet simulate fleet`` in a child process, ready when its control endpoint answers."""

    def __init__(
        self,
        inventory: str | os.PathLike[str],
        *,
        scenario: str | os.PathLike[str] | None = None,
        control: tuple[str, int] = ("127.0.0.1", 9871),
        log_file: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        rtsp: int = 0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.inventory = Path(inventory)
        self.scenario = Path(scenario) if scenario else None
        self.control = control
        self.log_file = Path(log_file) if log_file else None
        self.env = env
        self.rtsp = rtsp
        self.extra_args = extra_args
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def control_url(self) -> str:
        """Base URL of the fault control endpoint."""
        return f"http://{self.control[0]}:{self.control[1]}"

    def start(self, timeout_s: float = 90.0) -> None:
        """Start the child and wait until its control endpoint answers (or raise RuntimeError)."""
        cmd = [sys.executable, "-m", "camfleet.cli", "simulate", "fleet", "--inventory", str(self.inventory)]
        cmd += ["--control", f"{self.control[0]}:{self.control[1]}"]
        if self.scenario is not None:
            cmd += ["--scenario", str(self.scenario)]
        if self.rtsp:
            cmd += ["--rtsp", str(self.rtsp)]
        cmd += list(self.extra_args)
        out = self.log_file.open("ab") if self.log_file else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(
                cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=self.env
            )
        finally:
            if self.log_file and not isinstance(out, int):
                out.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited with status {self.proc.returncode} during start-up")
            try:
                with urllib.request.urlopen(self.control_url + "/faults", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"simulator did not answer on {self.control_url} within {timeout_s:.0f} s")

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM the child's process group, then SIGKILL it if it does not exit in time."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        pgid = proc.pid  # start_new_session: the child leads its own group
        try:
            os.killpg(pgid, signal.SIGTERM)
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            proc.wait(timeout=timeout_s)
        except ProcessLookupError:
            pass

    def __enter__(self) -> SimulatorProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
