"""Token counts without a tokenizer: the SPEC estimate (SPEC §3.4, §4.11)."""

import json
from typing import Any


def estimate_tokens(text: str) -> int:
    """SPEC token estimate: max(int(words × 1.33), utf8_bytes // 4)."""
    return max(int(len(text.split()) * 1.33), len(text.encode("utf-8")) // 4)


def estimate_message_tokens(message: dict[str, Any]) -> int:
    """Estimated tokens of one message: its text plus any tool calls it carries."""
    tokens = estimate_tokens(str(message.get("content") or ""))
    if message.get("tool_calls"):
        tokens += estimate_tokens(json.dumps(message["tool_calls"], default=str))
    return tokens
