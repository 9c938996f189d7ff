"""The GenAI spans of a task (SPEC §11.3): `invoke_agent <agent>` per attempt, `chat <model>` per provider
call, `execute_tool <name>` per tool call, with the GenAI semantic-convention attributes and metrics.

The attempt span continues the trace stored in the task row (the request that enqueued it, or the tool
call that spawned it); a task enqueued outside any trace is traced under its own id, so every attempt of
a task is one trace. Spans carry no prompt, reply or tool argument.
"""

from time import perf_counter
from typing import Any, Callable

from opentelemetry.context import Context, attach, detach, get_value, set_value
from opentelemetry.trace import SpanKind, set_span_in_context

from goclaw_actors.telemetry.semconv import (
    AGENT_ID, CHAT, ERROR_TYPE, EXECUTE_TOOL, GEN_AI_AGENT_ID, GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL, GEN_AI_REQUEST_PARAMS,
    GEN_AI_RESPONSE_FINISH_REASONS, GEN_AI_RESPONSE_MODEL, GEN_AI_TOKEN_TYPE, GEN_AI_TOOL_CALL_ID, GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_TYPE, GEN_AI_USAGE_INPUT_TOKENS, GEN_AI_USAGE_OUTPUT_TOKENS, INVOKE_AGENT, LLM_MODEL, LLM_PROVIDER,
    OUTCOME, RUN_ID, SESSION_ID, TASK_ATTEMPT, TASK_ID, TASK_TYPE, TOOL_NAME, gen_ai_provider)
from goclaw_actors.telemetry.span_tools import TASK_KEY, fail_span, mark_error, remote_parent
from goclaw_actors.telemetry.task_traces import forced_trace_id
from goclaw_actors.telemetry.trace_context import task_trace_id

TOOL_ERROR_PREFIX = "error: "  # how a guarded tool call answers a failure (goclaw_actors/tools/guarded_call.py)


class AttemptSpan:
    """Context manager of one attempt: opens `invoke_agent <agent>` as the current span (with the task's
    attributes in the context for the LLM and tool spans inside it) and records how the attempt ended."""

    __slots__ = ("backend", "task", "span", "token", "started")

    def __init__(self, backend: Any, task: Any):
        self.backend = backend
        self.task = task

    def __enter__(self) -> "AttemptSpan":
        task = self.task
        common = {AGENT_ID: task.agent_id, TASK_ID: task.id, SESSION_ID: task.session_id,
                  GEN_AI_CONVERSATION_ID: task.session_id}
        parent = remote_parent(task.traceparent)
        forced = forced_trace_id.set(task_trace_id(task.id)) if parent is None else None
        parent = parent or Context()
        try:
            self.span = self.backend.tracer.start_span(
                f"{INVOKE_AGENT} {task.agent_id}", context=parent,
                attributes={**common, GEN_AI_OPERATION_NAME: INVOKE_AGENT, GEN_AI_AGENT_ID: task.agent_id,
                            TASK_ATTEMPT: task.attempt + 1, TASK_TYPE: task.type, RUN_ID: task.run_id or ""})
        finally:
            if forced is not None:
                forced_trace_id.reset(forced)
        self.token = attach(set_value(TASK_KEY, common, set_span_in_context(self.span, parent)))
        self.started = perf_counter()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> bool:
        detach(self.token)
        outcome = "ok" if exc is None else mark_error(self.span, exc)
        self.span.end()
        instruments = self.backend.instruments
        if instruments is not None:
            instruments.task_duration.record(perf_counter() - self.started,
                                             {AGENT_ID: self.task.agent_id, OUTCOME: outcome})
        return False


def llm_call(backend: Any, provider: Any, request: Any, on_token: Callable[[str], None] | None) -> Any:
    """`provider.chat(request, on_token)` inside a `chat <model>` client span."""
    name = provider.name
    model = request.model or provider.model
    genai = {GEN_AI_OPERATION_NAME: CHAT, GEN_AI_PROVIDER_NAME: gen_ai_provider(name), GEN_AI_REQUEST_MODEL: model}
    attributes = {**genai, LLM_PROVIDER: name, LLM_MODEL: model, **(get_value(TASK_KEY) or {})}
    if request.sampling:
        for field, key in GEN_AI_REQUEST_PARAMS.items():
            value = request.sampling.get(field)
            if value is not None:
                attributes[key] = [value] if field == "stop" and isinstance(value, str) else value
    span = backend.tracer.start_span(f"{CHAT} {model}", kind=SpanKind.CLIENT, attributes=attributes)
    deltas = [0]
    relay = None
    if on_token is not None:
        def relay(token: str) -> None:
            deltas[0] += 1
            on_token(token)

    started = perf_counter()
    try:
        response = provider.chat(request, relay)
    except BaseException as exc:
        genai[ERROR_TYPE] = mark_error(span, exc)
        span.end()
        _llm_metrics(backend.instruments, perf_counter() - started, genai, name, deltas[0], None)
        raise
    elapsed = perf_counter() - started
    genai[GEN_AI_RESPONSE_MODEL] = response.model or model
    ended = {GEN_AI_RESPONSE_MODEL: genai[GEN_AI_RESPONSE_MODEL],
             GEN_AI_RESPONSE_FINISH_REASONS: [response.finish_reason or "stop"]}
    if response.usage.reported:
        ended[GEN_AI_USAGE_INPUT_TOKENS] = response.usage.prompt_tokens
        ended[GEN_AI_USAGE_OUTPUT_TOKENS] = response.usage.completion_tokens
    span.set_attributes(ended)
    span.end()
    _llm_metrics(backend.instruments, elapsed, genai, name, deltas[0], response.usage)
    return response


def _llm_metrics(instruments: Any, elapsed: float, genai: dict[str, Any], provider: str, deltas: int,
                 usage: Any) -> None:
    """The GenAI client metrics of one call (`genai`: their attributes) and the daemon's own (by provider and
    requested model); token usage only as the provider reported it."""
    if instruments is None:
        return
    ours = {LLM_PROVIDER: provider, LLM_MODEL: genai[GEN_AI_REQUEST_MODEL]}
    if usage is not None and usage.reported:
        for kind, count in (("input", usage.prompt_tokens), ("output", usage.completion_tokens)):
            instruments.token_usage.record(count, {**genai, GEN_AI_TOKEN_TYPE: kind})
            instruments.llm_tokens.add(count, {**ours, GEN_AI_TOKEN_TYPE: kind})
    instruments.operation_duration.record(elapsed, genai)
    instruments.llm_duration.record(elapsed, {**ours, ERROR_TYPE: genai[ERROR_TYPE]} if ERROR_TYPE in genai else ours)
    if deltas:
        instruments.stream_tokens.add(deltas, ours)


def tool_call(backend: Any, run: Callable[..., str], call: Any, *args: Any) -> str:
    """`run(call, *args)` inside an `execute_tool <name>` span, current while it runs (a task the tool
    enqueues continues this trace); an answer starting `error: ` marks the span failed."""
    attributes = {GEN_AI_OPERATION_NAME: EXECUTE_TOOL, GEN_AI_TOOL_NAME: call.name, GEN_AI_TOOL_CALL_ID: call.id,
                  GEN_AI_TOOL_TYPE: "function", TOOL_NAME: call.name, **(get_value(TASK_KEY) or {})}
    span = backend.tracer.start_span(f"{EXECUTE_TOOL} {call.name}", attributes=attributes)
    token = attach(set_span_in_context(span))
    failure = None
    started = perf_counter()
    try:
        output = run(call, *args)
        if isinstance(output, str) and output.startswith(TOOL_ERROR_PREFIX):
            failure = "tool_error"
            fail_span(span, failure, output[len(TOOL_ERROR_PREFIX):])
        return output
    except BaseException as exc:
        failure = mark_error(span, exc)
        raise
    finally:
        detach(token)
        span.end()
        instruments = backend.instruments
        if instruments is not None:
            metric_attributes = {TOOL_NAME: call.name} if failure is None else {TOOL_NAME: call.name,
                                                                                ERROR_TYPE: failure}
            instruments.tool_duration.record(perf_counter() - started, metric_attributes)
            if failure is not None:
                instruments.tool_errors.add(1, metric_attributes)
