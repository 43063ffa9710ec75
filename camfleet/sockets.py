"""Who holds a TCP address: so that a bind error names the address and, when Linux says, the program on it.

Stdlib only (L0). ``/proc/net/tcp{,6}`` gives the listening socket's inode; the process whose
``/proc/PID/fd`` links to that socket holds it. Another user's processes may not be readable: then only the
address is named.
"""

from __future__ import annotations

import errno
import ipaddress
import os
from pathlib import Path

_LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def _proc_address(host: str, port: int) -> set[str]:
    """The ``/proc/net/tcp`` spellings of ``host:port`` (and of the wildcard address, which also holds it)."""
    ip = ipaddress.ip_address(host)
    if ip.version == 4:
        hosts = [ip.packed[::-1].hex().upper(), "00000000"]
    else:
        # IPv6: four 32-bit words, each in host (little-endian) order.
        hosts = ["".join(ip.packed[i : i + 4][::-1].hex() for i in range(0, 16, 4)).upper(), "0" * 32]
    return {f"{h}:{port:04X}" for h in hosts}


def _listening_inodes(host: str, port: int) -> set[str]:
    try:
        wanted = _proc_address(host, port)
    except ValueError:
        return set()
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[1] in wanted and fields[3] == _LISTEN:
                inodes.add(fields[9])
    return inodes


def holder_of(host: str, port: int) -> str:
    """``"pid 1234 (camfleet simulate fleet …)"`` for the process listening on host:port, or ``""``."""
    inodes = _listening_inodes(host, port)
    if not inodes:
        return ""
    targets = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in targets:
                    cmdline = " ".join(
                        (proc / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ").split()
                    )
                    return f"pid {proc.name} ({cmdline[:120]})"
        except OSError:
            continue
    return ""


def bind_error(host: str, port: int, exc: OSError) -> str:
    """One line for a failed bind: the address, the cause, and who holds the address when that is known."""
    if exc.errno == errno.EADDRINUSE:
        holder = holder_of(host, port)
        held = f": held by {holder}" if holder else " (by a program this user cannot see)"
        return f"cannot listen on {host}:{port}: address already in use{held}"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}:{port}: no interface of this machine has that address"
    if exc.errno == errno.EACCES:
        return f"cannot listen on {host}:{port}: permission denied (ports below 1024 need privileges)"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
