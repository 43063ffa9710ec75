"""Simulator at district scale: start-up time, RSS and GetSystemDateAndTime answers/s for 5,500 cameras.

Run: .venv/bin/python benchmarks/simulator_scale.py [--cameras 5500] [--requests 20000] [--concurrency 64]

Three processes: the simulator (child), a baseline server (child: bare aiohttp ``web.Server`` on one
port returning a fixed reply of the same size), and the client (child: aiohttp, bounded concurrency,
bounded total requests). The client hits every camera round-robin; the ratio to the baseline is what to
compare across machines. Everything listens on loopback (127.77.x.y for the cameras).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time

REQUEST = (
    b'<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    b'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body><tds:GetSystemDateAndTime/></s:Body></s:Envelope>'
)


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _hosts(n: int) -> list[str]:
    return [f"127.77.{i // 250}.{i % 250 + 1}" for i in range(n)]


async def _serve_fleet(n: int) -> None:
    from camfleet.simulator import SimCameraSpec, SimulatedFleet

    t0 = time.perf_counter()
    specs = [SimCameraSpec(f"B{i:05d}", h, 8080, "admin", "bench-pass") for i, h in enumerate(_hosts(n))]
    fleet = SimulatedFleet(specs)
    await fleet.start()
    print(json.dumps({"ready": True, "startup_s": round(time.perf_counter() - t0, 2)}), flush=True)
    await _until_signal()
    await fleet.stop()


async def _serve_baseline() -> None:
    from aiohttp import web

    from camfleet.simulator.device_ops import get_system_date_and_time  # noqa: F401 - same import cost
    from camfleet.simulator.soap import envelope

    body = envelope("<tds:GetSystemDateAndTimeResponse>" + "x" * 700 + "</tds:GetSystemDateAndTimeResponse>")

    async def handler(_request: web.BaseRequest) -> web.Response:
        return web.Response(body=body, content_type="application/soap+xml")

    server = web.Server(handler, access_log=None)
    await asyncio.get_running_loop().create_server(server, "127.77.255.1", 8080)
    print(json.dumps({"ready": True}), flush=True)
    await _until_signal()


async def _until_signal() -> None:
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()


async def _client(urls: list[str], total: int, concurrency: int) -> None:
    import aiohttp

    done = errors = 0
    counter = iter(range(total))
    headers = {"Content-Type": "application/soap+xml; charset=utf-8"}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done, errors
        for i in counter:
            try:
                async with session.post(urls[i % len(urls)], data=REQUEST, headers=headers) as resp:
                    await resp.read()
                    done += resp.status == 200
                    errors += resp.status != 200
            except (aiohttp.ClientError, TimeoutError):
                errors += 1

    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    print(json.dumps({"ok": done, "errors": errors, "seconds": round(elapsed, 2), "per_s": round(done / elapsed)}))


def _spawn(args: list[str]) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout=30)
        raise SystemExit(f"child {args} failed (exit {proc.returncode})")
    return proc, json.loads(line)


def _run_client(urls: list[str], total: int, concurrency: int) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "client", str(total), str(concurrency), *urls],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=5500)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    report: dict[str, object] = {
        "cameras": args.cameras,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "cpus": os.cpu_count(),
    }
    base, _ = _spawn(["baseline"])
    try:
        report["baseline"] = _run_client(
            ["http://127.77.255.1:8080/onvif/device_service"], args.requests, args.concurrency
        )
    finally:
        _stop(base)
    fleet, ready = _spawn(["fleet", str(args.cameras)])
    try:
        report["startup_s"] = ready["startup_s"]
        report["rss_mib_idle"] = round(_rss_mib(fleet.pid))
        urls = [f"http://{h}:8080/onvif/device_service" for h in _hosts(args.cameras)]
        report["simulator"] = _run_client(urls, args.requests, args.concurrency)
        report["rss_mib_after_load"] = round(_rss_mib(fleet.pid))
    finally:
        _stop(fleet)
    sim, bl = report["simulator"], report["baseline"]
    assert isinstance(sim, dict) and isinstance(bl, dict)
    report["ratio_to_baseline"] = round(sim["per_s"] / bl["per_s"], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "fleet":
        asyncio.run(_serve_fleet(int(sys.argv[2])))
    elif len(sys.argv) > 1 and sys.argv[1] == "baseline":
        asyncio.run(_serve_baseline())
    elif len(sys.argv) > 1 and sys.argv[1] == "client":
        asyncio.run(_client(sys.argv[4:], int(sys.argv[2]), int(sys.argv[3])))
    else:
        main()
