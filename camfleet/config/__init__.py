"""camfleet configuration: one pydantic model per section, loaded from TOML."""

from camfleet.config.credentials import Credential, CredentialStore, load_credentials
from camfleet.config.load import find_config_path, load_config
from camfleet.config.root import CamfleetConfig

__all__ = [
    "CamfleetConfig",
    "Credential",
    "CredentialStore",
    "find_config_path",
    "load_config",
    "load_credentials",
]
