"""The instruments no task of the span-tree tests touches (SPEC §11.3): agent loops, streamed deltas, rate-limit
rejects; recorded through the hooks into the SDK's in-memory reader."""

from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from goclaw_actors import telemetry
from goclaw_actors.brain.providers.base import ChatRequest, ChatResponse
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.telemetry import lifecycle
from goclaw_actors.telemetry.settings import TelemetrySettings
from tests.telemetry.otel_fixtures import collected

TASK = TaskRow("6f1c1f0e-8c1d-4f43-9f3e-2b0c3b1f9a10", "s-1", "coder", "chat", "RUNNING", 0, 0, 3, {"content": "x"},
               None, None, "lease", None, "run-1", None, "", "", "", None, None, 0, False, None)


class StreamingModel:
    """An LLM provider that streams three deltas."""

    name, model = "ollama", "qwen3:8b"

    def chat(self, request, on_token=None):
        for piece in ("a", "b", "c"):
            on_token(piece)
        return ChatResponse(content="abc", model="qwen3:8b")


def test_loops_streamed_deltas_and_rate_limit_rejects_are_counted():
    reader = InMemoryMetricReader()
    backend = lifecycle.build(TelemetrySettings(enabled=True, exporter="none"), span_processors=[],
                              metric_readers=[reader])
    previous = telemetry.install(backend)
    try:
        running = []

        def loop():
            running.append(collected(reader)["goclaw.loop.active"][0].value)
            telemetry.loop_step()
            telemetry.llm_call(StreamingModel(), ChatRequest(model="qwen3:8b", messages=[], stream=True),
                               lambda token: None)
            telemetry.loop_step()
            return "done"

        with telemetry.task_attempt(TASK):
            assert telemetry.agent_loop(loop) == "done"
        telemetry.rate_limited("http")
        telemetry.rate_limited("acp")
        points = collected(reader)
    finally:
        telemetry.install(previous)
        backend.shutdown()
    assert running == [1] and [p.value for p in points["goclaw.loop.active"]] == [0]
    [steps] = points["goclaw.loop.steps"]
    assert (steps.value, dict(steps.attributes)) == (2, {"goclaw.agent.id": "coder"})
    [deltas] = points["goclaw.stream.tokens"]
    assert (deltas.value, dict(deltas.attributes)) == (3, {"goclaw.llm.provider": "ollama",
                                                           "goclaw.llm.model": "qwen3:8b"})
    assert "gen_ai.client.token.usage" not in points  # the provider reported no usage
    rejects = {p.attributes["goclaw.surface"]: p.value for p in points["goclaw.ratelimit.rejects"]}
    assert rejects == {"http": 1, "acp": 1}
