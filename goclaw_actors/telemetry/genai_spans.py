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
    AGENT_ID, CHAT, ERROR_TYPE, EXECUTE_TOOL, GEN_AI_AGENT_ID, GEN_AI_AGENT_NAME, GEN_AI_CONVERSATION_ID,
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
        parent = remote_parent(getattr(task, "traceparent", None))
        forced = forced_trace_id.set(0 if parent is not None else task_trace_id(task.id))
        parent = parent or Context()
        try:
            self.span = self.backend.tracer.start_span(
                f"{INVOKE_AGENT} {task.agent_id}", context=parent,
                attributes={**common, GEN_AI_OPERATION_NAME: INVOKE_AGENT, GEN_AI_AGENT_ID: task.agent_id,
                            GEN_AI_AGENT_NAME: task.agent_id, TASK_ATTEMPT: task.attempt + 1, TASK_TYPE: task.type,
                            RUN_ID: task.run_id or ""})
        finally:
            forced_trace_id.reset(forced)
        self.token = attach(set_value(TASK_KEY, common, set_span_in_context(self.span, parent)))
        self.started = perf_counter()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, traceback: Any) -> bool:
        detach(self.token)
        outcome = "ok" if exc is None else mark_error(self.span, exc)
        self.span.end()
        self.backend.instruments.task_duration.record(perf_counter() - self.started,
                                                      {AGENT_ID: self.task.agent_id, OUTCOME: outcome})
        return False


def llm_call(backend: Any, provider: Any, request: Any, on_token: Callable[[str], None] | None) -> Any:
    """`provider.chat(request, on_token)` inside a `chat <model>` client span."""
    name = provider.name
    model = request.model or provider.model
    metric_attributes = {GEN_AI_OPERATION_NAME: CHAT, GEN_AI_PROVIDER_NAME: gen_ai_provider(name),
                         GEN_AI_REQUEST_MODEL: model}
    attributes = {**metric_attributes, LLM_PROVIDER: name, LLM_MODEL: model, **(get_value(TASK_KEY) or {})}
    for field, key in GEN_AI_REQUEST_PARAMS.items():
        value = request.sampling.get(field)
        if value is not None:
            attributes[key] = [value] if field == "stop" and isinstance(value, str) else value
    span = backend.tracer.start_span(f"{CHAT} {model}", kind=SpanKind.CLIENT, attributes=attributes)
    ours = {LLM_PROVIDER: name, LLM_MODEL: model}
    deltas = [0]

    def relay(token: str) -> None:
        deltas[0] += 1
        on_token(token)

    started = perf_counter()
    try:
        response = provider.chat(request, relay if on_token is not None else None)
    except BaseException as exc:
        metric_attributes[ERROR_TYPE] = mark_error(span, exc)
        _llm_done(backend, span, started, metric_attributes, ours, deltas[0], None)
        raise
    _llm_done(backend, span, started, metric_attributes, ours, deltas[0], response)
    return response


def _llm_done(backend: Any, span: Any, started: float, attributes: dict[str, Any], ours: dict[str, Any],
              deltas: int, response: Any) -> None:
    """Close a chat span with what the response says (model, finish reason, reported usage) and record the
    GenAI metrics (`attributes`) and the daemon's own (`ours`: provider and model)."""
    elapsed = perf_counter() - started
    instruments = backend.instruments
    if response is not None:
        attributes[GEN_AI_RESPONSE_MODEL] = response.model or attributes[GEN_AI_REQUEST_MODEL]
        usage = response.usage
        ended = {GEN_AI_RESPONSE_MODEL: attributes[GEN_AI_RESPONSE_MODEL],
                 GEN_AI_RESPONSE_FINISH_REASONS: [response.finish_reason or "stop"]}
        if usage.reported:
            ended[GEN_AI_USAGE_INPUT_TOKENS] = usage.prompt_tokens
            ended[GEN_AI_USAGE_OUTPUT_TOKENS] = usage.completion_tokens
        span.set_attributes(ended)
        if usage.reported:
            for kind, count in (("input", usage.prompt_tokens), ("output", usage.completion_tokens)):
                instruments.token_usage.record(count, {**attributes, GEN_AI_TOKEN_TYPE: kind})
                instruments.llm_tokens.add(count, {**ours, GEN_AI_TOKEN_TYPE: kind})
    span.end()
    instruments.operation_duration.record(elapsed, attributes)
    instruments.llm_duration.record(elapsed, {**ours, **({ERROR_TYPE: attributes[ERROR_TYPE]}
                                                         if ERROR_TYPE in attributes else {})})
    if deltas:
        instruments.stream_tokens.add(deltas, ours)


def tool_call(backend: Any, run: Callable[..., str], call: Any, *args: Any) -> str:
    """`run(call, *args)` inside an `execute_tool <name>` span, current while it runs (a task the tool
    enqueues continues this trace); an answer starting `error: ` marks the span failed."""
    attributes = {GEN_AI_OPERATION_NAME: EXECUTE_TOOL, GEN_AI_TOOL_NAME: call.name, GEN_AI_TOOL_CALL_ID: call.id,
                  GEN_AI_TOOL_TYPE: "function", TOOL_NAME: call.name, **(get_value(TASK_KEY) or {})}
    span = backend.tracer.start_span(f"{EXECUTE_TOOL} {call.name}", attributes=attributes)
    token = attach(set_span_in_context(span))
    metric_attributes = {TOOL_NAME: call.name}
    started = perf_counter()
    try:
        output = run(call, *args)
        if isinstance(output, str) and output.startswith(TOOL_ERROR_PREFIX):
            metric_attributes[ERROR_TYPE] = "tool_error"
            fail_span(span, "tool_error", output[len(TOOL_ERROR_PREFIX):])
        return output
    except BaseException as exc:
        metric_attributes[ERROR_TYPE] = mark_error(span, exc)
        raise
    finally:
        detach(token)
        span.end()
        backend.instruments.tool_duration.record(perf_counter() - started, metric_attributes)
        if ERROR_TYPE in metric_attributes:
            backend.instruments.tool_errors.add(1, metric_attributes)
