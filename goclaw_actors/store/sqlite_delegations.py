"""Delegations in SQLite (SPEC §7.2): the child task and its `delegations` row in one transaction, the row
completed in the transaction that ends the child, async results handed to one parent turn.

A delegation's child task carries the idempotency key of the tool call that made it, so a retried parent
finds its child again instead of making a second one.
"""

import json
import uuid
from typing import Any

from goclaw_actors.queue import states as st
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.store.task_row import TaskRow
from goclaw_actors.timeutil import db_now

DELEGATION_TASK = "delegation"
DELEGATION_SOURCE = "delegation"
SYNC, ASYNC, TEAM = "sync", "async", "team"  # who reads the result: the waiting tool, the next turn, a team lead
MODES = frozenset({SYNC, ASYNC, TEAM})
QUEUED, COMPLETED, FAILED, CANCELED = "queued", "completed", "failed", "canceled"
ENDED_AS = {st.SUCCEEDED: COMPLETED, st.DEAD_LETTER: FAILED, st.CANCELED: CANCELED}
DELEGATION_COLUMNS = ("id, task_id, parent_agent, child_agent, prompt, status, result, error_msg, created_at, "
                      "completed_at, injected, session_id, parent_task_id, mode")


def delegation_dict(row: tuple) -> dict[str, Any]:
    """A row selected with DELEGATION_COLUMNS as a dict."""
    return dict(zip([name.strip() for name in DELEGATION_COLUMNS.split(",")], row))


def reply_of(result: str | None) -> str | None:
    """The reply text of a stored task result (None when there is none)."""
    try:
        value = json.loads(result) if result else None
    except ValueError:
        return result
    reply = value.get("reply") if isinstance(value, dict) else None
    return reply if isinstance(reply, str) else None


class DelegationSql(SqliteTransitions):
    """Delegation writes in the caller's transaction; `enqueue` and `cancel` come from the composed SqliteQueue."""

    def start_delegation(self, parent_task_id: str, parent_agent: str, child_agent: str, session_id: str,
                         prompt: str, hop: int, mode: str, idempotency_key: str | None = None) -> dict[str, Any]:
        """Enqueue the child task (type `delegation`, `delegation_hop` = `hop`, `parent_task_id`) with its
        `delegations` row and one more delegation in `agent_collaboration_metrics`.

        Returns `{delegation_id, task_id, created}`; a known `idempotency_key` returns the delegation it made
        (`created` False). Raises AgentNotFound / QueueSaturated as `enqueue` does.
        """
        if mode not in MODES:
            raise ValueError(f"delegation mode must be one of {sorted(MODES)}")
        if idempotency_key:
            found = self.conn.execute(
                "SELECT d.id, d.task_id FROM tasks t JOIN delegations d ON d.task_id = t.id "
                "WHERE t.idempotency_key = ?", (idempotency_key,)).fetchone()
            if found:
                return {"delegation_id": found[0], "task_id": found[1], "created": False}
        delegation_id, now = str(uuid.uuid4()), db_now()
        payload = {"content": prompt, "source": DELEGATION_SOURCE, "delegation_hop": hop,
                   "delegation": {"id": delegation_id, "parent_agent": parent_agent, "mode": mode}}
        task_id = self.enqueue(session_id, payload, agent_id=child_agent, task_type=DELEGATION_TASK,
                               parent_task_id=parent_task_id, idempotency_key=idempotency_key)["task_id"]
        self.conn.execute(
            f"INSERT INTO delegations ({DELEGATION_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, NULL, 0, ?, ?, ?)",
            (delegation_id, task_id, parent_agent, child_agent, prompt, QUEUED, now, session_id, parent_task_id,
             mode))
        self.count_collaboration(parent_agent, child_agent, "delegations", now)
        return {"delegation_id": delegation_id, "task_id": task_id, "created": True}

    def count_collaboration(self, from_agent: str, to_agent: str, column: str, now: str) -> None:
        """One more delegation or message from one agent to another."""
        if column not in ("delegations", "messages"):
            raise ValueError(f"unknown collaboration counter {column!r}")
        self.conn.execute(
            f"INSERT INTO agent_collaboration_metrics (from_agent, to_agent, {column}, updated_at) VALUES (?, ?, 1, ?) "
            f"ON CONFLICT (from_agent, to_agent) DO UPDATE SET {column} = {column} + 1, "
            "updated_at = excluded.updated_at",
            (from_agent, to_agent, now))

    def task_ended(self, task: TaskRow, now: str) -> None:
        """A delegation's child ended: its row takes the outcome (an error recorded earlier, such as a
        timeout, is kept)."""
        super().task_ended(task, now)
        if task.type != DELEGATION_TASK:
            return
        self.conn.execute(
            "UPDATE delegations SET status = ?, result = ?, error_msg = COALESCE(error_msg, ?), completed_at = ? "
            "WHERE task_id = ? AND completed_at IS NULL",
            (ENDED_AS.get(task.status, FAILED), reply_of(task.result) if task.status == st.SUCCEEDED else None,
             None if task.status == st.SUCCEEDED else (task.error or task.status.lower()), now, task.id))

    def abort_delegation(self, delegation_id: str, error: str) -> bool:
        """Cancel a delegation's child (and its own delegations) recording `error` on the row; False when the
        child had already ended."""
        row = self.conn.execute("SELECT task_id FROM delegations WHERE id = ? AND completed_at IS NULL",
                                (delegation_id,)).fetchone()
        if row is None:
            return False
        self.conn.execute("UPDATE delegations SET error_msg = ? WHERE id = ?", (error, delegation_id))
        return bool(self.cancel(row[0]))

    def take_delegation_results(self, task_id: str, session_id: str, agent_id: str) -> list[dict[str, Any]]:
        """The ended async delegations of `agent_id` in `session_id` not yet handed to a turn, oldest first,
        now marked `injected` by `task_id` (a retried attempt of that task gets them again)."""
        rows = [delegation_dict(row) for row in self.conn.execute(
            f"SELECT {DELEGATION_COLUMNS} FROM delegations WHERE parent_agent = ? AND session_id = ? AND mode = ? "
            "AND completed_at IS NOT NULL AND (injected = 0 OR injected_task_id = ?) ORDER BY completed_at, id",
            (agent_id, session_id, ASYNC, task_id))]
        self.conn.executemany("UPDATE delegations SET injected = 1, injected_task_id = ? WHERE id = ? AND injected = 0",
                              [(task_id, row["id"]) for row in rows])
        return rows
