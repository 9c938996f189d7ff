"""Tool-call idempotency rows in SQLite (`tool_call_dedup`, SPEC §3.10)."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from goclaw_actors.errors import IdempotencyConflict
from goclaw_actors.queue.idempotency import tool_call_key
from goclaw_actors.store.sqlite_transition import SqliteTransitions
from goclaw_actors.timeutil import db_now


@dataclass(frozen=True)
class DedupDecision:
    """Whether a side-effecting tool call must run, or has a stored result to return instead."""

    key: str
    request_hash: str
    cached: bool
    result: Any = None


class DedupSql(SqliteTransitions):
    """Begin and finish side-effecting tool calls so a retried attempt never repeats a side effect."""

    def dedup_begin(self, task_id: str, tool_name: str, arguments: Any) -> DedupDecision:
        """Look up the call; a SUCCEEDED row with the same input returns its result, else the row becomes PENDING.

        Raises IdempotencyConflict when the key exists with a different request hash.
        """
        key, digest = tool_call_key(task_id, tool_name, arguments)
        now = db_now()
        row = self.conn.execute(
            "SELECT request_hash, side_effect_status, result_json FROM tool_call_dedup WHERE idempotency_key = ?",
            (key,),
        ).fetchone()
        if row is not None:
            if row[0] != digest:
                raise IdempotencyConflict()
            if row[1] == "SUCCEEDED":
                return DedupDecision(key, digest, True, json.loads(row[2]) if row[2] else None)
            self.conn.execute(
                "UPDATE tool_call_dedup SET side_effect_status = 'PENDING', updated_at = ? WHERE idempotency_key = ?",
                (now, key),
            )
        else:
            self.conn.execute(
                "INSERT INTO tool_call_dedup (idempotency_key, tool_name, request_hash, side_effect_status, "
                "created_at, updated_at) VALUES (?, ?, ?, 'PENDING', ?, ?)",
                (key, tool_name, digest, now, now),
            )
        return DedupDecision(key, digest, False)

    def dedup_finish(self, key: str, succeeded: bool, result: Any) -> None:
        """Record the outcome of a call begun with `dedup_begin`."""
        result_json = json.dumps(result, sort_keys=True, separators=(",", ":"))
        self.conn.execute(
            "UPDATE tool_call_dedup SET side_effect_status = ?, result_hash = ?, result_json = ?, updated_at = ? "
            "WHERE idempotency_key = ?",
            ("SUCCEEDED" if succeeded else "FAILED", hashlib.sha256(result_json.encode()).hexdigest(),
             result_json, db_now(), key),
        )
