"""Parsing and validation of `POST /v1/chat/completions` bodies (SPEC §9.4) into what the gateway enqueues."""

import uuid
from dataclasses import dataclass, field
from typing import Any

from goclaw_actors.config.defaults import DEFAULT_AGENT_ID
from goclaw_actors.http.json_input import InvalidJson, parse_json
from goclaw_actors.http.openai_errors import OpenAIError, invalid_param
from goclaw_actors.http.openai_params import check_request, checked_tool_calls

DEFAULT_MODEL = "goclaw-v1"
AGENT_MODEL_PREFIX = "agent:"
ROLES = ("system", "developer", "user", "assistant", "tool")
STORED_ROLES = {"developer": "system"}  # roles kept under another name (developer is treated as system)
SAMPLING_FIELDS = ("temperature", "top_p", "top_k", "max_tokens", "stop")
EMPTY_TOOL_OUTPUT = "(empty tool output)"  # task content when a tool answer is empty (content must not be)


@dataclass
class CompletionRequest:
    """A validated chat completion request: whom it addresses, the conversation, and the task payload."""

    model: str
    agent_id: str
    session_id: str
    content: str  # the last message's text: the task's `content`
    messages: list[dict[str, Any]]  # the whole conversation as stored (role, content, tool_call_id?, tool_calls?)
    stream: bool = False
    include_usage: bool = False
    has_tools: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # payload fields besides content and stream
    user: str = ""  # the request's `user` ("" without one): the session is per (user, agent)


def parse_completion_request(body: bytes) -> CompletionRequest:
    """Validate a request body; raises OpenAIError (400) with the contract's messages, naming the parameter."""
    try:
        request = parse_json(body or b"")
    except InvalidJson:
        raise OpenAIError(400, "Invalid JSON") from None
    if not isinstance(request, dict):
        raise OpenAIError(400, "Invalid JSON")
    raw_messages = request.get("messages")
    if raw_messages is None or raw_messages == []:
        raise OpenAIError(400, "Messages list is empty")
    if not isinstance(raw_messages, list):
        raise invalid_param("messages", "messages must be an array of message objects")
    messages = [stored_message(message, f"messages[{index}]") for index, message in enumerate(raw_messages)]
    check_request(request)
    last = messages[-1]
    if last["role"] not in ("user", "tool"):
        raise OpenAIError(400, "Last message must be from user")
    content = last["content"]
    if not content.strip():
        if last["role"] == "user":
            raise OpenAIError(400, "Last message content is empty")
        content = EMPTY_TOOL_OUTPUT
    model = request.get("model") if isinstance(request.get("model"), str) and request.get("model") else DEFAULT_MODEL
    agent_id = agent_for_model(model)
    user = request.get("user")
    stream_options = request.get("stream_options") if isinstance(request.get("stream_options"), dict) else {}
    tools = request.get("tools") or None
    return CompletionRequest(
        model=model, agent_id=agent_id,
        session_id=session_for_user(str(user), agent_id) if user else str(uuid.uuid4()),
        content=content, messages=messages, stream=request.get("stream") is True,
        include_usage=stream_options.get("include_usage") is True, has_tools=bool(tools),
        extra=payload_fields(request, tools), user=str(user) if user else "",
    )


def agent_for_model(model: str) -> str:
    """The agent a `model` names: the part after `agent:`, else `default`."""
    if model.startswith(AGENT_MODEL_PREFIX) and model[len(AGENT_MODEL_PREFIX):]:
        return model[len(AGENT_MODEL_PREFIX):]
    return DEFAULT_AGENT_ID


def session_for_user(user: str, agent_id: str) -> str:
    """The stable session of a (user, agent): UUIDv5(NAMESPACE_URL, `goclaw:user:<user>:agent:<agent>`)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"goclaw:user:{user}:agent:{agent_id}"))


def message_text(content: Any) -> str:
    """A message's text: a string, null (""), or content parts whose `text` parts are joined with newlines.

    Raises OpenAIError for any other part type.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise OpenAIError(400, "message content must be a string, null or an array of content parts")
    texts = []
    for part in content:
        part_type = part.get("type") if isinstance(part, dict) else None
        if part_type != "text":
            raise OpenAIError(400, f"Unsupported content part type: {part_type}")
        text = part.get("text")
        texts.append(text if isinstance(text, str) else "")
    return "\n".join(texts)


def stored_message(message: Any, where: str = "messages") -> dict[str, Any]:
    """One request message as the history stores it (`developer` as `system`, tool calls normalised);
    raises OpenAIError for an unknown role or malformed tool calls, naming the parameter."""
    if not isinstance(message, dict):
        raise invalid_param(where, "messages must be an array of message objects")
    role = message.get("role")
    if role not in ROLES:
        raise invalid_param(f"{where}.role", f"Unsupported message role: {role}")
    stored: dict[str, Any] = {"role": STORED_ROLES.get(role, role), "content": message_text(message.get("content"))}
    if role == "assistant" and message.get("tool_calls") is not None:
        calls = checked_tool_calls(message["tool_calls"], f"{where}.tool_calls")
        if calls:
            stored["tool_calls"] = calls
    if role == "tool":
        call_id = message.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            raise invalid_param(f"{where}.tool_call_id", f"{where}.tool_call_id must be a non-empty string")
        stored["tool_call_id"] = call_id
    return stored


def payload_fields(request: dict[str, Any], tools: Any) -> dict[str, Any]:
    """The task payload fields a request forwards: sampling, response_format, client_tools, tool_choice, source."""
    sampling = {name: request[name] for name in SAMPLING_FIELDS if request.get(name) is not None}
    if "max_tokens" not in sampling and request.get("max_completion_tokens") is not None:
        sampling["max_tokens"] = request["max_completion_tokens"]  # the newer spelling of the same limit
    fields: dict[str, Any] = {"source": "openai"}
    if sampling:
        fields["sampling"] = sampling
    if request.get("response_format") is not None:
        fields["response_format"] = request["response_format"]
    if tools:
        fields["client_tools"] = tools
    if request.get("tool_choice") is not None:
        fields["tool_choice"] = request["tool_choice"]
    return fields
