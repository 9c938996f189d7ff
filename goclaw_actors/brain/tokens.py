"""Token counts without a tokenizer: the SPEC estimate, and usage when a provider reports none (SPEC §4.11)."""

import json
from typing import Any

from goclaw_actors.brain.providers.base import Usage


def estimate_tokens(text: str) -> int:
    """SPEC token estimate: max(int(words × 1.33), utf8_bytes // 4)."""
    return max(int(len(text.split()) * 1.33), len(text.encode("utf-8")) // 4)


def estimate_message_tokens(message: dict[str, Any]) -> int:
    """Estimated tokens of one message: its text plus any tool calls it carries."""
    tokens = estimate_tokens(str(message.get("content") or ""))
    if message.get("tool_calls"):
        tokens += estimate_tokens(json.dumps(message["tool_calls"], default=str))
    return tokens


def estimate_usage(messages: list[dict[str, Any]], reply: str) -> Usage:
    """Estimated usage of a call: every message sent is prompt, the reply is completion."""
    return Usage(prompt_tokens=sum(estimate_message_tokens(m) for m in messages),
                 completion_tokens=estimate_tokens(reply), reported=False)


def effective_usage(reported: Usage | None, messages: list[dict[str, Any]], reply: str) -> Usage:
    """The provider's usage when it reported any, else the estimate for `messages` and `reply`."""
    if reported is not None and reported.reported:
        return reported
    return estimate_usage(messages, reply)
