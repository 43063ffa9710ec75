"""[logging]: how camfleet writes its log."""

from typing import Literal

from pydantic import Field

from camfleet.config.base import Section


class LoggingConfig(Section):
    """One line per event, camera id first, never a credential."""

    level: Literal["debug", "info", "warning", "error"] = Field(
        "info", title="Level", description="Least severe level written."
    )
    format: Literal["logfmt", "json"] = Field(
        "logfmt", title="Format", description="logfmt for people and journald, json for collectors."
    )
