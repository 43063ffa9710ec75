"""Logging: one line per event, logfmt or JSON, camera id first, never a credential.

Use ``camera_log(logger, camera_id, msg, **fields)`` so that every camera line starts with ``camera=``.
A ``RedactingFilter`` removes any registered secret that still slips into a message.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message", "asctime"}


def _logfmt_value(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' ="\\\n\t'):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RESERVED and not k.startswith("_")}


class LogfmtFormatter(logging.Formatter):
    """``level=info camera=C00017 msg="went offline" reason=timeout`` (camera first when present)."""

    def __init__(self, with_time: bool = True) -> None:
        super().__init__()
        self.with_time = with_time

    def format(self, record: logging.LogRecord) -> str:
        parts: list[str] = []
        if self.with_time:
            ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            parts.append(f"ts={ts}.{int(record.msecs):03d}Z")
        parts.append(f"level={record.levelname.lower()}")
        extra = _fields(record)
        if "camera" in extra:
            parts.append(f"camera={_logfmt_value(extra.pop('camera'))}")
        parts.append(f"msg={_logfmt_value(record.getMessage())}")
        parts.extend(f"{k}={_logfmt_value(v)}" for k, v in extra.items())
        if record.exc_info and record.exc_info[0] is not None:
            parts.append(f"error={_logfmt_value(record.exc_info[0].__name__)}")
        parts.append(f"logger={record.name}")
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, camera first when present."""

    def format(self, record: logging.LogRecord) -> str:
        extra = _fields(record)
        out: dict[str, Any] = {}
        if "camera" in extra:
            out["camera"] = extra.pop("camera")
        out.update(ts=record.created, level=record.levelname.lower(), msg=record.getMessage())
        out.update({k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in extra.items()})
        out["logger"] = record.name
        return json.dumps(out, ensure_ascii=False)


class RedactingFilter(logging.Filter):
    """Replace any known secret in a record's message and fields with ``***`` (defence in depth)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def _clean(self, text: str) -> str:
        for s in self.secrets:
            text = text.replace(s, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg = self._clean(record.getMessage())
        record.args = None
        for key, value in _fields(record).items():
            if isinstance(value, str):
                setattr(record, key, self._clean(value))
        return True


class RepeatFilter(logging.Filter):
    """Summarise repeated identical warnings instead of writing them every minute.

    The first occurrence of a (logger, camera, message) at WARNING or above is written; identical ones within
    ``window_s`` are counted and dropped; the next one after the window is written with ``repeated=N`` (how
    many were dropped). Different messages, other cameras and INFO/DEBUG lines pass untouched.
    """

    def __init__(self, window_s: float = 600.0, clock: Callable[[], float] = time.monotonic, max_keys: int = 50_000):
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self.max_keys = max_keys
        self._seen: dict[tuple[str, str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, str(getattr(record, "camera", "")), record.getMessage())
        now = self.clock()
        first, dropped = self._seen.get(key, (None, 0))
        if first is not None and now - first < self.window_s:
            self._seen[key] = (first, dropped + 1)
            return False
        if len(self._seen) >= self.max_keys:  # bounded memory under a storm of distinct messages
            self._seen.clear()
        self._seen[key] = (now, 0)
        if dropped:
            record.repeated = dropped
        return True


def setup_logging(level: str = "info", fmt: str = "logfmt", secrets: Iterable[str] = ()) -> None:
    """Configure the root logger for camfleet (stderr, which journald captures)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else LogfmtFormatter())
    handler.addFilter(RedactingFilter(secrets))
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries are chatty at INFO/DEBUG and zeep may echo request bodies (with digests): keep them quiet.
    for noisy in ("zeep", "onvif", "aiohttp.access", "httpx", "alembic", "sqlalchemy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def camera_log(logger: logging.Logger, level: int, camera_id: str, msg: str, **fields: Any) -> None:
    """Log one camera event with ``camera`` as the first field."""
    logger.log(level, msg, extra={"camera": camera_id, **fields})


_USERINFO = re.compile(r"://[^/@\s]*@")


def capture_native_stderr(level: int) -> None:
    """Route this process's file descriptor 2 into the log at debug level, one record per line.

    For picture workers: FFmpeg and OpenCV write to the C-level stderr directly (``[tcp @ 0x…] Connection to
    tcp://… failed``, ``[ WARN:0@1.2] global cap_ffmpeg_impl.hpp …``), which printed raw between a sweep's
    progress bar and tables. The lines go, logfmt, to the original stderr only when ``level`` is DEBUG; any
    ``user:password@`` in a URL is replaced by ``***@``.
    """
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    handler = logging.StreamHandler(os.fdopen(original, "w", buffering=1, encoding="utf-8", errors="replace"))
    handler.setFormatter(LogfmtFormatter())
    native = logging.getLogger("camfleet.native")
    native.handlers[:] = [handler]
    native.propagate = False
    native.setLevel(level)

    def pump() -> None:
        with os.fdopen(read_end, "rb") as lines:
            for raw in lines:
                text = raw.decode("utf-8", errors="replace").rstrip()
                if text:
                    native.debug("native library output", extra={"line": _USERINFO.sub("://***@", text)})

    threading.Thread(target=pump, name="camfleet-native-stderr", daemon=True).start()
