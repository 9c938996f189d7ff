"""One turn of an agent: the processor worker lanes run when a provider is configured (SPEC §4.6)."""

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from goclaw_actors import telemetry
from goclaw_actors.attempt_failure import AttemptFailed
from goclaw_actors.brain import agent_loop
from goclaw_actors.brain.error_classes import attempt_failure
from goclaw_actors.brain.providers.base import (CONTEXT_OVERFLOW, SAMPLING_FIELDS, ChatRequest, ProviderError,
                                                ToolCall, Usage)
from goclaw_actors.brain.tool_loop import (DEFAULT_MAX_TOOL_TURNS, CallModel, LoopResult, client_tool_specs,
                                           run_tool_loop)
from goclaw_actors.brain.tools import ToolContext, ToolRegistry
from goclaw_actors.delegation.results import with_results
from goclaw_actors.processor import Emit, lane_waiting
from goclaw_actors.store.sqlite_tasks import estimate_tokens
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.tools.guarded_call import Approvals, Dedup, ToolGuard

BRAIN_ERROR_PREFIX = "brain respond: "
STRUCTURED_CHUNK_CHARS = 16  # validated structured output is streamed in pieces of this size


class BrainError(AttemptFailed):
    """A failed turn; its text is the task's error (prefixed `brain respond: `), `failure` what kind it was."""


@dataclass
class TurnDeps:
    """Everything a turn needs from the daemon, as plain callables (wired in supervisors/)."""

    model: str
    provider_name: str
    call_model: CallModel
    history: Callable[[str, str], list[dict[str, Any]]]
    system_prompt: Callable[[TaskRow], str]
    tools: ToolRegistry = field(default_factory=ToolRegistry)
    allows: Callable[[str], bool] = lambda capability: False
    # The policy in force as one `allows`, looked up once for a whole tool list (None: ask `allows` per tool).
    current_allows: Callable[[], Callable[[str], bool]] | None = None
    audit: Callable[[TaskRow, str, str, str], None] = lambda task, decision, capability, reason: None
    dedup: Dedup | None = None
    approvals: Approvals | None = None
    check_input: Callable[[str], None] = lambda text: None
    prepare_history: Callable[..., list[dict[str, Any]]] = lambda task, history, overflowed=False: history
    finish_reply: Callable[[TaskRow, ChatRequest, str], str] = lambda task, request, reply: reply
    structured: Callable[[TaskRow], bool] = lambda task: False  # must the reply be validated JSON?
    estimate_cost: Callable[[str, int, int], float] = lambda model, prompt, completion: 0.0
    max_tool_turns: int = DEFAULT_MAX_TOOL_TURNS
    loop: agent_loop.LoopConfig | None = None
    delegation_results: Callable[[TaskRow], list[str]] = lambda task: []  # taken once per attempt (SPEC §7.2)
    load_checkpoint: Callable[[str], dict[str, Any] | None] = lambda task_id: None
    save_checkpoint: Callable[[dict[str, Any]], None] = lambda checkpoint: None
    clock: Callable[[], float] = time.time
    scrub: Callable[[str], str] = lambda text: text  # known secrets out of tool output
    profile: Any = None  # the agent's PromptProfile (its soul, model and context window), for context.show


class BrainProcessor:
    """Runs a task as a model turn with tools; returns `{"reply", "finish_reason", "tool_calls"?, "_usage"}`.

    A task that needs structured output streams nothing until its reply is validated, then the accepted
    JSON in pieces (a reply rejected by validation never reaches a client).
    """

    def __init__(self, deps: TurnDeps):
        self.deps = deps
        self.name = deps.provider_name
        self.profile = deps.profile

    def process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        """One attempt of the task; any failure is raised as BrainError `brain respond: <error>`, with the
        failure's kind (SPEC §9.4)."""
        try:
            return self._process(task, emit)
        except BrainError:
            raise
        except Exception as exc:
            raise BrainError(BRAIN_ERROR_PREFIX + (str(exc) or type(exc).__name__), attempt_failure(exc)) from exc

    def _process(self, task: TaskRow, emit: Emit) -> dict[str, Any]:
        deps = self.deps
        content = str(task.payload.get("content") or "").strip()
        if not content:
            raise BrainError(BRAIN_ERROR_PREFIX + "input is empty")
        deps.check_input(content)
        history = deps.prepare_history(task, deps.history(task.session_id, task.agent_id))
        delegated = deps.delegation_results(task)
        system = deps.system_prompt(task)  # once per attempt: it records the turn's use of the agent's memories
        request = self._request(task, content, history, system, delegated)
        if deps.loop is not None and deps.loop.enabled:
            reply, usage = telemetry.agent_loop(self._run_loop, task, request, emit)
            return {"reply": reply, "_usage": self._usage(usage, content, reply)}
        structured = deps.structured(task)
        try:
            loop = self._turn(task, request, emit, structured)
        except ProviderError as exc:
            if exc.error_class != CONTEXT_OVERFLOW:
                raise
            compacted = deps.prepare_history(task, history, overflowed=True)
            if len(compacted) >= len(history):
                raise  # nothing left to compact: the overflow is the answer
            request = self._request(task, content, compacted, system, delegated)
            loop = self._turn(task, request, emit, structured)
        if loop.client_tool_calls:
            reply = loop.response.content or ""
            result: dict[str, Any] = {"reply": reply, "tool_calls": [_client_call(c) for c in loop.client_tool_calls]}
        else:
            reply = loop.note + deps.finish_reply(task, request, loop.response.content or "")
            if structured and task.payload.get("stream"):
                for start in range(0, len(reply), STRUCTURED_CHUNK_CHARS):
                    emit({"type": "token", "token": reply[start:start + STRUCTURED_CHUNK_CHARS]})
            result = {"reply": reply, "finish_reason": loop.response.finish_reason or "stop"}
        result["_usage"] = self._usage(loop.usage, content, reply)
        return result

    def _turn(self, task: TaskRow, request: ChatRequest, emit: Emit, structured: bool = False) -> LoopResult:
        """One model turn with its tool rounds; model text is streamed unless it must be validated first."""
        deps = self.deps
        streaming = bool(task.payload.get("stream")) and not structured
        client_tools = frozenset(spec.name for spec in client_tool_specs(task.payload.get("client_tools") or []))
        guard = ToolGuard(deps.allows,
                          lambda decision, capability, reason: deps.audit(task, decision, capability, reason),
                          deps.dedup, deps.approvals, deps.scrub)
        return run_tool_loop(
            request, deps.call_model, deps.tools, guard,
            ToolContext(task.id, task.session_id, task.agent_id, emit, waiting=lane_waiting(emit)),
            on_token=(lambda token: emit({"type": "token", "token": token})) if streaming else None,
            client_tools=client_tools, max_tool_turns=deps.max_tool_turns)

    def _run_loop(self, task: TaskRow, request: ChatRequest, emit: Emit) -> tuple[str, Usage]:
        """A multi-step agent loop (SPEC §4.10), resumed from its last checkpoint after a retry or crash."""
        deps = self.deps
        saved = deps.load_checkpoint(task.id)
        state = (agent_loop.resume_loop(saved, deps.loop) if saved
                 else agent_loop.start_loop(deps.loop, task.id, task.agent_id, deps.clock()))
        usage = Usage(reported=True)
        while True:
            action = agent_loop.next_action(state, deps.clock())
            if isinstance(action, agent_loop.Finish):
                deps.save_checkpoint(agent_loop.snapshot(state))
                if action.fails_task:
                    raise BrainError(BRAIN_ERROR_PREFIX + f"agent loop failed: {action.error}")
                return action.reply, usage
            messages = request.messages + state.messages
            if action.prompt is not None:
                messages = messages + [{"role": "user", "content": action.prompt}]
            try:
                turn = self._turn(task, replace(request, messages=messages), emit)
            except Exception as exc:  # noqa: BLE001 - a failed step ends the loop as `failed`
                agent_loop.record_failure(state, str(exc) or type(exc).__name__)
                continue
            tokens = turn.usage.total_tokens or estimate_tokens(turn.response.content or "")
            usage.prompt_tokens += turn.usage.prompt_tokens
            usage.completion_tokens += turn.usage.completion_tokens or estimate_tokens(turn.response.content or "")
            agent_loop.record_turn(state, action.prompt, turn.response.content or "", tokens)
            telemetry.loop_step()
            if agent_loop.checkpoint_due(state):
                deps.save_checkpoint(agent_loop.snapshot(state))

    def _request(self, task: TaskRow, content: str, history: list[dict[str, Any]], system: str,
                 delegated: list[str] = ()) -> ChatRequest:
        messages = [{"role": "system", "content": system}]
        messages += [{k: v for k, v in m.items() if k in ("role", "content", "tool_calls", "tool_call_id")}
                     for m in with_results(history, list(delegated))]
        last = history[-1] if history else {}
        answered_tool = last.get("role") == "tool"  # a client's tool result is the turn's input already
        if not answered_tool and (last.get("role") != "user" or str(last.get("content", "")).strip() != content):
            messages.append({"role": "user", "content": content})  # never sent twice, never missing
        sampling = task.payload.get("sampling") or {}
        client = client_tool_specs(task.payload.get("client_tools") or [])
        shadowed = {spec.name for spec in client}  # a client's tool shadows the agent's tool of that name
        allows = self.deps.current_allows() if self.deps.current_allows is not None else self.deps.allows
        tools = client + [spec for spec in self.deps.tools.specs(allows, task.agent_id) if spec.name not in shadowed]
        return ChatRequest(model=self.deps.model, messages=messages, tools=tools,
                           tool_choice=task.payload.get("tool_choice"),
                           sampling={k: sampling[k] for k in SAMPLING_FIELDS if sampling.get(k) is not None},
                           response_format=task.payload.get("response_format"),
                           stream=bool(task.payload.get("stream")))

    def _usage(self, usage: Usage, content: str, reply: str) -> dict[str, Any]:
        prompt = usage.prompt_tokens if usage.reported else estimate_tokens(content)
        completion = usage.completion_tokens if usage.reported else estimate_tokens(reply)
        return {"prompt_tokens": prompt, "completion_tokens": completion,
                "estimated_cost_usd": self.deps.estimate_cost(self.deps.model, prompt, completion)}


def _client_call(call: ToolCall) -> dict[str, Any]:
    """A client tool call in the task result (OpenAI-shaped, arguments as a JSON string)."""
    return {"id": call.id, "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(call.arguments)}}
