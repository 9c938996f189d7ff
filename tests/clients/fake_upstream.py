"""A deterministic OpenAI-compatible upstream for the client-conformance suite.

What it answers depends only on the request, so every client assertion can check exact content:

* a request with `response_format` json_schema/json_object: PERSON as JSON, but the first reply of a
  conversation (no re-prompt in it yet) lacks `age`, so the daemon must re-prompt before answering;
* a request whose tool_choice names a function, or offering `get_weather` for a weather question:
  a tool call with ARGUMENTS[name];
* a conversation that ends with a tool result: WEATHER_REPLY;
* `cut me off`: CUT_REPLY with finish_reason `length`;
* `rate limit me`: 429 with `Retry-After: 60`; `overflow please`: 400 context_length_exceeded;
  `bad key please`: 401;
* `be slow`: HELLO_REPLY after SLOW_SECONDS;
* anything else: HELLO_REPLY.

Streamed requests get the same content as SSE chunks (HELLO_CHUNKS for the hello reply). Every request
is recorded; `calls(word)` counts those whose last user message contains `word`.
"""

import json
from dataclasses import replace
from typing import Any

from tests.brain.fake_server import FakeServer, Reply, Seen, json_reply, sse_reply

MODEL = "gpt-fake"
HELLO_CHUNKS = ["Hello", " from", " the fake", " upstream."]
HELLO_REPLY = "".join(HELLO_CHUNKS)
CUT_REPLY = "This answer was cut"
WEATHER_REPLY = "It is 21 degrees in Paris."
PERSON = {"name": "Ada Lovelace", "age": 36}
ARGUMENTS = {"get_weather": {"city": "Paris"}, "UserInfo": PERSON, "final_result": PERSON}
USAGE = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
RETRY_AFTER = "60"
SLOW_SECONDS = 3.0
CONTEXT_ERROR = {"message": "This model's maximum context length is 8192 tokens. However, your messages "
                            "resulted in 9000 tokens.", "type": "invalid_request_error", "param": "messages",
                 "code": "context_length_exceeded"}
RATE_ERROR = {"message": "Rate limit reached for requests per minute", "type": "requests",
              "param": None, "code": "rate_limit_exceeded"}
AUTH_ERROR = {"message": "Incorrect API key provided", "type": "invalid_request_error", "param": None,
              "code": "invalid_api_key"}
REPROMPT = "Your response did not match the required JSON schema"


class FakeUpstream(FakeServer):
    """The fake upstream on 127.0.0.1 (`url` + "/v1" is its OpenAI base URL)."""

    def __init__(self):
        super().__init__(handler=answer)

    def requests_with(self, word: str) -> list[Seen]:
        """The recorded requests whose last user message contains `word`."""
        return [seen for seen in self.seen if word in last_user_text(seen.body)]

    def calls(self, word: str) -> int:
        """How many requests mentioned `word` in their last user message."""
        return len(self.requests_with(word))

    def conversation_calls(self, word: str) -> int:
        """How many requests mentioned `word` in any user message (re-prompts included)."""
        return sum(any(word in str(m.get("content")) for m in (seen.body or {}).get("messages") or []
                       if m.get("role") == "user") for seen in self.seen)


def last_user_text(body: Any) -> str:
    """The text of the last user message of a request body ("" when there is none)."""
    for message in reversed((body or {}).get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else json.dumps(content)
    return ""


def answer(seen: Seen) -> Reply:
    """The reply to one request (see the module docstring)."""
    body = seen.body or {}
    messages = body.get("messages") or []
    text = last_user_text(body)
    stream = body.get("stream") is True
    if "rate limit me" in text:
        return json_reply({"error": RATE_ERROR}, 429, headers={"Retry-After": RETRY_AFTER})
    if "overflow please" in text:
        return json_reply({"error": CONTEXT_ERROR}, 400)
    if "bad key please" in text:
        return json_reply({"error": AUTH_ERROR}, 401)
    call = tool_to_call(body)
    if call is not None:
        return completion(None, stream, "tool_calls", tool_calls=[call])
    if messages and messages[-1].get("role") == "tool":
        return completion(WEATHER_REPLY, stream)
    response_format = body.get("response_format") or {}
    if response_format.get("type") in ("json_schema", "json_object"):
        reprompted = any(REPROMPT in str(m.get("content") or "") for m in messages)
        person = PERSON if reprompted else {"name": PERSON["name"]}
        return completion(json.dumps(person), stream)
    if "cut me off" in text:
        return completion(CUT_REPLY, stream, "length")
    reply = completion(HELLO_REPLY, stream, chunks=HELLO_CHUNKS)
    return replace(reply, delay=SLOW_SECONDS) if "be slow" in text else reply


def tool_to_call(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool call to answer with: the function tool_choice names, or get_weather for a weather question."""
    names = [tool.get("function", {}).get("name") for tool in body.get("tools") or []]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("function", {}).get("name") in ARGUMENTS:
        name = choice["function"]["name"]
    elif choice == "required" and names and names[0] in ARGUMENTS:
        name = names[0]
    elif "get_weather" in names and "weather" in last_user_text(body) and body["messages"][-1]["role"] == "user":
        name = "get_weather"
    else:
        return None
    return {"id": f"call_{name}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(ARGUMENTS[name])}}


def completion(content: str | None, stream: bool, finish_reason: str = "stop",
               tool_calls: list[dict[str, Any]] | None = None, chunks: list[str] | None = None) -> Reply:
    """A chat completion, or its SSE stream (content in `chunks`, tool calls in one delta, usage last)."""
    if not stream:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if tool_calls:
            message["tool_calls"] = tool_calls
        return json_reply({"id": "chatcmpl-fake", "object": "chat.completion", "created": 1, "model": MODEL,
                           "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
                           "usage": USAGE})
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": piece} for piece in (chunks or ([content] if content else []))]
    if tool_calls:
        deltas.append({"tool_calls": [{"index": i, **call} for i, call in enumerate(tool_calls)]})
    events = [chunk([{"index": 0, "delta": delta, "finish_reason": None}]) for delta in deltas]
    events.append(chunk([{"index": 0, "delta": {}, "finish_reason": finish_reason}]))
    events.append(chunk([], usage=USAGE))
    return sse_reply(events, done=True)


def chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> dict[str, Any]:
    """One `chat.completion.chunk`."""
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1, "model": MODEL,
            "choices": choices, "usage": usage}
