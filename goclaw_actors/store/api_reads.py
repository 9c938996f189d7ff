"""Read-only queries behind the gateway's listings: tasks, sessions, messages and plan executions."""

import json
import sqlite3
from typing import Any, Iterable

from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow

SESSION_COLUMNS = "id, soul_hash, created_at, updated_at"
MESSAGE_COLUMNS = "id, session_id, agent_id, role, content, tokens, tool_call_id, tool_calls_json, created_at"
EXECUTION_COLUMNS = ("id, plan_name, session_id, status, total_steps, completed_steps, current_wave, "
                     "total_cost_usd, created_at, updated_at")
STEP_COLUMNS = ("id, step_id, step_index, wave_number, agent_id, prompt, task_id, status, result, error, "
                "cost_usd, created_at, updated_at")


def _in_clause(column: str, values: Iterable[str] | None, where: list[str], params: list[Any]) -> None:
    """Add `column IN (…)` to `where` when `values` is given (an empty collection matches nothing)."""
    if values is None:
        return
    values = sorted(values)
    where.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
    params.extend(values)


def _with_payload_text(row: tuple) -> TaskRow:
    """A TaskRow whose `extra["payload_text"]` keeps the stored payload exactly (it may be redacted text)."""
    task = TaskRow.from_row(row[:-1])
    task.extra["payload_text"] = row[-1]
    return task


def get_task_with_payload(conn: sqlite3.Connection, task_id: str) -> TaskRow | None:
    """The task with `task_id` (stored payload text in `extra`), or None."""
    row = conn.execute(f"SELECT {TASK_COLUMNS}, payload FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return _with_payload_text(row) if row else None


def task_columns(payload: bool = True, result: bool = True) -> str:
    """TASK_COLUMNS with the payload and/or result body left out (selected as NULL) when not wanted."""
    left_out = {name for name, wanted in (("payload", payload), ("result", result)) if not wanted}
    return ", ".join("NULL" if name in left_out else name for name in TASK_COLUMNS.split(", "))


def list_tasks(conn: sqlite3.Connection, statuses: Iterable[str] | None = None, limit: int = 20, offset: int = 0,
               agent_ids: Iterable[str] | None = None, session_id: str | None = None, payload: bool = True,
               result: bool = True) -> tuple[list[TaskRow], int]:
    """One page of tasks newest first, and the number of tasks matching the filters.

    `statuses` / `agent_ids` of None do not filter; `session_id` limits to one session. Without
    `payload` / `result` those bodies are left unread (None). The page is found on the creation-time
    indexes alone, so its cost does not grow with the size of the tasks it skips.
    """
    where: list[str] = []
    params: list[Any] = []
    _in_clause("status", statuses, where, params)
    _in_clause("agent_id", agent_ids, where, params)
    if session_id is not None:
        where.append("session_id = ?")
        params.append(session_id)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    (total,) = conn.execute(f"SELECT COUNT(*) FROM tasks{clause}", params).fetchone()
    rows = conn.execute(
        f"SELECT {task_columns(payload, result)}, {'payload' if payload else 'NULL'} FROM tasks "
        f"WHERE rowid IN (SELECT rowid FROM tasks{clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?) "
        "ORDER BY created_at DESC, id DESC",
        [*params, limit, offset],
    ).fetchall()
    return [_with_payload_text(row) for row in rows], total


def list_sessions(conn: sqlite3.Connection, limit: int = 20, offset: int = 0,
                  agent_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Sessions newest first; with `agent_ids`, only sessions holding messages or tasks of those agents."""
    where: list[str] = []
    params: list[Any] = []
    if agent_ids is not None:
        ids = sorted(agent_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        where.append(f"(EXISTS (SELECT 1 FROM messages m WHERE m.session_id = s.id AND m.agent_id IN ({marks})) "
                     f"OR EXISTS (SELECT 1 FROM tasks t WHERE t.session_id = s.id AND t.agent_id IN ({marks})))")
        params.extend([*ids, *ids])
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    cursor = conn.execute(
        f"SELECT {SESSION_COLUMNS} FROM sessions s{clause} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def session_agent_ids(conn: sqlite3.Connection, session_id: str) -> set[str]:
    """The agents with tasks or messages in a session."""
    return {agent for (agent,) in conn.execute(
        "SELECT agent_id FROM tasks WHERE session_id = ? UNION SELECT agent_id FROM messages WHERE session_id = ?",
        (session_id, session_id))}


def task_agent_id(conn: sqlite3.Connection, task_id: str) -> str | None:
    """The agent of a task, or None when there is no such task."""
    row = conn.execute("SELECT agent_id FROM tasks WHERE id = ?", (task_id,)).fetchone()
    return row[0] if row else None


def session_messages(conn: sqlite3.Connection, session_id: str, limit: int = 100,
                     agent_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The latest `limit` non-archived messages of a session, oldest first (optionally of some agents only)."""
    where = ["session_id = ?", "archived_at IS NULL"]
    params: list[Any] = [session_id]
    _in_clause("agent_id", agent_ids, where, params)
    cursor = conn.execute(
        f"SELECT {MESSAGE_COLUMNS} FROM (SELECT {MESSAGE_COLUMNS} FROM messages WHERE {' AND '.join(where)} "
        "ORDER BY id DESC LIMIT ?) ORDER BY id",
        [*params, limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def plan_execution(conn: sqlite3.Connection, execution_id: str) -> dict[str, Any] | None:
    """A plan execution with its `steps` (by wave, then index), or None."""
    cursor = conn.execute(f"SELECT {EXECUTION_COLUMNS} FROM plan_executions WHERE id = ?", (execution_id,))
    row = cursor.fetchone()
    if row is None:
        return None
    execution = dict(zip([d[0] for d in cursor.description], row))
    cursor = conn.execute(
        f"SELECT {STEP_COLUMNS} FROM plan_execution_steps WHERE execution_id = ? "
        "ORDER BY wave_number, step_index, id", (execution_id,))
    names = [d[0] for d in cursor.description]
    execution["steps"] = [dict(zip(names, step)) for step in cursor]
    return execution


def card_agents(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Active agents for the A2A card, `default` first then by id: `{agent_id, display_name, tags}`."""
    rows = conn.execute(
        "SELECT agent_id, display_name, skills_filter FROM agents WHERE status = 'active' "
        "ORDER BY agent_id != 'default', agent_id"
    ).fetchall()
    return [{"agent_id": agent_id, "display_name": display_name or agent_id, "tags": _string_list(skills)}
            for agent_id, display_name, skills in rows]


def _string_list(text: str | None) -> list[str]:
    """A stored JSON list of strings (e.g. `skills_filter`); anything else is an empty list."""
    try:
        value = json.loads(text) if text else []
    except ValueError:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []
