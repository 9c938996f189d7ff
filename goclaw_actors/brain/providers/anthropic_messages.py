"""Anthropic Messages API (`POST {base}/v1/messages`), plain and streamed, with tool_use/tool_result."""

from typing import Any

from goclaw_actors.brain.providers.base import ChatRequest, ChatResponse, OnToken, ToolCall, Usage
from goclaw_actors.brain.providers.http import HttpTransport, Timeouts, error_detail_of
from goclaw_actors.brain.providers.messages import message_tool_calls, system_text, tool_call_from_text

DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
# The API requires max_tokens; used when the task sets none.
DEFAULT_MAX_TOKENS = 8192
_STOP_REASONS = {"end_turn": "stop", "stop_sequence": "stop", "tool_use": "tool_calls", "max_tokens": "length"}
_TOOL_CHOICES = {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}


class AnthropicProvider:
    """Claude over the Messages API; the system prompt goes in `system`, tool results in user turns.

        provider = AnthropicProvider("claude-opus-4-6", api_key)
        reply = provider.chat(ChatRequest(model="claude-opus-4-6", messages=[...], stream=True), print)
    """

    supports_tools = True
    native_structured_output = False

    def __init__(self, model: str, api_key: str, base_url: str = DEFAULT_BASE_URL, timeouts: Timeouts = Timeouts(),
                 name: str = "anthropic"):
        self.name = name
        self.model = model
        self.api_key = api_key
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.transport = HttpTransport(name, timeouts, secrets=[api_key])

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResponse:
        """One message; streamed when `request.stream`, text deltas going to `on_token`."""
        headers = {"x-api-key": self.api_key, "anthropic-version": ANTHROPIC_VERSION,
                   "Accept": "text/event-stream" if request.stream else "application/json"}
        url = f"{self.base_url}/v1/messages"
        body = self.request_body(request)
        if request.stream:
            return self._read_stream(self.transport.post(url, headers, body, stream=True), on_token)
        return self._read_reply(self.transport.json_body(self.transport.post(url, headers, body)))

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for `request`."""
        sampling = request.sampling
        body: dict[str, Any] = {"model": request.model or self.model,
                                "max_tokens": int(sampling.get("max_tokens") or DEFAULT_MAX_TOKENS),
                                "messages": wire_messages(request.messages), "stream": request.stream}
        system = system_text(request.messages)
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [{"name": t.name, "description": t.description, "input_schema": t.parameters}
                             for t in request.tools]
            if request.tool_choice is not None:
                body["tool_choice"] = _wire_tool_choice(request.tool_choice)
        for key in ("temperature", "top_p", "top_k"):
            if sampling.get(key) is not None:
                body[key] = sampling[key]
        stop = sampling.get("stop")
        if stop:
            body["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
        return body

    def _read_reply(self, data: dict[str, Any]) -> ChatResponse:
        if data.get("type") == "error":
            raise self.transport.error(error_detail_of(data))
        blocks = data.get("content")
        if not isinstance(blocks, list):
            raise self.transport.malformed("the message has no content list")
        text, calls = [], []
        for block in blocks:
            if not isinstance(block, dict):
                raise self.transport.malformed("a content block is not an object")
            if block.get("type") == "text":
                text.append(str(block.get("text") or ""))
            elif block.get("type") == "tool_use":
                calls.append(ToolCall(str(block.get("id") or ""), str(block.get("name") or ""),
                                      block.get("input") if isinstance(block.get("input"), dict) else {}))
        usage = _usage(data.get("usage"), Usage())
        return ChatResponse(content="".join(text), tool_calls=calls, usage=usage,
                            finish_reason=_finish(data.get("stop_reason"), calls),
                            model=str(data.get("model") or self.model), provider=self.name)

    def _read_stream(self, response, on_token: OnToken | None) -> ChatResponse:
        text: list[str] = []
        blocks: dict[int, dict[str, Any]] = {}
        usage, model, stop_reason, done = Usage(), self.model, None, False
        for event, data in self.transport.sse_events(response):
            kind = (data or {}).get("type") or event
            if kind == "error":
                raise self.transport.error(error_detail_of(data) or "error event without details")
            if kind == "message_start":
                message = data.get("message") or {}
                model = str(message.get("model") or model)
                usage = _usage(message.get("usage"), usage)
            elif kind == "content_block_start":
                block = dict(data.get("content_block") or {})
                block["json"] = ""
                blocks[int(data.get("index") or 0)] = block
            elif kind == "content_block_delta":
                delta = data.get("delta") or {}
                block = blocks.setdefault(int(data.get("index") or 0), {"type": "text", "json": ""})
                if delta.get("type") == "text_delta" and delta.get("text"):
                    text.append(delta["text"])
                    if on_token:
                        on_token(delta["text"])
                elif delta.get("type") == "input_json_delta":
                    block["json"] += str(delta.get("partial_json") or "")
            elif kind == "message_delta":
                stop_reason = (data.get("delta") or {}).get("stop_reason") or stop_reason
                usage = _usage(data.get("usage"), usage)
            elif kind == "message_stop":
                done = True
                break
        if not done:
            raise self.transport.malformed("the stream ended before message_stop")
        calls = [_streamed_call(block) for _, block in sorted(blocks.items()) if block.get("type") == "tool_use"]
        return ChatResponse(content="".join(text), tool_calls=calls, usage=usage, model=model,
                            finish_reason=_finish(stop_reason, calls), provider=self.name)


def wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Internal messages as Messages API turns: system dropped, tool results as user tool_result blocks,
    consecutive turns of one role merged (the API wants them alternating)."""
    turns: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        content = message.get("content")
        if role == "system":
            continue
        if role == "tool":
            role, blocks = "user", [{"type": "tool_result", "tool_use_id": str(message.get("tool_call_id") or ""),
                                     "content": str(content or "")}]
        elif isinstance(content, list):
            blocks = list(content)
        else:
            blocks = [{"type": "text", "text": str(content)}] if content else []
        if role == "assistant":
            blocks += [{"type": "tool_use", "id": call["id"], "name": call["name"], "input": call.get("arguments") or {}}
                       for call in message_tool_calls(message)]
        if not blocks:
            continue
        wire_role = "assistant" if role == "assistant" else "user"
        if turns and turns[-1]["role"] == wire_role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": wire_role, "content": blocks})
    return turns


def _wire_tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        return _TOOL_CHOICES.get(choice, {"type": "tool", "name": choice})
    if isinstance(choice, dict) and choice.get("type") == "function":
        return {"type": "tool", "name": (choice.get("function") or {}).get("name", "")}
    return choice


def _streamed_call(block: dict[str, Any]) -> ToolCall:
    if block["json"].strip():
        return tool_call_from_text(str(block.get("id") or ""), str(block.get("name") or ""), block["json"])
    given = block.get("input")
    return ToolCall(str(block.get("id") or ""), str(block.get("name") or ""), given if isinstance(given, dict) else {})


def _finish(stop_reason: Any, calls: list[ToolCall]) -> str:
    if not stop_reason:
        return "tool_calls" if calls else "stop"
    return _STOP_REASONS.get(str(stop_reason), str(stop_reason))


def _usage(data: Any, current: Usage) -> Usage:
    """`current` updated with the counts in `data` (input includes cache reads/writes)."""
    if not isinstance(data, dict):
        return current
    prompt = current.prompt_tokens
    if "input_tokens" in data:
        prompt = sum(int(data.get(key) or 0) for key in ("input_tokens", "cache_creation_input_tokens",
                                                          "cache_read_input_tokens"))
    completion = int(data["output_tokens"]) if data.get("output_tokens") is not None else current.completion_tokens
    return Usage(prompt_tokens=prompt, completion_tokens=completion, reported=True)
