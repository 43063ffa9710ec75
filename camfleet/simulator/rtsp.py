"""H.264 RTSP streams for the cameras whose spec has ``rtsp``: GStreamer's RTSP server in a child process.

GStreamer's Python bindings (``gi``) come from the Debian packages ``python3-gi`` and
``gir1.2-gst-rtsp-server-1.0`` and live in the system Python, not in a virtualenv: so the server runs as
``/usr/bin/python3`` with the script below, one ``RTSPServer`` per camera, each bound to the camera's own
loopback address (port ``RTSP_PORT``, or an RTSP-only camera's own port), serving one mount per profile token or
an RTSP-only camera's explicit path. The child's stdin stays open for per-address commands (``control``): an
RTSP-only camera's ``offline`` closes its listening socket (``uplink_down`` too, and the fleet then holds a full
backlog-0 listener there so connects time out), ``auth`` swaps its login. Each client gets a pipeline of its
own (not shared: a client arriving while the last one's shared pipeline was still being torn down, on a loaded
box, could not open the stream), and its TEARDOWN ends it; the next client's pipeline has its sensor
noise placed at another offset, so consecutive samples differ, as a live camera's do; a stream nobody
has open costs nothing. FFmpeg cannot open MJPEG over RTP here; H.264 it can.
Every stream asks for HTTP Digest authentication (RFC 2617, as RTSP 1.0 cameras do) with the camera's own
ONVIF user and password; the credentials reach the child on its standard input, never on its command line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from camfleet.errors import ConfigError

SYSTEM_PYTHON = "/usr/bin/python3"
RTSP_PORT = 8554  # 554 needs root; real cameras use 554

SERVER_SCRIPT = r"""
import json, os, sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer

Gst.init(None)
# Colour bars with 8 % of "snow" mixed in: a live sensor's noise, so consecutive pictures differ as a real
# camera's do (bars alone would be bit-identical outside the clock and rightly judged frozen). Every frame
# is a keyframe: a client decodes from the next keyframe, so two clients within one GOP got the same one.
# The snow is larger than the picture and placed at another offset in each new pipeline: videotestsrc draws
# the same snow in every pipeline, and FFmpeg's TEARDOWN ends the pipeline after each sample, so every
# sample was a new pipeline's first picture, bit-identical to the last one (read as frozen).
MARGIN = 64
LAUNCH = (
    "( videotestsrc is-live=true pattern=smpte ! video/x-raw,width={w},height={h},framerate=10/1 "
    "! compositor name=mix sink_1::alpha=0.08 ! video/x-raw,width={w},height={h} "
    "! timeoverlay halignment=right valignment=top "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=1 ! rtph264pay name=pay0 pt=96 "
    "videotestsrc is-live=true pattern=snow ! video/x-raw,width={sw},height={sh},framerate=10/1 ! mix. )"
)
pipelines = [0]


def place_noise(factory, media):
    pipelines[0] += 1
    n = pipelines[0]
    pad = media.get_element().get_by_name("mix").get_static_pad("sink_1")
    pad.set_property("xpos", -((n * 37) % MARGIN))
    pad.set_property("ypos", -((n * 23) % MARGIN))

def read_line(buffer=[b""]):
    # Our own line reader on the raw descriptor: a buffered sys.stdin would read commands ahead of GLib's watch.
    while b"\n" not in buffer[0]:
        chunk = os.read(0, 65536)
        if not chunk:
            return None
        buffer[0] += chunk
    line, buffer[0] = buffer[0].split(b"\n", 1)
    return line


def viewer(cam, password):
    auth = GstRtspServer.RTSPAuth()
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", "viewer")
    auth.add_digest(cam["username"], password, token)
    return auth


servers = {}
for cam in json.loads(read_line()):
    server = GstRtspServer.RTSPServer()
    server.set_address(cam["host"])
    server.set_service(str(cam["port"]))
    auth = viewer(cam, cam["password"])
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_permission_for_role("viewer", "media.factory.access", True)
    permissions.add_permission_for_role("viewer", "media.factory.construct", True)
    for mount in cam["mounts"]:
        factory = GstRtspServer.RTSPMediaFactory()
        w, h = mount["width"], mount["height"]
        factory.set_launch(LAUNCH.format(w=w, h=h, sw=w + MARGIN, sh=h + MARGIN))
        factory.set_shared(False)  # see the module docstring: a shared media being unprepared refuses newcomers
        factory.set_stop_on_disconnect(False)
        factory.connect("media-configure", place_noise)
        factory.set_permissions(permissions)
        server.get_mount_points().add_factory(mount.get("path") or "/" + mount["token"], factory)
    source = server.attach(None)
    if source == 0:
        sys.exit("could not listen on %s:%s" % (cam["host"], cam["port"]))
    # A wrong password for the "auth" fault: random, never sent anywhere, so the inventory's is refused.
    servers[(cam["host"], cam["port"])] = {"server": server, "source": source, "auth": auth,
                                            "refuse": viewer(cam, os.urandom(12).hex())}


def drop_clients(server):
    server.client_filter(lambda srv, client, *data: GstRtspServer.RTSPFilterResult.REMOVE)


def command(fd, condition):
    # {"host", "port", "up": bool, "accept": bool}: "down" closes the listening socket (connections are refused,
    # as a camera that is off) and drops its clients; "accept" false swaps in a login the inventory does not know.
    line = read_line()
    if line is None:
        loop.quit()
        return False
    order = json.loads(line)
    entry = servers[(order["host"], order["port"])]
    server = entry["server"]
    server.set_auth(entry["auth"] if order["accept"] else entry["refuse"])
    if not order["accept"]:
        drop_clients(server)
    if not order["up"] and entry["source"]:
        GLib.Source.remove(entry["source"])
        entry["source"] = 0
        drop_clients(server)
    elif order["up"] and not entry["source"]:
        entry["source"] = server.attach(None)
    sys.stdout.write("ok\n")  # the fleet waits for this: a fault "in force" must be in force before it returns
    sys.stdout.flush()
    return True


try:
    os.unlink(sys.argv[0])  # this script's file: nothing is left in the temporary directory, whoever stops us
except OSError:
    pass
# In its own session (stopped by its group), so a parent that dies without stopping it (SIGKILL, a Ctrl-C that
# reaches the whole terminal group) would leave it holding every camera's address: it leaves with its parent.
parent = os.getppid()
loop = GLib.MainLoop()


def orphaned():
    if os.getppid() != parent:
        loop.quit()
        return False
    return True


GLib.timeout_add_seconds(1, orphaned)
GLib.io_add_watch(0, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP, command)
print("ready", flush=True)
loop.run()
"""


def available() -> bool:
    """True when the system Python has GStreamer's RTSP server bindings."""
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    return subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True, timeout=30).returncode == 0


class RtspServers:
    """One child process serving every RTSP camera; stopped by its PID (its own process group)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self._script: str | None = None

    def start(self, cameras: Sequence[dict[str, object]], timeout_s: float = 60.0) -> None:
        """Serve ``cameras`` (``{"host", "port", "username", "password", "mounts": [{"token", "width",
        "height"}]}``, Digest auth with that user); wait for ready."""
        if not cameras:
            return
        if not available():
            raise ConfigError(
                "RTSP streams need GStreamer's RTSP server for the system Python: "
                "apt-get install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-{base,good,ugly}"
            )
        fd, self._script = tempfile.mkstemp(prefix="camfleet-rtsp-", suffix=".py")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(SERVER_SCRIPT)
        self.proc = subprocess.Popen(
            [SYSTEM_PYTHON, self._script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True,
        )  # fmt: skip
        assert self.proc.stdin is not None and self.proc.stdout is not None
        # One line of cameras, then the pipe stays open for ``control`` commands (and its end tells the child to go).
        self.proc.stdin.write(json.dumps(list(cameras)) + "\n")
        self.proc.stdin.flush()
        try:
            line = _readline(self.proc, timeout_s)
        except TimeoutError:
            self.stop()
            raise ConfigError(f"RTSP server did not start within {timeout_s:.0f} s") from None
        if line.strip() != "ready":
            err = self.proc.stderr.read() if self.proc.stderr else ""
            self.stop()
            raise ConfigError(f"RTSP server failed to start: {(line + err).strip()[-500:]}")

    def control(self, host: str, port: int, *, up: bool, accept: bool) -> None:
        """Take one address's RTSP server off the air (``up`` false: connections refused) or back, and make it
        refuse (``accept`` false) or accept its camera's password. A line on the child's stdin, then its "ok"
        (a few ms): without waiting, a probe sent right after a scenario's start found the stream still up."""
        if self.proc is None or self.proc.stdin is None:
            return
        order = {"host": host, "port": port, "up": up, "accept": accept}
        try:
            self.proc.stdin.write(json.dumps(order) + "\n")
            self.proc.stdin.flush()
            _readline(self.proc, 10.0)
        except (BrokenPipeError, ValueError, TimeoutError):  # the child is gone or hung: nothing to wait for
            pass

    def stop(self) -> None:
        """Terminate the server's process group and remove its script."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._script:
            Path(self._script).unlink(missing_ok=True)
            self._script = None


def _readline(proc: subprocess.Popen[str], timeout_s: float) -> str:
    """One line of the child's stdout, or TimeoutError, so a hung child cannot block.

    ``selectors`` (epoll), not ``select.select``: the simulator holds one listening socket per camera, so at
    the demo's default 5,500 cameras this pipe's descriptor is above 1023, where ``select`` raises
    "filedescriptor out of range".
    """
    import selectors

    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout_s):
            raise TimeoutError
    return proc.stdout.readline()
