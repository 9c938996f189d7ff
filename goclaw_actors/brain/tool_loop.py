"""The tool loop of one turn: model → tool calls → checked execution → results → model (SPEC §4.7)."""

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from goclaw_actors import telemetry
from goclaw_actors.brain.providers.base import (AUTH, BILLING, CONTEXT_OVERFLOW, ChatRequest, ChatResponse,
                                                OnToken, ProviderError, ToolCall, ToolSpec, Usage)
from goclaw_actors.brain.tools import ToolContext, ToolRegistry
from goclaw_actors.tools.guarded_call import ToolGuard, guarded_call

DEFAULT_MAX_TOOL_TURNS = 3
TOOLS_UNAVAILABLE_NOTE = "[Note: tools were unavailable for this response]\n\n"
UNRELATED_TO_TOOLS = (CONTEXT_OVERFLOW, AUTH, BILLING)

CallModel = Callable[[ChatRequest, OnToken | None], ChatResponse]


@dataclass
class LoopResult:
    """The final model response, summed usage, and client tool calls that end the turn."""

    response: ChatResponse
    usage: Usage = field(default_factory=Usage)
    client_tool_calls: list[ToolCall] = field(default_factory=list)
    tool_rounds: int = 0
    note: str = ""


def run_tool_loop(request: ChatRequest, call_model: CallModel, tools: ToolRegistry, guard: ToolGuard,
                  context: ToolContext,
                  on_token: OnToken | None = None, client_tools: frozenset[str] = frozenset(),
                  max_tool_turns: int = DEFAULT_MAX_TOOL_TURNS) -> LoopResult:
    """Call the model, run the tool calls it makes (at most `max_tool_turns` rounds), return its answer."""
    result = LoopResult(ChatResponse())
    messages = list(request.messages)
    for round_no in range(max_tool_turns + 1):
        with_tools = round_no < max_tool_turns and bool(request.tools)
        call = replace(request, messages=messages, tools=request.tools if with_tools else [],
                       tool_choice=request.tool_choice if with_tools else None)
        response = _call(call, call_model, on_token, result)
        _add_usage(result.usage, response.usage)
        result.response = response
        if not response.tool_calls:
            return result
        client = [c for c in response.tool_calls if c.name in client_tools]
        if client:
            result.client_tool_calls = client
            return result
        result.tool_rounds += 1
        messages.append({"role": "assistant", "content": response.content,
                         "tool_calls": [c.as_message_dict() for c in response.tool_calls]})
        for tool_call in response.tool_calls:
            context.emit({"type": "tool_call", "tool_name": tool_call.name})
            output = telemetry.tool_call(guarded_call, tool_call, tools, guard, context)
            messages.append({"role": "tool", "tool_call_id": tool_call.id, "name": tool_call.name,
                             "content": output})
    return result


def _call(request: ChatRequest, call_model: CallModel, on_token: OnToken | None, result: LoopResult) -> ChatResponse:
    """One model call; a refused request with tools is retried once without them (not a transient failure,
    nor one that tools cannot have caused: context overflow, authentication, billing, open circuits)."""
    try:
        return call_model(request, on_token)
    except ProviderError as exc:
        if not request.tools or exc.transient or exc.circuit_open or exc.error_class in UNRELATED_TO_TOOLS:
            raise
    result.note = TOOLS_UNAVAILABLE_NOTE
    return call_model(replace(request, tools=[], tool_choice=None), on_token)


def _add_usage(total: Usage, more: Usage) -> None:
    total.prompt_tokens += more.prompt_tokens
    total.completion_tokens += more.completion_tokens
    total.reported = total.reported or more.reported


def client_tool_specs(client_tools: list[dict[str, Any]]) -> list[ToolSpec]:
    """OpenAI-shaped request tools (`{"type":"function","function":{name,description,parameters}}`) as ToolSpecs."""
    specs = []
    for tool in client_tools or []:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            specs.append(ToolSpec(function["name"], str(function.get("description") or ""),
                                  function.get("parameters") or {"type": "object", "properties": {}}))
    return specs
