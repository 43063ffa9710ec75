"""[web]: the HTTP server for /metrics, /coverage and the JSON API."""

import ipaddress

from pydantic import Field, field_validator

from camfleet.config.base import Section


class WebConfig(Section):
    """Listen address and optional protection, in the spirit of the exporter toolkit's web config."""

    listen: str = Field("127.0.0.1:9870", title="Listen address", description="HOST:PORT to serve on.")
    basic_auth_user: str = Field(
        "", title="Basic auth user", description="Empty: no authentication, and the web's write actions are off."
    )
    basic_auth_password_file: str = Field(
        "", title="Basic auth password file", description="File holding the password (never in this config)."
    )
    tls_cert_file: str = Field("", title="TLS certificate", description="PEM file; empty: plain HTTP.")
    tls_key_file: str = Field("", title="TLS key", description="PEM file of the key.")
    district: str = Field("", title="District name", description="Shown on the coverage page and report.")

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        # Checked here so that `camfleet config check` rejects what `camfleet run` could not bind.
        parse_listen(value)
        return value


def parse_listen(listen: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (IPv6 as ``[::1]:9870``) and check both: the port 1-65535, the host an IP address or
    ``localhost`` (a bind address, not a name to look up; empty means 127.0.0.1)."""
    host, sep, port_text = listen.rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError(f"listen address {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:9870 or [::1]:9870")
    if not 0 < int(port_text) < 65536:
        raise ValueError(f"listen address {listen!r}: port {port_text} is not 1-65535")
    if host.startswith("[") != host.endswith("]"):
        raise ValueError(f"listen address {listen!r}: unbalanced brackets (IPv6 is written [::1]:9870)")
    host = host.strip("[]") or "127.0.0.1"
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(
                f"listen address {listen!r}: {host!r} is not an IP address "
                "(127.0.0.1: this host only; 0.0.0.0: every interface)"
            ) from None
    return host, int(port_text)
