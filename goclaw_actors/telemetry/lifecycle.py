"""Telemetry over the daemon's life (SPEC §11.3, §13, §2.7): started with the daemon, replaced live when
config.yaml's `telemetry.*` settings change, flushed at shutdown.

    start(config)   # at start-up; StartupError E_OTEL_INIT for bad settings or an exporter that cannot be built
    apply(config)   # after a config reload: switches on, off or to the new settings at once
    stop()          # at shutdown: exports what is pending

The SDK is imported only when telemetry is first enabled.
"""

from typing import Any

import gevent

from goclaw_actors import telemetry
from goclaw_actors.errors import ConfigError, StartupError
from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.telemetry.settings import TelemetrySettings, telemetry_settings

log = get_logger("telemetry")


def start(config: Any) -> None:
    """Install what `config`'s telemetry settings ask for (nothing while disabled)."""
    try:
        settings = telemetry_settings(config)
    except ConfigError as exc:
        raise StartupError("E_OTEL_INIT", str(exc)) from exc
    if not settings.enabled:
        _replace(None, wait=True)
        return
    try:
        backend = build(settings)
    except Exception as exc:
        raise StartupError("E_OTEL_INIT", f"telemetry: {type(exc).__name__}: {exc}") from exc
    _replace(backend, wait=True)
    _log_settings("telemetry started", settings)


def apply(config: Any) -> bool:
    """Bring telemetry in line with a reloaded `config`; True when something changed. Settings that cannot
    be applied keep the telemetry in force (logged)."""
    try:
        settings = telemetry_settings(config)
    except ConfigError as exc:
        log.error("telemetry settings not applied; the previous ones stay", error=str(exc))
        return False
    current = telemetry.installed()
    if (current.settings if current is not None else None) == (settings if settings.enabled else None):
        return False
    if not settings.enabled:
        _replace(None, wait=False)
        log.info("telemetry stopped")
        return True
    try:
        backend = build(settings)
    except Exception as exc:  # noqa: BLE001 - a reload must not break the running daemon
        log.error("telemetry settings not applied; the previous ones stay", error=f"{type(exc).__name__}: {exc}")
        return False
    _replace(backend, wait=False)
    _log_settings("telemetry reconfigured" if current is not None else "telemetry started", settings)
    return True


def stop() -> None:
    """Switch telemetry off, exporting what is pending first."""
    _replace(None, wait=True)


def build(settings: TelemetrySettings, **test_parts: Any) -> Any:
    """A Backend for `settings` (imports the SDK); `test_parts` are Backend's `span_processors` / `metric_readers`."""
    from goclaw_actors.telemetry.backend import Backend

    return Backend(settings, **test_parts)


def _replace(backend: Any, wait: bool) -> None:
    """Install `backend` and shut the previous one down (in the background unless `wait`)."""
    previous = telemetry.install(backend)
    if previous is None:
        return
    if wait:
        previous.shutdown()
    else:
        gevent.spawn(previous.shutdown)


def _log_settings(message: str, settings: TelemetrySettings) -> None:
    log.info(message, exporter=settings.exporter,
             endpoint=settings.endpoint if settings.exporter == "otlp-http" else "",
             service_name=settings.service_name, sample_rate=settings.sample_rate,
             metrics_enabled=settings.metrics_enabled)
