"""Chat lines that are more than a turn (SPEC §7.1, §12): command tasks, lines that move a session's sticky
@mention target, and `/clear` of a conversation's history."""

from typing import Any

from goclaw_actors.queue.states import NO_HISTORY_TYPES
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now


class ChatLineSql(SqliteTransitions):
    """Mixed into SqliteQueue (which provides `enqueue`)."""

    def enqueue_line(self, session_id: str, payload: dict[str, Any], agent_id: str = "default",
                     task_type: str = "chat", sticky_agent_id: str | None = None,
                     **enqueue_args: Any) -> dict[str, Any]:
        """Enqueue a chat line for `agent_id`: a turn (its text joins the history) or a command task (it does
        not); with `sticky_agent_id`, that agent becomes the session's target for later lines, in the same
        transaction. Returns enqueue's `{task_id, created}`."""
        result = self.enqueue(session_id, payload, agent_id=agent_id, task_type=task_type,
                              append_message=task_type not in NO_HISTORY_TYPES, **enqueue_args)
        if sticky_agent_id and result["created"]:
            self.conn.execute("UPDATE sessions SET sticky_agent_id = ? WHERE id = ?", (sticky_agent_id, session_id))
        return result

    def clear_history(self, session_id: str, agent_id: str) -> int:
        """Archive the (session, agent) conversation (`/clear`): later turns start afresh; returns how many
        messages were archived."""
        return self.conn.execute(
            "UPDATE messages SET archived_at = ? WHERE session_id = ? AND agent_id = ? AND archived_at IS NULL",
            (db_now(), session_id, agent_id)).rowcount
