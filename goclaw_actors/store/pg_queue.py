"""The PostgreSQL queue backend: the store's operations on a shared database where several daemons claim, run
and reap the same queue (SPEC §3 on both backends). It keeps the SQLite backend's SQL (through PgConnection's
dialect) and replaces what must differ when other processes write concurrently: claims skip rows another
daemon holds (`FOR UPDATE SKIP LOCKED`), event ids come from the table's sequence in commit order, lease owners name the
daemon instance, start-up recovery only takes leases that expired, and idempotency keys are serialised."""

import uuid

from goclaw_actors.queue import states as st
from goclaw_actors.store.sqlite_attempts import CLAIMED_PAYLOAD, MAX_CLAIM_BATCH, claim_order
from goclaw_actors.store.sqlite_maintenance import REAP_BATCH
from goclaw_actors.store.sqlite_queue import SqliteQueue
from goclaw_actors.store.sqlite_transition import EVENT_INSERT
from goclaw_actors.store.task_row import TASK_COLUMNS, TaskRow
from goclaw_actors.timeutil import db_now

EVENTS_CHANNEL = "goclaw_events"  # NOTIFY channel: `<instance>:<event ids>` of every commit with events
NOTIFY_IDS = 400  # event ids per notification (NOTIFY payloads stay under 8000 bytes)
EVENTS_LOCK = 0x60C1A2  # advisory lock serialising the event-writing tail of commits (ids in commit order)

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


def notify_payloads(instance_id: str, event_ids: list[int]) -> list[str]:
    """`<instance>:<id>,<id>…` texts announcing `event_ids`, each within NOTIFY's payload limit."""
    payloads, chunk = [], []
    for event_id in event_ids:
        chunk.append(str(event_id))
        if len(chunk) >= NOTIFY_IDS:
            payloads.append(f"{instance_id}:{','.join(chunk)}")
            chunk = []
    if chunk:
        payloads.append(f"{instance_id}:{','.join(chunk)}")
    return payloads


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
        self._pending: list[tuple[dict, tuple]] = []  # events recorded, not yet written: (event, row)
        self._provisional = 1

    def new_lease_owner(self) -> str:
        """A lease owner for one claim, naming this daemon instance."""
        return f"{self.instance_id}:{uuid.uuid4()}"

    def record_event(self, *args, **kwargs):
        """As on SQLite, under a provisional id: the real one is taken at flush (see `flush_events`)."""
        self._next_event_id = self._provisional
        self._provisional += 1
        event = super().record_event(*args, **kwargs)
        self._pending.append((event, self._event_rows[-1]))
        return event

    def flush_events(self) -> None:
        """Write the pending event rows and NOTIFY their ids to the other daemons (delivered at COMMIT, and
        never if the transaction or the request's savepoint is rolled back).

        Event ids must follow commit order across daemons (clients resume from their last id), so they
        are taken from the sequence under a transaction-level advisory lock held until COMMIT: only this
        tail of each commit is serialised between daemons.
        """
        if not self._pending:
            return
        self.conn.execute("SELECT pg_advisory_xact_lock(?)", (EVENTS_LOCK,))
        ids = [row[0] for row in self.conn.execute(_EVENT_IDS, (len(self._pending),)).fetchall()]
        rows = [(event_id, *row[1:]) for event_id, (_, row) in zip(ids, self._pending)]
        self.conn.executemany(EVENT_INSERT, rows)
        for event_id, (event, _) in zip(ids, self._pending):
            event["event_id"] = event_id
        self._pending, self._event_rows = [], []
        for payload in notify_payloads(self.instance_id, ids):
            self.conn.execute("SELECT pg_notify(?, ?)", (EVENTS_CHANNEL, payload))

    def discard_events(self, mark: int) -> None:
        """Forget the events recorded after the first `mark` of `committed_events` (their request was rolled
        back)."""
        dropped = {id(event) for event in self.committed_events[mark:]}
        del self.committed_events[mark:]
        self._pending = [(event, row) for event, row in self._pending if id(event) not in dropped]
        self._event_rows = [row for _, row in self._pending]

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
        return self.recover_rows(self.conn.execute(_EXPIRED, (now, REAP_BATCH)).fetchall(), now)
