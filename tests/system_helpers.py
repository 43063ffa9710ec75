"""System packages some tests use (promtool, Alertmanager, Chromium, GStreamer's RTSP server, systemd-analyze).

Where one is missing the test is skipped, saying which Debian package brings it; under CI
(``CAMFLEET_REQUIRE_SYSTEM=1``, set by ``.ci/run``, which installs them) it fails instead, so a broken install
cannot land green with those checks quietly skipped.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE = "CAMFLEET_REQUIRE_SYSTEM"


def missing(why: str) -> NoReturn:
    """Skip the test for want of a system package, or fail it where the package is required (CI)."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{why} ({REQUIRE}=1: required here)", pytrace=False)
    pytest.skip(why)


def need(present: object, why: str) -> None:
    """``missing(why)`` unless ``present`` (a path, a flag)."""
    if not present:
        missing(why)
