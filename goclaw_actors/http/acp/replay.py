"""`session.events.subscribe`: replay a session's committed events, then push new ones live (SPEC §9.3).

The live subscription is opened first, the database read second, so every event is either in the
read or arrives on the subscription (or both): live events are sent only when newer than the last one
sent, which leaves neither a gap nor a duplicate between replay and live.

A key scoped to some agents may subscribe only to a session no other agent has data in, and is sent
only the live events of its agents' tasks.
"""

from typing import Any

from goclaw_actors.http.acp.dispatcher import Call, Method
from goclaw_actors.http.acp.errors import ConnectionGone, invalid
from goclaw_actors.http.acp.methods_session import required_session
from goclaw_actors.http.acp.params import check_session_scope, integer
from goclaw_actors.http.acp.wire import session_event
from goclaw_actors.http.context import Watch
from goclaw_actors.http.route_access import Scope
from goclaw_actors.http.websocket import CLOSE_POLICY
from goclaw_actors.store.api_reads import task_agent_id
from goclaw_actors.store.event_reads import replay_window

DEFAULT_REPLAY_MAX_EVENTS = 1000
BACKPRESSURE = "system.backpressure"
EVENT = "session.event"


def subscribe(call: Call) -> dict[str, Any]:
    """Replay events after `from_event_id`, answer `{subscribed, replayed, latest_event_id}`, then go live.

    1000 `replay_gap` when `from_event_id` lies before the oldest retained event; more than
    `gateway.replay_max_events` events ⇒ `system.backpressure` and close 1008, without an answer.
    """
    session_id = required_session(call)
    check_session_scope(call, session_id)
    after = max(0, integer(call.params, "from_event_id", 0))
    window_size = int(call.ctx.config().get("gateway.replay_max_events", DEFAULT_REPLAY_MAX_EVENTS))
    watch = call.ctx.watch_session(session_id)
    try:
        window = call.ctx.read(replay_window, session_id, after, window_size)
        if after > 0 and window.min_event_id > 0 and after < window.min_event_id - 1:
            raise invalid("replay_gap")
        if window.count > window_size:
            _backpressure(call, session_id, "replay_window_too_large", window_size, window.count)
        last_sent = after
        for event in window.events:
            call.notify(EVENT, session_event(event))
            last_sent = event["event_id"]
    except BaseException:
        watch.close()
        raise
    replayed = len(window.events)
    call.after_response.append(lambda: call.conn.subscribe(
        session_id, watch, _live, call, session_id, watch, last_sent, window_size, replayed))
    return {"subscribed": True, "replayed": replayed, "latest_event_id": window.max_event_id}


def _live(call: Call, session_id: str, watch: Watch, last_sent: int, window_size: int, sent: int) -> None:
    """Push the session's newly committed events in order, skipping those already sent.

    Only this loop takes from the queue, so a queue that was full before this take means the bus may
    have dropped this socket's events: the client is told and closed, to resubscribe from its last id.
    """
    queue = watch.queue
    visible = _visibility(call)
    while True:
        event = queue.get()
        if queue.maxsize and queue.qsize() >= queue.maxsize - 1:
            _backpressure(call, session_id, "subscriber_overflow", window_size, sent)
        if event["event_id"] <= last_sent:
            continue
        last_sent = event["event_id"]
        if visible(event["task_id"]):
            call.notify(EVENT, session_event(event))
            sent += 1


def _visibility(call: Call):
    """Whether the caller may see the events of a task: always, or (scoped key) when its agent is allowed."""
    principal = call.conn.principal
    if principal.agent_scope is None:
        return lambda task_id: True
    agents: dict[str, str | None] = {}

    def visible(task_id: str) -> bool:
        if task_id not in agents:
            agents[task_id] = call.ctx.read(task_agent_id, task_id)
        return agents[task_id] is not None and principal.allows(agents[task_id])

    return visible


def _backpressure(call: Call, session_id: str, reason: str, window_size: int, count: int) -> None:
    call.notify(BACKPRESSURE, {"session_id": session_id, "reason": reason, "max_events": window_size,
                               "replayed": count})
    call.conn.close(CLOSE_POLICY, "backpressure")
    raise ConnectionGone()


def methods() -> dict[str, Method]:
    """The replay method by name."""
    return {"session.events.subscribe": Method(subscribe, Scope.AGENTS)}
