"""OpenAI Chat Completions (`POST {base}/chat/completions`), plain and SSE-streamed, with native tools.

Serves the providers openai, openrouter, openai_compatible and ollama in `openai` API mode (SPEC §4.2).
"""

import json
from typing import Any, Callable

from goclaw_actors.brain.providers.base import ChatRequest, ChatResponse, OnToken, ToolCall, Usage
from goclaw_actors.brain.providers.http import HttpTransport, Timeouts, error_detail_of
from goclaw_actors.brain.providers.messages import arguments_text, message_tool_calls, tool_call_from_text

_TOOL_CHOICE_WORDS = ("none", "auto", "required")


class OpenAIChatProvider:
    """A Chat Completions endpoint. `tools_probe(model)` answers whether the model takes native tools
    (Ollama's capability check); without it tools are always native.

        provider = OpenAIChatProvider("openai", "o3", "https://api.openai.com/v1", api_key)
        reply = provider.chat(ChatRequest(model="o3", messages=[{"role": "user", "content": "hi"}]))
    """

    native_structured_output = True

    def __init__(self, name: str, model: str, base_url: str, api_key: str = "", timeouts: Timeouts = Timeouts(),
                 tools_probe: Callable[[str], bool] | None = None):
        self.name = name
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.tools_probe = tools_probe
        self.transport = HttpTransport(name, timeouts, secrets=[api_key])

    @property
    def supports_tools(self) -> bool:
        """Whether tools are sent natively to this model."""
        return self.tools_probe(self.model) if self.tools_probe else True

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResponse:
        """One completion; streamed over SSE when `request.stream`, text deltas going to `on_token`."""
        headers = {"Accept": "text/event-stream" if request.stream else "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = f"{self.base_url}/chat/completions"
        body = self.request_body(request)
        if request.stream:
            return self._read_stream(self.transport.post(url, headers, body, stream=True), on_token)
        return self._read_reply(self.transport.json_body(self.transport.post(url, headers, body)))

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for `request`."""
        body: dict[str, Any] = {"model": request.model or self.model,
                                "messages": [_wire_message(m) for m in request.messages],
                                "stream": request.stream}
        if request.stream:
            body["stream_options"] = {"include_usage": True}
        if request.tools and self.supports_tools:
            body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                               "parameters": t.parameters}}
                             for t in request.tools]
            if request.tool_choice is not None:
                body["tool_choice"] = _wire_tool_choice(request.tool_choice)
        if request.response_format:
            body["response_format"] = request.response_format
        sampling = request.sampling
        for key in ("temperature", "top_p", "stop"):
            if sampling.get(key) is not None:
                body[key] = sampling[key]
        if sampling.get("max_tokens") is not None:
            # OpenAI's own API replaced max_tokens (rejected by its reasoning models); others still use it.
            body["max_completion_tokens" if self.name == "openai" else "max_tokens"] = sampling["max_tokens"]
        return body

    def _read_reply(self, data: dict[str, Any]) -> ChatResponse:
        if data.get("error"):
            raise _body_error(self.transport, data["error"])
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise self.transport.malformed("no choices in the completion")
        message = choices[0].get("message")
        if not isinstance(message, dict):
            raise self.transport.malformed("the first choice has no message")
        calls = [_tool_call(call) for call in message.get("tool_calls") or [] if isinstance(call, dict)]
        content = message.get("content")
        return ChatResponse(content=content if isinstance(content, str) else "", tool_calls=calls,
                            usage=_usage(data.get("usage")), model=str(data.get("model") or self.model),
                            finish_reason=choices[0].get("finish_reason") or ("tool_calls" if calls else "stop"),
                            provider=self.name)

    def _read_stream(self, response, on_token: OnToken | None) -> ChatResponse:
        text: list[str] = []
        calls: dict[int, dict[str, str]] = {}
        usage, model, finish, done = Usage(), self.model, "", False
        for _, data in self.transport.sse_events(response):
            if data is None:
                done = True
                break
            if data.get("error"):
                raise _body_error(self.transport, data["error"])
            model = str(data.get("model") or model)
            if data.get("usage"):
                usage = _usage(data["usage"])
            for choice in data.get("choices") or []:
                delta = choice.get("delta") or {}
                piece = delta.get("content")
                if isinstance(piece, str) and piece:
                    text.append(piece)
                    if on_token:
                        on_token(piece)
                for call_delta in delta.get("tool_calls") or []:
                    _add_call_delta(calls, call_delta)
                finish = choice.get("finish_reason") or finish
        if not done and not finish:
            raise self.transport.malformed("the stream ended before the completion finished")
        tool_calls = [tool_call_from_text(slot["id"], slot["name"], slot["arguments"])
                      for _, slot in sorted(calls.items())]
        return ChatResponse(content="".join(text), tool_calls=tool_calls, usage=usage, model=model,
                            finish_reason=finish or ("tool_calls" if tool_calls else "stop"), provider=self.name)


def _wire_message(message: dict[str, Any]) -> dict[str, Any]:
    role = message.get("role")
    if role == "tool":
        return {"role": "tool", "tool_call_id": str(message.get("tool_call_id") or ""),
                "content": str(message.get("content") or "")}
    calls = message_tool_calls(message) if role == "assistant" else []
    if calls:
        return {"role": "assistant", "content": message.get("content") or None,
                "tool_calls": [{"id": call["id"], "type": "function",
                                "function": {"name": call["name"], "arguments": arguments_text(call)}}
                               for call in calls]}
    return {"role": role, "content": message.get("content") or ""}


def _wire_tool_choice(choice: Any) -> Any:
    if isinstance(choice, str) and choice not in _TOOL_CHOICE_WORDS:
        return {"type": "function", "function": {"name": choice}}
    return choice


def _tool_call(call: dict[str, Any]) -> ToolCall:
    function = call.get("function") or {}
    arguments = function.get("arguments")
    if isinstance(arguments, dict):  # some compatible servers send an object, not its JSON text
        return ToolCall(str(call.get("id") or ""), str(function.get("name") or ""), arguments)
    return tool_call_from_text(str(call.get("id") or ""), str(function.get("name") or ""), str(arguments or ""))


def _add_call_delta(calls: dict[int, dict[str, str]], delta: dict[str, Any]) -> None:
    """Folds one streamed tool-call fragment into the call at its index."""
    index = delta.get("index")
    slot = calls.setdefault(index if isinstance(index, int) else len(calls),
                            {"id": "", "name": "", "arguments": ""})
    slot["id"] = slot["id"] or str(delta.get("id") or "")
    function = delta.get("function") or {}
    slot["name"] = slot["name"] or str(function.get("name") or "")
    arguments = function.get("arguments")
    if arguments:
        slot["arguments"] += arguments if isinstance(arguments, str) else json.dumps(arguments)


def _usage(data: Any) -> Usage:
    if not isinstance(data, dict):
        return Usage()
    return Usage(prompt_tokens=int(data.get("prompt_tokens") or 0),
                 completion_tokens=int(data.get("completion_tokens") or 0), reported=True)


def _body_error(transport: HttpTransport, error: Any):
    """The ProviderError for an `error` object inside a 200 reply or a stream (OpenRouter sends these)."""
    code = error.get("code") if isinstance(error, dict) else None
    return transport.error(error_detail_of({"error": error}) or str(error), code if isinstance(code, int) else None)
