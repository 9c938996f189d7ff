"""What every LLM provider speaks to the brain: requests, responses, tool calls, errors.

Messages use one internal shape, close to OpenAI's: `{"role": "system"|"user"|"assistant"|"tool",
"content": str, "tool_calls"?: [ToolCall.as_message_dict()], "tool_call_id"?: str, "name"?: str}`.
Each provider module translates it to and from its own wire format.
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

# Error classes of SPEC §4.5 (failover moves on for every class but CONTEXT_OVERFLOW).
AUTH = "AUTH"
RATE_LIMIT = "RATE_LIMIT"
TIMEOUT = "TIMEOUT"
BILLING = "BILLING"
CONTEXT_OVERFLOW = "CONTEXT_OVERFLOW"
UNKNOWN = "UNKNOWN"
ERROR_CLASSES = (AUTH, RATE_LIMIT, TIMEOUT, BILLING, CONTEXT_OVERFLOW, UNKNOWN)

SAMPLING_FIELDS = ("temperature", "top_p", "top_k", "max_tokens", "stop")


@dataclass
class ToolSpec:
    """A tool offered to the model: name, description and JSON schema of its arguments."""

    name: str
    description: str
    parameters: dict[str, Any]


@dataclass
class ToolCall:
    """A tool call the model asked for; `arguments` is the parsed JSON object. `extra` holds what the
    provider needs echoed back with the call (Gemini `thought_signature`; `raw_arguments` when the
    model's argument text was not a JSON object, in which case `arguments` is empty)."""

    id: str
    name: str
    arguments: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def as_message_dict(self) -> dict[str, Any]:
        """The call as it appears in an assistant message's `tool_calls`."""
        call = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.extra:
            call["extra"] = dict(self.extra)
        return call


@dataclass
class Usage:
    """Token counts; `reported` is False when they are estimates."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reported: bool = False

    @property
    def total_tokens(self) -> int:
        """prompt + completion."""
        return self.prompt_tokens + self.completion_tokens


@dataclass
class ChatRequest:
    """One model call. `sampling` holds any of SAMPLING_FIELDS; `response_format` is OpenAI-shaped
    (`{"type": "json_object"}` or `{"type": "json_schema", "json_schema": {...}}`)."""

    model: str
    messages: list[dict[str, Any]]
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: Any = None
    sampling: dict[str, Any] = field(default_factory=dict)
    response_format: dict[str, Any] | None = None
    stream: bool = False


@dataclass
class ChatResponse:
    """The model's answer: text and/or tool calls, usage, finish reason, and the model and provider
    that answered. `finish_reason` is `stop`, `tool_calls`, `length` or the provider's own word."""

    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = "stop"
    model: str = ""
    provider: str = ""


OnToken = Callable[[str], None]


class Provider(Protocol):
    """One configured provider. `chat` streams text deltas to `on_token` when the request asks to
    stream (and `on_token` is given), and always returns the whole response. `native_structured_output`
    says whether `response_format` is enforced by the provider (else the caller puts the schema in the
    system prompt)."""

    name: str
    model: str
    supports_tools: bool
    native_structured_output: bool

    def chat(self, request: ChatRequest, on_token: OnToken | None = None) -> ChatResponse: ...


class ProviderError(Exception):
    """A failed provider call, classified for failover (`error_class` is one of ERROR_CLASSES).

    `transient` says the provider itself is in trouble (timeout, connection error, 5xx, 429): only such
    failures count toward its circuit breaker. By default it follows from the class and the status.
    `circuit_open` marks the failure of a chain whose every provider had its breaker open.
    """

    def __init__(self, message: str, error_class: str = UNKNOWN, status: int | None = None,
                 provider: str = "", retry_after: float | None = None, transient: bool | None = None,
                 circuit_open: bool = False):
        super().__init__(message)
        self.error_class = error_class
        self.status = status
        self.provider = provider
        self.retry_after = retry_after
        if transient is None:
            transient = error_class in (RATE_LIMIT, TIMEOUT) or (status is not None and status >= 500)
        self.transient = transient
        self.circuit_open = circuit_open
