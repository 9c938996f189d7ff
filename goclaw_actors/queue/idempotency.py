"""Keys for tool-call idempotency (SPEC §3.10)."""

import hashlib
import json
from typing import Any

SIDE_EFFECTING_TOOLS = frozenset({
    "write_file", "edit_file", "exec", "memory_write", "send_message", "send_alert",
    "spawn_task", "delegate_task", "delegate_task_async",
})


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace, so equal inputs hash equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_hash(arguments: Any) -> str:
    """Full sha256 hex of the canonical JSON of a tool's input."""
    return hashlib.sha256(canonical_json(arguments).encode("utf-8")).hexdigest()


def tool_call_key(task_id: str, tool_name: str, arguments: Any) -> tuple[str, str]:
    """(`<task_id>:<tool_name>:<16 hex>`, full request hash) for one tool call."""
    digest = request_hash(arguments)
    return f"{task_id}:{tool_name}:{digest[:16]}", digest


def is_side_effecting(tool_name: str) -> bool:
    """True for tools whose calls must be deduplicated (built-in side effects and MCP tools)."""
    return tool_name in SIDE_EFFECTING_TOOLS or tool_name.startswith("mcp_")
