"""The `telemetry.*` settings of config.yaml (SPEC §2.3, §11.3), checked without importing OpenTelemetry.

    settings = telemetry_settings(config)   # ConfigError naming the bad key
    settings.enabled, settings.exporter, settings.signal_url("traces")
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from goclaw_actors.config.text_values import MAX_NAME, check_text
from goclaw_actors.errors import ConfigError

EXPORTERS = ("otlp-http", "stdout", "none")
DEFAULT_ENDPOINT = "localhost:4318"
DEFAULT_SERVICE_NAME = "goclaw"
MAX_ENDPOINT = 2048


@dataclass(frozen=True)
class TelemetrySettings:
    """What the daemon exports: spans (and metrics when `metrics_enabled`) through `exporter`, to `endpoint`
    (a base URL, `http://localhost:4318` by default) for `otlp-http`, sampled at `sample_rate`."""

    enabled: bool = False
    exporter: str = "otlp-http"
    endpoint: str = "http://" + DEFAULT_ENDPOINT
    service_name: str = DEFAULT_SERVICE_NAME
    sample_rate: float = 1.0
    metrics_enabled: bool = True

    def signal_url(self, signal: str) -> str:
        """The OTLP/HTTP URL of one signal (`traces`, `metrics`): the endpoint's base URL + `/v1/<signal>`."""
        return f"{self.endpoint.rstrip('/')}/v1/{signal}"


def telemetry_settings(config: Any) -> TelemetrySettings:
    """The checked `telemetry.*` settings of `config` (a Config); raises ConfigError naming a bad key.

    Checked whether or not telemetry is enabled, so a typo is found before it is switched on.
    """
    section = config.get("telemetry") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"telemetry must be a mapping, got {type(section).__name__}")
    exporter = section.get("exporter", "otlp-http")
    if exporter not in EXPORTERS:
        raise ConfigError(f"telemetry.exporter must be one of {', '.join(EXPORTERS)}, got {exporter!r}")
    sample_rate = section.get("sample_rate", 1.0)  # its range is checked with the other numbers (bounds.py)
    return TelemetrySettings(
        enabled=_flag(section.get("enabled", False), "telemetry.enabled"),
        exporter=exporter,
        endpoint=endpoint_url(section.get("endpoint", DEFAULT_ENDPOINT)),
        service_name=_service_name(section.get("service_name", DEFAULT_SERVICE_NAME)),
        sample_rate=float(1.0 if sample_rate is None else sample_rate),
        metrics_enabled=_flag(section.get("metrics_enabled", True), "telemetry.metrics_enabled"),
    )


def endpoint_url(value: Any) -> str:
    """`telemetry.endpoint` as a base URL: `host:port` gets `http://`; only http and https with a host and
    no query or fragment are accepted."""
    text = check_text(value, "telemetry.endpoint", MAX_ENDPOINT).strip()
    url = text if "://" in text else "http://" + text
    problem = "must be an http(s) URL or host:port such as localhost:4318"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        raise ConfigError(f"telemetry.endpoint {problem}, got {text!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment or " " in url:
        raise ConfigError(f"telemetry.endpoint {problem}, got {text!r}")
    return url


def _service_name(value: Any) -> str:
    name = check_text(value, "telemetry.service_name", MAX_NAME).strip()
    if not name:
        raise ConfigError("telemetry.service_name must not be empty")
    return name


def _flag(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    return value
