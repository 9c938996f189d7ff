"""The PostgreSQL queue backend: the store's operations on a shared database where several daemons claim, run
and reap the same queue (SPEC §3 on both backends). It keeps the SQLite backend's SQL (through PgConnection's
dialect) and replaces what must differ when other processes write concurrently: claims skip rows another
daemon holds (`FOR UPDATE SKIP LOCKED`), event ids come from the table's sequence, lease owners name the
daemon instance, start-up recovery only takes leases that expired, and idempotency keys are serialised."""

import uuid

from goclaw_actors.queue import states as st
from goclaw_actors.store.sqlite_attempts import CLAIMED_PAYLOAD, MAX_CLAIM_BATCH, claim_order
from goclaw_actors.store.sqlite_maintenance import REAP_BATCH
from goclaw_actors.store.sqlite_queue import SqliteQueue
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now

EVENT_ID_BLOCK = 8  # event ids reserved from the sequence per round trip (unused ones leave gaps)

# The CTE is materialised once: as an IN (subquery) the planner may run the locking subquery again per row.
_CLAIM = (
    "WITH picked AS MATERIALIZED (SELECT id AS picked_id FROM tasks WHERE agent_id = ? AND status = 'QUEUED' "
    "AND available_at <= ? ORDER BY priority DESC, created_at ASC, id ASC LIMIT ? FOR UPDATE SKIP LOCKED) "
    "UPDATE tasks SET status = 'CLAIMED', lease_owner = ?, lease_expires_at = ?, updated_at = ? "
    f"FROM picked WHERE tasks.id = picked.picked_id RETURNING {TASK_COLUMNS}"
)
_EXPIRED = (
    f"SELECT {TASK_COLUMNS} FROM tasks WHERE lease_expires_at < ? AND status IN ('CLAIMED', 'RUNNING') "
    "ORDER BY lease_expires_at LIMIT ? FOR UPDATE SKIP LOCKED"
)
_EVENT_IDS = "SELECT nextval(pg_get_serial_sequence('task_events', 'event_id')) FROM generate_series(1, ?)"


def new_instance_id() -> str:
    """A fresh id for one daemon process; every lease it takes starts with it."""
    return uuid.uuid4().hex[:12]


class PostgresQueue(SqliteQueue):
    """All store write operations against PostgreSQL; methods run inside a transaction the caller opened.

    `instance_id` names the daemon process: lease owners are `<instance_id>:<uuid>`, so an operator (and
    `task_lease_owners`) can tell which daemon holds a task.
    """

    def __init__(self, conn, instance_id: str = ""):
        super().__init__(conn)
        self.instance_id = instance_id or new_instance_id()
        self._event_ids: list[int] = []

    def new_lease_owner(self) -> str:
        """A lease owner for one claim, naming this daemon instance."""
        return f"{self.instance_id}:{uuid.uuid4()}"

    def record_event(self, *args, **kwargs):
        """As on SQLite, with the id reserved from the sequence, so concurrent daemons never collide."""
        if not self._event_ids:
            rows = self.conn.execute(_EVENT_IDS, (EVENT_ID_BLOCK,)).fetchall()
            self._event_ids = [row[0] for row in reversed(rows)]
        self._next_event_id = self._event_ids.pop()
        return super().record_event(*args, **kwargs)

    def discard_events(self, mark: int) -> None:
        """Forget the events after `mark`; their ids stay unused (sequence gaps are harmless)."""
        if len(self.committed_events) > mark:
            first = self.committed_events[mark]["event_id"]
            del self.committed_events[mark:]
            self._event_rows = [row for row in self._event_rows if row[0] < first]

    def claim_many(self, agent_id: str, lease_seconds: float, limit: int = 1) -> list[TaskRow]:
        """Claim up to `limit` due QUEUED tasks of `agent_id`, skipping those another daemon is claiming."""
        now = db_now()
        rows = self.conn.execute(_CLAIM, (agent_id, now, max(1, min(limit, MAX_CLAIM_BATCH)), self.new_lease_owner(),
                                          db_now(lease_seconds), now)).fetchall()
        tasks = sorted((TaskRow.from_row(row) for row in rows), key=claim_order)
        for task in tasks:
            self.event(task, st.EV_CLAIMED, st.QUEUED, st.CLAIMED, CLAIMED_PAYLOAD, now)
        return tasks

    def enqueue(self, session_id, payload, *args, **kwargs):
        """As on SQLite; a task with an idempotency key is created once even when daemons race on the key."""
        key = kwargs.get("idempotency_key") if len(args) < 6 else args[5]
        if key:
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))
        return super().enqueue(session_id, payload, *args, **kwargs)

    def requeue_expired_leases(self) -> int:
        """Requeue up to REAP_BATCH tasks whose lease expired, whichever daemon held them (another daemon's
        reaper may be taking some at the same time: those are skipped, never requeued twice)."""
        now = db_now()
        rows = self.conn.execute(_EXPIRED, (now, REAP_BATCH)).fetchall()
        for row in rows:
            self.requeue_lost(TaskRow.from_row(row), st.EV_LEASE_EXPIRED, "lease_expired", now)
        return len(rows)

    def recover_interrupted(self) -> int:
        """At start-up: requeue the CLAIMED/RUNNING tasks whose lease expired, dropping their partial replies.

        Unlike SQLite, other daemons may be running their tasks right now: a live lease is theirs, and
        the reaper takes it if they die.
        """
        now = db_now()
        rows = self.conn.execute(_EXPIRED, (now, REAP_BATCH)).fetchall()
        for row in rows:
            task = TaskRow.from_row(row)
            self.conn.execute(
                "DELETE FROM messages WHERE session_id = ? AND agent_id = ? AND role = 'assistant' "
                "AND created_at > ?",
                (task.session_id, task.agent_id, task.updated_at),
            )
            self.requeue_lost(task, st.EV_RECOVERED, "startup_recovery", now)
        return len(rows)
