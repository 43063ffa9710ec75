"""[credentials]: where camera credential groups are read from."""

from pydantic import Field

from camfleet.config.base import Section


class CredentialsConfig(Section):
    """Location of the secrets file. ``$CAMFLEET_CREDENTIALS_FILE`` overrides ``file``."""

    file: str = Field(
        default="",
        title="Credentials file",
        description=(
            "TOML file with [groups.NAME] username/password tables, mode 0600. Empty: use "
            "$CREDENTIALS_DIRECTORY (systemd LoadCredential=), else the file beside the inventory."
        ),
    )
