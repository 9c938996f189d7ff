"""The metric instruments of SPEC §11.3: the GenAI client metrics and the daemon's `goclaw.*` instruments.

Imported only when telemetry is enabled, and created only when metrics are (`metrics_enabled` and an
exporter that sends them); otherwise the hooks record nothing.
"""

from dataclasses import dataclass
from typing import Any

from goclaw_actors.telemetry.semconv import DURATION_BUCKETS, TOKEN_BUCKETS


@dataclass(frozen=True)
class Instruments:
    """Every instrument the hooks record into."""

    token_usage: Any  # gen_ai.client.token.usage, histogram of {token} per call and gen_ai.token.type
    operation_duration: Any  # gen_ai.client.operation.duration, s
    request_duration: Any  # goclaw.request.duration, s (HTTP requests and ACP calls)
    task_duration: Any  # goclaw.task.duration, s per attempt
    llm_duration: Any  # goclaw.llm.duration, s per provider call
    llm_tokens: Any  # goclaw.llm.tokens, counter of {token} (gen_ai.token.type input/output)
    tool_duration: Any  # goclaw.tool.duration, s
    tool_errors: Any  # goclaw.tool.errors, counter
    loop_active: Any  # goclaw.loop.active, up-down counter of running agent loops
    loop_steps: Any  # goclaw.loop.steps, counter
    stream_tokens: Any  # goclaw.stream.tokens, counter of streamed text deltas
    ratelimit_rejects: Any  # goclaw.ratelimit.rejects, counter


def create_instruments(meter: Any) -> Instruments:
    """The instruments on `meter` (an OpenTelemetry Meter)."""

    def seconds(name: str, description: str) -> Any:
        return meter.create_histogram(name, unit="s", description=description,
                                      explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS))

    return Instruments(
        token_usage=meter.create_histogram("gen_ai.client.token.usage", unit="{token}",
                                           description="Number of input and output tokens used",
                                           explicit_bucket_boundaries_advisory=list(TOKEN_BUCKETS)),
        operation_duration=seconds("gen_ai.client.operation.duration", "GenAI operation duration"),
        request_duration=seconds("goclaw.request.duration", "Gateway request and ACP call duration"),
        task_duration=seconds("goclaw.task.duration", "Duration of one task attempt"),
        llm_duration=seconds("goclaw.llm.duration", "Duration of one provider call"),
        llm_tokens=meter.create_counter("goclaw.llm.tokens", unit="{token}", description="Tokens used by LLM calls"),
        tool_duration=seconds("goclaw.tool.duration", "Duration of one tool call"),
        tool_errors=meter.create_counter("goclaw.tool.errors", unit="{error}", description="Tool calls that failed"),
        loop_active=meter.create_up_down_counter("goclaw.loop.active", unit="{loop}",
                                                 description="Agent loops running"),
        loop_steps=meter.create_counter("goclaw.loop.steps", unit="{step}", description="Agent loop steps taken"),
        stream_tokens=meter.create_counter("goclaw.stream.tokens", unit="{token}",
                                           description="Text deltas streamed from providers"),
        ratelimit_rejects=meter.create_counter("goclaw.ratelimit.rejects", unit="{request}",
                                               description="Requests refused by the gateway's rate limits"),
    )
