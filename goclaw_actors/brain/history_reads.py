"""Reads of a (session, agent) conversation for the turn pipeline."""

import json
import sqlite3
from typing import Any

MAX_HISTORY = 1000  # messages loaded per turn (SPEC §4.8)


def session_history(conn: sqlite3.Connection, session_id: str, agent_id: str,
                    limit: int = MAX_HISTORY) -> list[dict[str, Any]]:
    """The latest `limit` non-archived messages of (session, agent), oldest first."""
    rows = conn.execute(
        "SELECT id, role, content, tokens, tool_call_id, tool_calls_json FROM messages "
        "WHERE session_id = ? AND agent_id = ? AND archived_at IS NULL ORDER BY id DESC LIMIT ?",
        (session_id, agent_id, limit),
    ).fetchall()
    history = []
    for row in reversed(rows):
        message: dict[str, Any] = {"id": row[0], "role": row[1], "content": row[2], "tokens": row[3]}
        if row[4]:
            message["tool_call_id"] = row[4]
        if row[5]:
            message["tool_calls"] = [internal_tool_call(call) for call in json.loads(row[5])]
        history.append(message)
    return history


def internal_tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """A stored tool call in the brain's shape `{id, name, arguments: dict}` (OpenAI's shape is accepted)."""
    function = call.get("function")
    if not isinstance(function, dict):
        return call
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            arguments = {}
    return {"id": call.get("id", ""), "name": function.get("name", ""),
            "arguments": arguments if isinstance(arguments, dict) else {}}
