"""The camfleet exception tree.

Every error camfleet raises on purpose is a ``CamfleetError``; library and transport errors are mapped
into it at the layer that owns the library (``onvif/`` for zeep and aiohttp, ``inventory/`` for SQLAlchemy)::

    CamfleetError
    ├── ConfigError                 a config or credentials file is wrong (names the file and key path)
    ├── InventoryError              an inventory file is rejected (carries every problem found)
    ├── DatabaseError               the database cannot be reached or written
    │   └── SchemaOutdatedError     the schema is behind the code: run ``camfleet db upgrade``
    ├── DeviceError                 a camera did not answer as an ONVIF camera should
    │   ├── DeviceUnreachable       no route, refused, DNS (``reason`` says which)
    │   ├── DeviceTimeout           no complete answer within the deadline
    │   ├── DeviceAuthError         credentials refused (``reason``: ``password`` or ``clock``)
    │   └── DeviceProtocolError     an answer, but not proper ONVIF (malformed, oversized, wrong type)
    ├── FrameError                  a picture could not be fetched or decoded
    ├── UsageError                  a command-line value makes no sense (an unknown town, a bad window)
    └── NotImplementedYet           a promised command that does not exist yet

Commands exit with 1 for rejected input or failed work, 2 for a usage error, 3 for a database problem and 4
for a configuration problem (``cli/app.py``), so scripts can tell "fix your file" from "retry later".

Messages never carry a password: credentials are referred to by their group name only.
"""

from __future__ import annotations


class CamfleetError(Exception):
    """Base of every error camfleet raises on purpose."""


class ConfigError(CamfleetError):
    """A config or credentials file is invalid; the message names the file and the key path."""


class InventoryProblem:
    """One problem found in an inventory file, located by row (1-based, header is row 1) and column."""

    __slots__ = ("file", "row", "column", "message")

    def __init__(self, file: str, row: int | None, column: str | None, message: str) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.column:
            where += f" [{self.column}]"
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"InventoryProblem({self!s})"


class InventoryError(CamfleetError):
    """An inventory file was rejected; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[InventoryProblem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:50])
        more = f"\n… and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{len(problems)} problem(s) in inventory:\n{lines}{more}")


class DatabaseError(CamfleetError):
    """The database could not be reached or written."""


class SchemaOutdatedError(DatabaseError):
    """The database schema is behind the code."""


class DeviceError(CamfleetError):
    """A camera did not answer as an ONVIF camera should. ``reason`` is a ``model.Reason`` value."""

    reason: str = ""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class DeviceUnreachable(DeviceError):
    """No connection could be made (refused, no route, name not resolved)."""

    reason = "unreachable"


class DeviceTimeout(DeviceError):
    """The camera did not answer completely within the deadline."""

    reason = "timeout"


class DeviceAuthError(DeviceError):
    """The camera refused the credentials (``password``) or the signature's time (``clock``)."""

    reason = "password"


class DeviceProtocolError(DeviceError):
    """The camera answered, but not with proper ONVIF (malformed, oversized, wrong content type)."""

    reason = "malformed"


class DeviceNotSupported(DeviceProtocolError):
    """The camera refused an optional operation it does not implement (SOAP fault ``ter:ActionNotSupported``):
    a capability missing, not a broken camera."""

    reason = "http_error"


class FrameError(CamfleetError):
    """A picture could not be fetched or decoded. ``reason`` is a ``model.Reason`` value."""

    def __init__(self, message: str, reason: str = "frame_error") -> None:
        super().__init__(message)
        self.reason = reason


class UsageError(CamfleetError):
    """A command-line value makes no sense: the message names the option and what it accepts."""


class NotImplementedYet(CamfleetError):
    """A command that the interface promises but this version does not implement yet."""
