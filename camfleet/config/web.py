"""[web]: the HTTP server for /metrics, /coverage and the JSON API."""

from pydantic import Field

from camfleet.config.base import Section


class WebConfig(Section):
    """Listen address and optional protection, in the spirit of the exporter toolkit's web config."""

    listen: str = Field("127.0.0.1:9870", title="Listen address", description="HOST:PORT to serve on.")
    basic_auth_user: str = Field("", title="Basic auth user", description="Empty: no authentication.")
    basic_auth_password_file: str = Field(
        "", title="Basic auth password file", description="File holding the password (never in this config)."
    )
    tls_cert_file: str = Field("", title="TLS certificate", description="PEM file; empty: plain HTTP.")
    tls_key_file: str = Field("", title="TLS key", description="PEM file of the key.")
    district: str = Field("", title="District name", description="Shown on the coverage page and report.")


def parse_listen(listen: str) -> tuple[str, int]:
    """Split ``HOST:PORT`` (IPv6 as ``[::1]:9870``) and check the port."""
    host, sep, port_text = listen.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ValueError(f"listen address {listen!r}: expected HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port_text)
