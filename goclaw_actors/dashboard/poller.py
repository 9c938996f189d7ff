"""Keeps the dashboard's panes current: one refresh reads the daemon's state over REST and ACP.

    refresh(api, state)                      # once
    gevent.spawn(poll, api, state, stop)     # every second until `stop` is set
"""

import gevent
import gevent.event

from goclaw_actors.dashboard.acp_socket import AcpError
from goclaw_actors.dashboard.daemon_api import ApiError, DaemonApi
from goclaw_actors.dashboard.state import DashboardState

POLL_SECONDS = 1.0
RECENT_TASKS = 20
FIRST_EVENTS = 50  # events shown when the dashboard opens
EVENTS_PER_POLL = 200


def refresh(api: DaemonApi, state: DashboardState) -> None:
    """Read everything the panes show; on failure `state.error` says why (and the last values stay)."""
    try:
        health = api.get("/healthz")
        status = api.acp("system.status")
        queue = api.get("/api/queue")
        tasks = api.get("/api/tasks", limit=RECENT_TASKS)["tasks"]
        supervision = api.get("/api/supervision")
        usage = api.get("/api/usage")
        if state.last_event_id:
            events = api.get("/api/events", after_id=state.last_event_id, limit=EVENTS_PER_POLL)["events"]
        else:
            events = api.get("/api/events", limit=FIRST_EVENTS)["events"]
    except (AcpError, ApiError) as exc:
        if state.error != str(exc):
            state.error = str(exc)
            state.touch()
        return
    state.error = ""
    state.version = health.get("version", "")
    state.set_agents(status["agents"])
    state.queue, state.retry_waiting = queue["counts"], queue["retry_waiting"]
    state.tasks = [{key: task.get(key) for key in ("id", "agent_id", "status", "attempt", "type")} for task in tasks]
    state.supervision = supervision
    state.usage = usage
    state.apply_events(events)
    state.touch()


def load_approvals(api: DaemonApi, state: DashboardState) -> None:
    """The approvals already pending when the dashboard opens."""
    for item in api.acp("approval.list")["items"]:
        state.approval_required(item)


def poll(api: DaemonApi, state: DashboardState, stop: gevent.event.Event, seconds: float = POLL_SECONDS) -> None:
    """Refresh every `seconds` until `stop` is set."""
    while not stop.is_set():
        refresh(api, state)
        stop.wait(seconds)
