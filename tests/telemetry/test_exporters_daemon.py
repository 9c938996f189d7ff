"""`goclaw daemon` as a real process exporting its telemetry (SPEC §11.3): JSON lines on stdout with the
`stdout` exporter, OTLP/HTTP requests to a local fake collector with `otlp-http`; both flushed at shutdown."""

import pytest
import requests
import yaml
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from tests.brain.fake_server import FakeServer, Reply
from tests.helpers import DaemonProcess

TOKEN = "otel-e2e-token"


@pytest.fixture
def daemons():
    made: list[DaemonProcess] = []
    yield lambda home: made.append(DaemonProcess(home, env={"GOCLAW_AUTH_TOKEN": TOKEN})) or made[-1]
    for daemon in made:
        daemon.stop()


def home_with(tmp_path, telemetry: dict) -> object:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text(yaml.safe_dump({"agents": [], "worker_count": 2, "telemetry": telemetry}))
    return home


def one_chat(daemon: DaemonProcess) -> None:
    response = requests.post(daemon.url + "/v1/chat/completions", headers={"Authorization": f"Bearer {TOKEN}"},
                             json={"model": "agent:default", "messages": [{"role": "user", "content": "hi"}]},
                             timeout=20)
    assert response.status_code == 200


def test_the_stdout_exporter_prints_spans_and_metrics_as_json_lines(tmp_path, daemons):
    home = home_with(tmp_path, {"enabled": True, "exporter": "stdout", "service_name": "goclaw-stdout"})
    daemon = daemons(home).start().wait_healthy()
    one_chat(daemon)
    assert daemon.terminate() == 0
    lines = daemon.json_lines()
    spans = {line["name"]: line for line in lines if "context" in line and "kind" in line}
    request, attempt = spans["POST /v1/chat/completions"], spans["invoke_agent default"]
    assert request["resource"]["attributes"]["service.name"] == "goclaw-stdout"
    assert request["kind"] == "SpanKind.SERVER" and request["attributes"]["http.response.status_code"] == 200
    assert attempt["context"]["trace_id"] == request["context"]["trace_id"]
    assert attempt["parent_id"] == request["context"]["span_id"]
    assert attempt["attributes"]["goclaw.agent.id"] == "default"
    [metrics] = [line for line in lines if "resource_metrics" in line][-1:]
    names = {metric["name"] for resource in metrics["resource_metrics"] for scope in resource["scope_metrics"]
             for metric in scope["metrics"]}
    assert {"goclaw.request.duration", "goclaw.task.duration"} <= names
    assert any(line.get("msg") == "telemetry started" and line["exporter"] == "stdout" for line in lines)


def test_the_otlp_http_exporter_posts_to_the_collector_with_the_service_name(tmp_path, daemons):
    with FakeServer([Reply(200, headers={"Content-Type": "application/x-protobuf"})]) as collector:
        home = home_with(tmp_path, {"enabled": True, "endpoint": f"127.0.0.1:{collector.port}",
                                    "service_name": "goclaw-otlp"})
        daemon = daemons(home).start().wait_healthy()
        one_chat(daemon)
        assert daemon.terminate() == 0
    traces = [ExportTraceServiceRequest.FromString(seen.body) for seen in collector.seen if seen.path == "/v1/traces"]
    assert traces and all(seen.headers["content-type"] == "application/x-protobuf" for seen in collector.seen)
    services = {attribute.value.string_value for request in traces for resource in request.resource_spans
                for attribute in resource.resource.attributes if attribute.key == "service.name"}
    assert services == {"goclaw-otlp"}
    names = {span.name for request in traces for resource in request.resource_spans
             for scope in resource.scope_spans for span in scope.spans}
    assert {"POST /v1/chat/completions", "invoke_agent default"} <= names
    metrics = [ExportMetricsServiceRequest.FromString(seen.body) for seen in collector.seen
               if seen.path == "/v1/metrics"]
    metric_names = {metric.name for request in metrics for resource in request.resource_metrics
                    for scope in resource.scope_metrics for metric in scope.metrics}
    assert "goclaw.task.duration" in metric_names
