"""Tool-call dedup: a side-effecting tool call runs at most once per task and arguments."""

from typing import Any, Protocol

from goclaw_actors.store.sqlite_dedup import DedupDecision


class DedupApi(Protocol):
    """Tool-call dedup: a side-effecting tool call runs at most once per task and arguments."""

    def dedup_begin(self, task_id: str, tool_name: str, arguments: Any) -> DedupDecision:
        """Look up the call; a SUCCEEDED row with the same input returns its result, else the row becomes PENDING.

        Raises IdempotencyConflict when the key exists with a different request hash."""
        ...

    def dedup_finish(self, key: str, succeeded: bool, result: Any) -> None:
        """Record the outcome of a call begun with `dedup_begin`."""
        ...
