"""Exporting under gevent (SPEC §1.1): the SDK's batch processor runs on a green thread, and encoding and
sending a batch happen on the exporters' own native thread, so a large export never holds the hub (the
hub's lag during an export is measured by ./scripts/bench_otel)."""

import gevent
from gevent import monkey
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from goclaw_actors.telemetry import lifecycle
from goclaw_actors.telemetry.exporters import OffHubSpanExporter
from goclaw_actors.telemetry.settings import TelemetrySettings
from tests.brain.fake_server import FakeServer, Reply

SPANS = 2048  # four full batches
native_thread_id = monkey.get_original("threading", "get_ident")


class ThreadRecorder(SpanExporter):
    """Notes the native thread each batch is exported on."""

    def __init__(self):
        self.threads: set[int] = set()
        self.spans = 0

    def export(self, spans):
        self.threads.add(native_thread_id())
        self.spans += len(spans)
        return SpanExportResult.SUCCESS


def make_spans(backend, count: int) -> None:
    for index in range(count):
        backend.tracer.start_span("chat m", attributes={"goclaw.task.id": f"task-{index}"}).end()


def test_batches_are_exported_on_a_native_thread_of_their_own():
    recorder = ThreadRecorder()
    settings = TelemetrySettings(enabled=True, exporter="none", metrics_enabled=False)
    backend = lifecycle.build(settings, span_processors=[])
    backend.tracer_provider.add_span_processor(BatchSpanProcessor(OffHubSpanExporter(recorder, backend.pool)))
    try:
        make_spans(backend, 600)
        assert backend.tracer_provider.force_flush()
    finally:
        backend.shutdown()
    assert recorder.spans == 600
    assert len(recorder.threads) == 1 and native_thread_id() not in recorder.threads


def test_a_large_export_to_a_slow_collector_arrives_while_the_hub_keeps_serving():
    reply = Reply(200, headers={"Content-Type": "application/x-protobuf"}, delay=0.05)
    with FakeServer([reply]) as collector:
        backend = lifecycle.build(TelemetrySettings(enabled=True, endpoint=collector.url, metrics_enabled=False))
        try:
            make_spans(backend, SPANS)
            flushing = gevent.spawn(backend.tracer_provider.force_flush)
            ticks = 0
            while not flushing.ready():
                gevent.sleep(0.005)
                ticks += 1
            assert flushing.get() is True
        finally:
            backend.shutdown()
    exported = sum(len(scope.spans) for seen in collector.seen
                   for resource in ExportTraceServiceRequest.FromString(seen.body).resource_spans
                   for scope in resource.scope_spans)
    assert exported == SPANS and len(collector.seen) == 4
    assert ticks >= 10  # the hub ran this greenlet all along the four slow requests
