"""Reads behind the activity routes: recent task events across sessions, token and cost totals."""

import sqlite3
from typing import Any, Iterable

from goclaw_actors.queue.states import STATES
from goclaw_actors.store.sqlite_reads import EVENT_COLUMNS
from goclaw_actors.timeutil import db_now


def _agent_filter(agent_ids: Iterable[str] | None, column: str) -> tuple[str, list[str]]:
    if agent_ids is None:
        return "", []
    ids = sorted(agent_ids)
    return f" AND {column} IN ({','.join('?' * len(ids)) or 'NULL'})", ids


def recent_events(conn: sqlite3.Connection, after_id: int, limit: int,
                  agent_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Task events with `event_id > after_id`, ascending: the first `limit` of them, or, when `after_id`
    is 0, the latest `limit`. With `agent_ids`, only events of those agents' tasks."""
    scope, params = _agent_filter(agent_ids, "t.agent_id")
    columns = ", ".join(f"e.{name.strip()}" for name in EVENT_COLUMNS.split(","))
    base = (f"SELECT {columns}, t.agent_id AS agent_id FROM task_events e LEFT JOIN tasks t ON t.id = e.task_id "
            f"WHERE e.event_id > ?{scope}")
    order = "DESC" if after_id <= 0 else "ASC"
    cursor = conn.execute(f"{base} ORDER BY e.event_id {order} LIMIT ?", [after_id, *params, limit])
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row)) for row in cursor]
    return rows if order == "ASC" else rows[::-1]


def usage_totals(conn: sqlite3.Connection, agent_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Per agent (ordered): prompt, completion and total tokens and estimated cost in USD over all tasks."""
    scope, params = _agent_filter(agent_ids, "agent_id")
    rows = conn.execute(
        "SELECT agent_id, COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
        "COALESCE(SUM(total_tokens), 0), COALESCE(SUM(estimated_cost_usd), 0) FROM tasks "
        f"WHERE (total_tokens > 0 OR estimated_cost_usd > 0){scope} GROUP BY agent_id ORDER BY agent_id", params
    ).fetchall()
    return [{"agent_id": agent, "prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total,
             "estimated_cost_usd": round(cost, 6)} for agent, prompt, completion, total, cost in rows]


def queue_counts(conn: sqlite3.Connection, agent_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """Tasks per state (every state, zeros included) and how many wait for a retry: RETRY_WAIT, or
    requeued after a failed attempt and not yet due."""
    scope, params = _agent_filter(agent_ids, "agent_id")
    counts = {state: 0 for state in STATES}
    counts.update(conn.execute(f"SELECT status, COUNT(*) FROM tasks WHERE 1 = 1{scope} GROUP BY status", params))
    (retry_waiting,) = conn.execute(
        "SELECT COUNT(*) FROM tasks WHERE (status = 'RETRY_WAIT' OR (status = 'QUEUED' AND attempt > 0 "
        f"AND available_at > ?)){scope}", [db_now(), *params]).fetchone()
    return {"counts": counts, "retry_waiting": retry_waiting}
