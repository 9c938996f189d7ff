"""Where spans and metrics go (`telemetry.exporter`): OTLP/HTTP to `telemetry.endpoint`, one JSON line per
span or metrics batch on stdout, or nowhere (`none`: spans are still made, for the trace ids).

The SDK's batch span processor and periodic metric reader run their loop on a (monkey-patched, hence
green) thread; the export itself (encoding and the HTTP request) is handed to one native thread of its
own, so a large batch or a slow collector never holds the gevent hub.
"""

import os
import sys
from typing import Any, Sequence

from gevent.threadpool import ThreadPool
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from goclaw_actors.logs.system_log import get_logger, writes_to_stdout
from goclaw_actors.telemetry.settings import TelemetrySettings

EXPORT_TIMEOUT_SECONDS = 5.0  # one OTLP request, its retries included

log = get_logger("telemetry")


class OffHubSpanExporter(SpanExporter):
    """Runs `inner.export` on `pool`'s native thread and waits for it cooperatively."""

    def __init__(self, inner: SpanExporter, pool: ThreadPool):
        self.inner = inner
        self.pool = pool

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export one batch off the hub."""
        return self.pool.apply(self.inner.export, (spans,))

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the inner exporter."""
        return self.inner.force_flush(timeout_millis)

    def shutdown(self) -> None:
        """Shut the inner exporter down."""
        self.inner.shutdown()


class OffHubMetricExporter(MetricExporter):
    """Runs `inner.export` on `pool`'s native thread, with the inner exporter's temporality and aggregation."""

    def __init__(self, inner: MetricExporter, pool: ThreadPool):
        super().__init__(preferred_temporality=inner._preferred_temporality,
                         preferred_aggregation=inner._preferred_aggregation)
        self.inner = inner
        self.pool = pool

    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        """Export one collection off the hub."""
        return self.pool.apply(self.inner.export, (metrics_data,), {"timeout_millis": timeout_millis})

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Flush the inner exporter."""
        return self.inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Shut the inner exporter down."""
        self.inner.shutdown(timeout_millis=timeout_millis)


def span_processors(settings: TelemetrySettings, pool: ThreadPool) -> list[Any]:
    """The span processors of `settings.exporter` (none for `none`, nor for `stdout` while the daemon does not
    own stdout: under the dashboard the terminal is its screen)."""
    if settings.exporter == "none" or not _may_print(settings):
        return []
    if settings.exporter == "stdout":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        exporter: SpanExporter = ConsoleSpanExporter(out=sys.stdout,
                                                     formatter=lambda span: span.to_json(indent=None) + os.linesep)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.signal_url("traces"), timeout=EXPORT_TIMEOUT_SECONDS)
    return [BatchSpanProcessor(OffHubSpanExporter(exporter, pool))]


def metric_readers(settings: TelemetrySettings, pool: ThreadPool) -> list[Any]:
    """The metric readers of `settings` (none when metrics are off or the exporter is `none`)."""
    if not settings.metrics_enabled or settings.exporter == "none" or not _may_print(settings):
        return []
    if settings.exporter == "stdout":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        exporter: MetricExporter = ConsoleMetricExporter(
            out=sys.stdout, formatter=lambda data: data.to_json(indent=None) + os.linesep)
    else:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        exporter = OTLPMetricExporter(endpoint=settings.signal_url("metrics"), timeout=EXPORT_TIMEOUT_SECONDS)
    return [PeriodicExportingMetricReader(OffHubMetricExporter(exporter, pool))]


def _may_print(settings: TelemetrySettings) -> bool:
    """False (logged) for the `stdout` exporter when stdout is not the daemon's."""
    if settings.exporter != "stdout" or writes_to_stdout():
        return True
    log.warn("telemetry.exporter stdout: stdout is not the daemon's (the dashboard's screen); nothing is printed")
    return False
