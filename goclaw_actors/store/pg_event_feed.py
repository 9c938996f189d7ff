"""The event bus fed across daemons (PostgreSQL backend): every commit NOTIFYs the ids of its task events;
the other daemons read those rows back and publish them on their own bus, so a client on daemon A sees the
events of a task daemon B runs, and an idle lane wakes when another daemon enqueues for its agent."""

from typing import Any

from goclaw_actors.store.pg_queue import EVENTS_CHANNEL

_COLUMNS = ("event_id", "task_id", "session_id", "agent_id", "run_id", "trace_id", "event_type", "state_from",
            "state_to", "payload_json", "created_at")
_BY_ID = (
    "SELECT e.event_id, e.task_id, e.session_id, COALESCE(t.agent_id, 'default'), e.run_id, e.trace_id, "
    "e.event_type, e.state_from, e.state_to, e.payload_json, e.created_at "
    "FROM task_events e LEFT JOIN tasks t ON t.id = e.task_id WHERE e.event_id = ANY(?) ORDER BY e.event_id"
)


def foreign_event_ids(payload: str, own_instance: str) -> list[int]:
    """The event ids a notification announces, or [] when this daemon sent it (its bus has them already) or
    the payload is not ours."""
    instance, _, ids = payload.partition(":")
    if instance == own_instance or not ids:
        return []
    try:
        return [int(text) for text in ids.split(",")]
    except ValueError:
        return []


def events_by_id(conn, event_ids: list[int]) -> list[dict[str, Any]]:
    """The committed events with `event_ids`, in id order, shaped like the store's own published events."""
    if not event_ids:
        return []
    return [dict(zip(_COLUMNS, row)) for row in conn.execute(_BY_ID, (event_ids,)).fetchall()]


class EventFeed:
    """A LISTEN connection to the shared database: `next_events(timeout)` returns the other daemons' events
    that arrived meanwhile (may be [])."""

    def __init__(self, dsn: str, instance_id: str, connect_timeout: float = 10):
        from goclaw_actors.store.pg_connection import PgConnection

        self.instance_id = instance_id
        self.conn = PgConnection(dsn, f"goclaw-events:{instance_id}", connect_timeout)
        self.conn.execute(f"LISTEN {EVENTS_CHANNEL}")

    def next_events(self, timeout: float) -> list[dict[str, Any]]:
        """Wait up to `timeout` seconds for notifications; return the events they announce."""
        ids: list[int] = []
        for notify in self.conn.raw.notifies(timeout=timeout, stop_after=1):
            ids.extend(foreign_event_ids(notify.payload, self.instance_id))
        for notify in self.conn.raw.notifies(timeout=0):  # the rest of what has arrived, without waiting
            ids.extend(foreign_event_ids(notify.payload, self.instance_id))
        return events_by_id(self.conn, ids)

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()
