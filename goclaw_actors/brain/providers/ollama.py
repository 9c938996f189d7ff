"""Ollama's native chat API (`POST <base>/api/chat`, NDJSON streaming, `format` for structured output) and
the tool-capability check (`POST <base>/api/show`) both Ollama API modes use (SPEC §4.2, §4.7)."""

from typing import Any

import requests

from goclaw_actors.brain.providers.base import ChatRequest, ChatResponse, OnToken, ToolCall, Usage
from goclaw_actors.brain.providers.http import HttpTransport, Timeouts, error_detail_of
from goclaw_actors.brain.providers.messages import message_tool_calls, new_call_id, tool_call_from_text
from goclaw_actors.logs.system_log import get_logger

DEFAULT_BASE_URL = "http://localhost:11434"
SHOW_TIMEOUT_SECONDS = 3.0
_OPTIONS = {"temperature": "temperature", "top_p": "top_p", "top_k": "top_k", "max_tokens": "num_predict"}

log = get_logger("brain")


class OllamaToolSupport:
    """Answers whether an Ollama model takes native tools: `/api/show` answers 200 with `tools` among its
    `capabilities`. Answers from a 200 are cached per model; failures count as "no" and are asked again.

        supports = OllamaToolSupport("http://localhost:11434")
        supports("qwen3:8b")  # -> True
    """

    def __init__(self, base_url: str = DEFAULT_BASE_URL, timeout: float = SHOW_TIMEOUT_SECONDS):
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self._answers: dict[str, bool] = {}

    def __call__(self, model: str) -> bool:
        if model in self._answers:
            return self._answers[model]
        try:
            response = self.session.post(f"{self.base_url}/api/show", json={"model": model}, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warn("ollama capability check failed; using the JSON action protocol", model=model, error=str(exc))
            return False
        if response.status_code != 200:
            log.warn("ollama capability check refused; using the JSON action protocol", model=model,
                     status=response.status_code)
            return False
        try:
            capabilities = response.json().get("capabilities") or []
        except (ValueError, AttributeError) as exc:
            log.warn("ollama capability check answered no JSON object", model=model, error=str(exc))
            return False
        self._answers[model] = isinstance(capabilities, list) and "tools" in capabilities
        return self._answers[model]


class OllamaProvider:
    """A model served by Ollama through `/api/chat`. Tools are sent only when the model supports them.

        provider = OllamaProvider("qwen3:8b", "http://localhost:11434")
        reply = provider.chat(ChatRequest(model="qwen3:8b", messages=[...], stream=True), print)
    """

    native_structured_output = True

    def __init__(self, model: str, base_url: str = DEFAULT_BASE_URL, timeouts: Timeouts = Timeouts(),
                 tool_support: OllamaToolSupport | None = None, name: str = "ollama"):
        self.name = name
        self.model = model
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.tool_support = tool_support or OllamaToolSupport(self.base_url)
        self.transport = HttpTransport(name, timeouts)

    @property
    def supports_tools(self) -> bool:
        """Whether this model takes native tools (asked once per model)."""
        return self.tool_support(self.model)

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResponse:
        """One chat turn; streamed as NDJSON when `request.stream`, text deltas going to `on_token`."""
        url = f"{self.base_url}/api/chat"
        body = self.request_body(request)
        if request.stream:
            response = self.transport.post(url, {"Accept": "application/x-ndjson"}, body, stream=True)
            return self._read_stream(response, on_token)
        return self._read_reply(self.transport.json_body(self.transport.post(url, {}, body)))

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for `request`."""
        model = request.model or self.model
        body: dict[str, Any] = {"model": model, "messages": wire_messages(request.messages), "stream": request.stream}
        if request.tools and self.tool_support(model):
            body["tools"] = [{"type": "function", "function": {"name": t.name, "description": t.description,
                                                               "parameters": t.parameters}}
                             for t in request.tools]
        response_format = request.response_format or {}
        if response_format.get("type") == "json_object":
            body["format"] = "json"
        elif response_format.get("type") == "json_schema":
            body["format"] = (response_format.get("json_schema") or {}).get("schema") or "json"
        options = {wire: request.sampling[key] for key, wire in _OPTIONS.items()
                   if request.sampling.get(key) is not None}
        stop = request.sampling.get("stop")
        if stop:
            options["stop"] = [stop] if isinstance(stop, str) else list(stop)
        if options:
            body["options"] = options
        return body

    def _read_reply(self, data: dict[str, Any]) -> ChatResponse:
        if data.get("error"):
            raise self.transport.error(error_detail_of(data))
        message = data.get("message")
        if not isinstance(message, dict):
            raise self.transport.malformed("the reply has no message")
        calls = _tool_calls(message)
        return ChatResponse(content=str(message.get("content") or ""), tool_calls=calls, usage=_usage(data),
                            finish_reason=_finish(data.get("done_reason"), calls),
                            model=str(data.get("model") or self.model), provider=self.name)

    def _read_stream(self, response, on_token: OnToken | None) -> ChatResponse:
        text: list[str] = []
        calls: list[ToolCall] = []
        model, last = self.model, None
        for line in self.transport.ndjson_lines(response):
            if line.get("error"):
                raise self.transport.error(error_detail_of(line))
            model = str(line.get("model") or model)
            message = line.get("message") or {}
            piece = message.get("content")
            if isinstance(piece, str) and piece:
                text.append(piece)
                if on_token:
                    on_token(piece)
            calls += _tool_calls(message)
            if line.get("done"):
                last = line
                break
        if last is None:
            raise self.transport.malformed("the stream ended before a line with done: true")
        return ChatResponse(content="".join(text), tool_calls=calls, usage=_usage(last), model=model,
                            finish_reason=_finish(last.get("done_reason"), calls), provider=self.name)


def wire_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Internal messages in Ollama's chat shape (tool call arguments as objects, tool results named)."""
    wire, names_by_id = [], {}
    for message in messages:
        role = message.get("role")
        item: dict[str, Any] = {"role": role, "content": str(message.get("content") or "")}
        if role == "assistant":
            calls = message_tool_calls(message)
            if calls:
                item["tool_calls"] = [{"function": {"name": c["name"], "arguments": c.get("arguments") or {}}}
                                      for c in calls]
                names_by_id.update({str(c.get("id")): c["name"] for c in calls})
        if role == "tool":
            name = message.get("name") or names_by_id.get(str(message.get("tool_call_id")))
            if name:
                item["tool_name"] = name
        wire.append(item)
    return wire


def _tool_calls(message: dict[str, Any]) -> list[ToolCall]:
    calls = []
    for call in message.get("tool_calls") or []:
        function = (call or {}).get("function") or {}
        name, arguments = str(function.get("name") or ""), function.get("arguments")
        call_id = str(call.get("id") or new_call_id())
        if isinstance(arguments, dict):
            calls.append(ToolCall(call_id, name, arguments))
        else:
            calls.append(tool_call_from_text(call_id, name, str(arguments or "")))
    return calls


def _finish(reason: Any, calls: list[ToolCall]) -> str:
    if calls and reason in (None, "", "stop"):
        return "tool_calls"
    return str(reason or "stop")


def _usage(data: dict[str, Any]) -> Usage:
    if "prompt_eval_count" not in data and "eval_count" not in data:
        return Usage()
    return Usage(prompt_tokens=int(data.get("prompt_eval_count") or 0),
                 completion_tokens=int(data.get("eval_count") or 0), reported=True)
