"""Conversation history writes of the brain: compaction of a (session, agent) history (SPEC §4.8)."""

from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.store.sqlite_tasks import estimate_tokens
from goclaw_actors.timeutil import db_now

SUMMARY_PREFIX = "Previous conversation summary: "


class HistorySql(SqliteTransitions):
    """Archive old messages and put the summary where they began."""

    def compact_history(self, session_id: str, agent_id: str, archive_ids: list[int], summary: str) -> int:
        """Archive `archive_ids` of (session, agent); the newest of them becomes the summary message.

        Reusing that row's id keeps the summary ordered before every message that was kept.
        Returns the number of messages archived.
        """
        ids = sorted({int(i) for i in archive_ids})
        if not ids:
            return 0
        now = db_now()
        keep_as_summary, archived = ids[-1], ids[:-1]
        text = summary if summary.startswith(SUMMARY_PREFIX) else SUMMARY_PREFIX + summary
        updated = self.conn.execute(
            "UPDATE messages SET role = 'system', content = ?, tokens = ?, tool_call_id = NULL, "
            "tool_calls_json = NULL WHERE id = ? AND session_id = ? AND agent_id = ? AND archived_at IS NULL",
            (text, estimate_tokens(text), keep_as_summary, session_id, agent_id)).rowcount
        for start in range(0, len(archived), 500):
            chunk = archived[start:start + 500]
            updated += self.conn.execute(
                f"UPDATE messages SET archived_at = ? WHERE session_id = ? AND agent_id = ? "
                f"AND archived_at IS NULL AND id IN ({','.join('?' * len(chunk))})",
                (now, session_id, agent_id, *chunk)).rowcount
        return updated
