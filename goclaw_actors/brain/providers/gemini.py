"""Gemini API (`models/{model}:generateContent`, `:streamGenerateContent?alt=sse`) with function calling
and native structured output (JSON mime type and schema)."""

from typing import Any

from goclaw_actors.brain.providers.base import ChatRequest, ChatResponse, OnToken, ToolCall, Usage
from goclaw_actors.brain.providers.http import HttpTransport, Timeouts, error_detail_of
from goclaw_actors.brain.providers.messages import message_tool_calls, new_call_id, system_text

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
# Gemini 3 rejects replayed function calls without a thought signature; calls that lost theirs (history
# from another provider, compaction) carry this documented placeholder instead.
PLACEHOLDER_SIGNATURE = "skip_thought_signature_validator"
_SAMPLING = {"temperature": "temperature", "top_p": "topP", "top_k": "topK", "max_tokens": "maxOutputTokens"}
_TOOL_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE"}
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}


class GeminiProvider:
    """Google's Gemini over its REST API; the key travels in the `x-goog-api-key` header.

        provider = GeminiProvider("gemini-3-pro-preview", api_key)
        reply = provider.chat(ChatRequest(model="gemini-3-pro-preview", messages=[...]))
    """

    supports_tools = True
    native_structured_output = True

    def __init__(self, model: str, api_key: str, base_url: str = DEFAULT_BASE_URL, timeouts: Timeouts = Timeouts(),
                 name: str = "google"):
        self.name = name
        self.model = model
        self.api_key = api_key
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.transport = HttpTransport(name, timeouts, secrets=[api_key])

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResponse:
        """One generation; streamed over SSE when `request.stream`, text deltas going to `on_token`."""
        model = (request.model or self.model).removeprefix("models/")
        headers = {"x-goog-api-key": self.api_key}
        body = self.request_body(request)
        if request.stream:
            url = f"{self.base_url}/models/{model}:streamGenerateContent?alt=sse"
            return self._read_stream(self.transport.post(url, headers, body, stream=True), model, on_token)
        url = f"{self.base_url}/models/{model}:generateContent"
        reply = _Reply(model)
        reply.add(self.transport.json_body(self.transport.post(url, headers, body)), self.transport, None)
        return reply.finish(self.name, self.transport, streamed=False)

    def request_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body for `request`."""
        model = request.model or self.model
        body: dict[str, Any] = {"contents": wire_contents(request.messages, model.startswith("gemini-3"))}
        system = system_text(request.messages)
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        if request.tools:
            body["tools"] = [{"functionDeclarations": [
                {"name": t.name, "description": t.description, "parametersJsonSchema": t.parameters}
                for t in request.tools]}]
            if request.tool_choice is not None:
                body["toolConfig"] = {"functionCallingConfig": _tool_config(request.tool_choice)}
        config = {wire: request.sampling[key] for key, wire in _SAMPLING.items()
                  if request.sampling.get(key) is not None}
        stop = request.sampling.get("stop")
        if stop:
            config["stopSequences"] = [stop] if isinstance(stop, str) else list(stop)
        response_format = request.response_format or {}
        if response_format.get("type") in ("json_object", "json_schema"):
            config["responseMimeType"] = "application/json"
            schema = (response_format.get("json_schema") or {}).get("schema")
            if schema:
                config["responseJsonSchema"] = schema
        if config:
            body["generationConfig"] = config
        return body

    def _read_stream(self, response, model: str, on_token: OnToken | None) -> ChatResponse:
        reply = _Reply(model)
        for _, data in self.transport.sse_events(response):
            if data is not None:
                reply.add(data, self.transport, on_token)
        return reply.finish(self.name, self.transport, streamed=True)


class _Reply:
    """Accumulates GenerateContentResponse objects (one, or one per stream event) into a ChatResponse."""

    def __init__(self, model: str):
        self.model = model
        self.text: list[str] = []
        self.calls: list[ToolCall] = []
        self.usage = Usage()
        self.finish_reason = ""
        self.blocked = ""

    def add(self, data: dict[str, Any], transport: HttpTransport, on_token: OnToken | None) -> None:
        if data.get("error"):
            raise transport.error(error_detail_of(data))
        self.model = str(data.get("modelVersion") or self.model)
        usage = data.get("usageMetadata")
        if isinstance(usage, dict):
            self.usage = Usage(prompt_tokens=int(usage.get("promptTokenCount") or 0),
                               completion_tokens=int(usage.get("candidatesTokenCount") or 0)
                               + int(usage.get("thoughtsTokenCount") or 0), reported=True)
        self.blocked = str((data.get("promptFeedback") or {}).get("blockReason") or self.blocked)
        candidates = data.get("candidates")
        if candidates is None:
            return
        if not isinstance(candidates, list) or not candidates or not isinstance(candidates[0], dict):
            raise transport.malformed("candidates is not a list of objects")
        candidate = candidates[0]
        parts = (candidate.get("content") or {}).get("parts") or []
        for part in parts:
            if not isinstance(part, dict) or part.get("thought"):
                continue
            if isinstance(part.get("text"), str) and part["text"]:
                self.text.append(part["text"])
                if on_token:
                    on_token(part["text"])
            call = part.get("functionCall")
            if isinstance(call, dict):
                extra = {"thought_signature": part["thoughtSignature"]} if part.get("thoughtSignature") else {}
                args = call.get("args") if isinstance(call.get("args"), dict) else {}
                self.calls.append(ToolCall(str(call.get("id") or new_call_id()), str(call.get("name") or ""),
                                           args, extra))
        self.finish_reason = str(candidate.get("finishReason") or self.finish_reason)

    def finish(self, provider: str, transport: HttpTransport, streamed: bool) -> ChatResponse:
        if self.blocked and not self.finish_reason:
            raise transport.error(f"prompt blocked by Gemini: {self.blocked}")
        if not self.finish_reason and not self.text and not self.calls:
            raise transport.malformed("the stream ended before a finishReason" if streamed else "no candidates")
        finish = _FINISH.get(self.finish_reason, self.finish_reason.lower() or "stop")
        if self.calls and finish == "stop":
            finish = "tool_calls"
        return ChatResponse(content="".join(self.text), tool_calls=self.calls, usage=self.usage,
                            finish_reason=finish, model=self.model, provider=provider)


def wire_contents(messages: list[dict[str, Any]], needs_signatures: bool) -> list[dict[str, Any]]:
    """Internal messages as Gemini `contents` (roles user/model; tool results as functionResponse parts)."""
    contents: list[dict[str, Any]] = []
    names_by_id: dict[str, str] = {}
    for message in messages:
        role, content = message.get("role"), message.get("content")
        if role == "system":
            continue
        if role == "tool":
            name = message.get("name") or names_by_id.get(str(message.get("tool_call_id")), "")
            parts = [{"functionResponse": {"name": name, "response": {"content": str(content or "")}}}]
        else:
            parts = [{"text": str(content)}] if content else []
        if role == "assistant":
            calls = message_tool_calls(message)
            signed = any((call.get("extra") or {}).get("thought_signature") for call in calls)
            for index, call in enumerate(calls):
                names_by_id[str(call.get("id"))] = call["name"]
                part: dict[str, Any] = {"functionCall": {"name": call["name"], "args": call.get("arguments") or {}}}
                signature = (call.get("extra") or {}).get("thought_signature")
                if signature or (needs_signatures and not signed and index == 0):
                    part["thoughtSignature"] = signature or PLACEHOLDER_SIGNATURE
                parts.append(part)
        if not parts:
            continue
        wire_role = "model" if role == "assistant" else "user"
        if contents and contents[-1]["role"] == wire_role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": wire_role, "parts": parts})
    return contents


def _tool_config(choice: Any) -> dict[str, Any]:
    if isinstance(choice, dict) and choice.get("type") == "function":
        choice = (choice.get("function") or {}).get("name", "")
    if isinstance(choice, str) and choice in _TOOL_MODES:
        return {"mode": _TOOL_MODES[choice]}
    return {"mode": "ANY", "allowedFunctionNames": [str(choice)]}
