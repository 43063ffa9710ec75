"""The whole configuration file."""

from pydantic import Field

from camfleet.config.base import Section
from camfleet.config.cluster import ClusterConfig
from camfleet.config.coverage import CoverageConfig
from camfleet.config.credentials_section import CredentialsConfig
from camfleet.config.database import DatabaseConfig
from camfleet.config.display import DisplayConfig
from camfleet.config.events import EventsConfig
from camfleet.config.logging_section import LoggingConfig
from camfleet.config.poller import PollerConfig
from camfleet.config.vision import VisionConfig
from camfleet.config.web import WebConfig


class CamfleetConfig(Section):
    """camfleet.toml. Every section is optional; missing sections take their defaults."""

    database: DatabaseConfig = Field(default_factory=DatabaseConfig, title="Database")
    credentials: CredentialsConfig = Field(default_factory=CredentialsConfig, title="Credentials")
    poller: PollerConfig = Field(default_factory=PollerConfig, title="Poller")
    vision: VisionConfig = Field(default_factory=VisionConfig, title="Vision")
    events: EventsConfig = Field(default_factory=EventsConfig, title="Camera events")
    web: WebConfig = Field(default_factory=WebConfig, title="Web")
    logging: LoggingConfig = Field(default_factory=LoggingConfig, title="Logging")
    cluster: ClusterConfig = Field(default_factory=ClusterConfig, title="Cluster")
    coverage: CoverageConfig = Field(default_factory=CoverageConfig, title="Coverage")
    display: DisplayConfig = Field(default_factory=DisplayConfig, title="Display")
