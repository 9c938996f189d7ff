"""The OpenTelemetry SDK behind the hooks of `goclaw_actors.telemetry` (imported only when telemetry is enabled).

    backend = Backend(settings)            # exporters from the settings
    telemetry.install(backend)             # the hooks record through it
    backend.shutdown()                     # flush and stop exporting

A test may pass its own span processors and metric readers (the SDK's in-memory ones). The providers are
the backend's own, never OpenTelemetry's global ones, so a reload can replace them while the daemon runs.
"""

from typing import Any, Callable, Sequence

import gevent
from gevent.threadpool import ThreadPool
from opentelemetry.context import get_value
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import get_current_span

from goclaw_actors.logs.system_log import get_logger
from goclaw_actors.telemetry import exporters, genai_spans, server_spans, task_traces
from goclaw_actors.telemetry.instruments import create_instruments
from goclaw_actors.telemetry.semconv import AGENT_ID
from goclaw_actors.telemetry.settings import TelemetrySettings
from goclaw_actors.telemetry.span_tools import TASK_KEY
from goclaw_actors.telemetry.trace_context import format_traceparent
from goclaw_actors.version import __version__

SCOPE = "goclaw"
SHUTDOWN_SECONDS = 10.0  # flushing at shutdown waits at most this long for the exporters

log = get_logger("telemetry")


class Backend:
    """Tracer and meter providers built from `settings`, and the hooks' implementations."""

    def __init__(self, settings: TelemetrySettings, span_processors: Sequence[Any] | None = None,
                 metric_readers: Sequence[Any] | None = None):
        self.settings = settings
        self.pool = ThreadPool(1)  # the exporters' native thread
        resource = Resource.create({"service.name": settings.service_name, "service.version": __version__})
        self.tracer_provider = TracerProvider(
            resource=resource, sampler=task_traces.sampler(settings.sample_rate),
            id_generator=task_traces.TaskTraceIds(), shutdown_on_exit=False)
        processors = exporters.span_processors(settings, self.pool) if span_processors is None else span_processors
        for processor in processors:
            self.tracer_provider.add_span_processor(processor)
        self.tracer = self.tracer_provider.get_tracer(SCOPE, __version__)
        readers = exporters.metric_readers(settings, self.pool) if metric_readers is None else metric_readers
        self.meter_provider = (MeterProvider(resource=resource, metric_readers=list(readers), shutdown_on_exit=False,
                                             exemplar_filter=AlwaysOffExemplarFilter())  # a tenth of a record's cost
                               if readers and settings.metrics_enabled else None)
        # None while metrics are off: the hooks then skip every metric
        self.instruments = create_instruments(self.meter_provider.get_meter(SCOPE, __version__)) \
            if self.meter_provider else None

    def traceparent(self) -> str | None:
        """The W3C traceparent of the current span, or None."""
        context = get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return format_traceparent(context.trace_id, context.span_id, context.trace_flags)

    def task_attempt(self, task: Any) -> genai_spans.AttemptSpan:
        """The attempt span of `task`."""
        return genai_spans.AttemptSpan(self, task)

    def llm_call(self, provider: Any, request: Any, on_token: Callable[[str], None] | None) -> Any:
        """A provider call in its chat span."""
        return genai_spans.llm_call(self, provider, request, on_token)

    def tool_call(self, run: Callable[..., str], call: Any, *args: Any) -> str:
        """A tool call in its execute_tool span."""
        return genai_spans.tool_call(self, run, call, *args)

    def serve_request(self, app: Callable, environ: dict[str, Any], start_response: Callable) -> Any:
        """An HTTP request in its server span."""
        return server_spans.serve_request(self, app, environ, start_response)

    def acp_call(self, method: str, serve: Callable[[Any], Any], call: Any) -> Any:
        """An ACP call in its server span."""
        return server_spans.acp_call(self, method, serve, call)

    def agent_loop(self, run: Callable[..., Any], *args: Any) -> Any:
        """`run(*args)` counted in goclaw.loop.active."""
        instruments = self.instruments
        if instruments is None:
            return run(*args)
        attributes = _agent_attributes()
        instruments.loop_active.add(1, attributes)
        try:
            return run(*args)
        finally:
            instruments.loop_active.add(-1, attributes)

    def loop_step(self) -> None:
        """One agent loop step."""
        if self.instruments is not None:
            self.instruments.loop_steps.add(1, _agent_attributes())

    def rate_limited(self, surface: str) -> None:
        """One rate-limited request (`surface`: http or acp)."""
        if self.instruments is not None:
            self.instruments.ratelimit_rejects.add(1, {"goclaw.surface": surface})

    def shutdown(self) -> None:
        """Export what is pending (within SHUTDOWN_SECONDS) and stop; spans ended later are dropped."""
        flushing = gevent.spawn(self._shutdown_providers)
        flushing.join(timeout=SHUTDOWN_SECONDS)
        if not flushing.dead:
            log.warn("telemetry export did not finish at shutdown; the rest is dropped",
                     timeout_seconds=SHUTDOWN_SECONDS)
            flushing.kill(block=False)
        self.pool.kill()

    def _shutdown_providers(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is None:
                continue
            try:
                provider.shutdown()
            except Exception as exc:  # noqa: BLE001 - an exporter failing at exit must not stop the daemon's exit
                log.warn("telemetry shutdown failed", error=str(exc))


def _agent_attributes() -> dict[str, Any]:
    """The agent of the current attempt, as a metric attribute (none outside an attempt)."""
    task = get_value(TASK_KEY) or {}
    return {AGENT_ID: task[AGENT_ID]} if AGENT_ID in task else {}
