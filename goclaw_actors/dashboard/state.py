"""Everything the dashboard shows, updated from the daemon's answers and notifications.

Plain data and small update methods; every change bumps `revision` so the screen knows to redraw.
`listeners` hear chat output as it happens (the line mode prints it).
"""

import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

ACTIVITY_SIZE = 500
EVENTS_SIZE = 200
DEFAULT_AGENT = "default"
# Task events shown in the chat as `[task <label>] id=<id> status=<state>`; others are left out there.
STATUS_LABELS = {"task.enqueued": "queued", "task.running": "running", "task.retry_wait": "retry",
                 "task.requeued": "requeued", "task.succeeded": "succeeded", "task.failed": "failed",
                 "task.dead_letter": "dead letter", "task.canceled": "canceled",
                 "task.lease_expired_requeued": "requeued", "task.recovered": "recovered"}


@dataclass
class ChatEntry:
    """One item of the chat: `user`, `reply` (grows while streaming), `status`, `info` or `error`."""

    kind: str
    text: str
    agent: str = ""
    done: bool = True


Listener = Callable[[ChatEntry, str], None]  # (entry, text just added: the whole text or one chunk)


def status_line(event: dict[str, Any]) -> str | None:
    """`[task queued] id=<id> status=QUEUED` for a task event worth a line in the chat, else None."""
    label = STATUS_LABELS.get(event.get("event_type", ""))
    if label is None:
        return None
    line = f"[task {label}] id={event.get('task_id', '')} status={event.get('state_to', '')}"
    reason = _payload(event).get("reason_code")
    return f"{line} reason={reason}" if reason and label in ("retry", "failed", "dead letter") else line


def _payload(event: dict[str, Any]) -> dict[str, Any]:
    try:
        payload = json.loads(event.get("payload") or "{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def event_summary(event: dict[str, Any]) -> str:
    """One line for the event feeds: time, task, agent and the event (named after the task's new state)."""
    clock = (event.get("created_at") or "")[11:19]
    agent = event.get("agent_id") or ""
    kind = (event.get("event_type") or "").removeprefix("task.")
    return " ".join(part for part in (clock, (event.get("task_id") or "")[:8], "@" + agent if agent else "", kind)
                    if part)


@dataclass
class DashboardState:
    """The screen's model."""

    bind_addr: str
    version: str = ""
    error: str = ""  # why the daemon cannot be reached right now ("" when it can)
    agents: list[dict[str, Any]] = field(default_factory=list)
    active_agent: str = DEFAULT_AGENT
    # The dashboard's chat session (its conversations with every agent, kept across runs).
    session: str = str(uuid.uuid5(uuid.NAMESPACE_URL, "goclaw:dashboard"))
    queue: dict[str, int] = field(default_factory=dict)
    retry_waiting: int = 0
    tasks: list[dict[str, Any]] = field(default_factory=list)  # recent tasks, newest first
    supervision: dict[str, Any] | None = None
    events: deque = field(default_factory=lambda: deque(maxlen=EVENTS_SIZE))
    last_event_id: int = 0
    usage: dict[str, Any] = field(default_factory=dict)
    chat: list[ChatEntry] = field(default_factory=list)
    activity: deque = field(default_factory=lambda: deque(maxlen=ACTIVITY_SIZE))
    approvals: dict[str, dict[str, Any]] = field(default_factory=dict)  # pending, oldest first
    notice: str = ""
    view: str = "chat"  # or "activity"
    scroll: int = 0  # lines scrolled back from the bottom of the chat / activity view
    revision: int = 0
    quit_requested: bool = False
    listeners: list[Listener] = field(default_factory=list)

    def touch(self) -> None:
        """Mark the state changed."""
        self.revision += 1

    # --- agents -----------------------------------------------------------------------------

    def agent_ids(self) -> list[str]:
        """The agents, `default` first then by id (as the daemon lists them)."""
        return [agent["agent_id"] for agent in self.agents]

    def agent(self, agent_id: str) -> dict[str, Any] | None:
        """The entry of `agent_id`, if it is known."""
        return next((agent for agent in self.agents if agent["agent_id"] == agent_id), None)

    def set_agents(self, agents: list[dict[str, Any]]) -> None:
        """Replace the agent list (the active agent stays: a list read a moment ago may not hold it yet)."""
        if agents != self.agents:
            self.agents = agents
            self.touch()

    # --- chat -------------------------------------------------------------------------------

    def add_chat(self, kind: str, text: str, agent: str = "", done: bool = True) -> ChatEntry:
        """Append a chat entry (and tell the listeners)."""
        entry = ChatEntry(kind, text, agent, done)
        self.chat.append(entry)
        self.scroll = 0
        self.touch()
        for listener in self.listeners:
            listener(entry, text)
        return entry

    def add_lines(self, kind: str, lines: list[str]) -> None:
        """Append several lines as one entry."""
        self.add_chat(kind, "\n".join(lines))

    def stream(self, entry: ChatEntry, chunk: str) -> None:
        """Append a chunk to a streaming reply."""
        entry.text += chunk
        self.touch()
        for listener in self.listeners:
            listener(entry, chunk)

    def finish(self, entry: ChatEntry) -> None:
        """A streaming reply is complete."""
        entry.done = True
        self.touch()
        for listener in self.listeners:
            listener(entry, "")

    def clear_chat(self) -> None:
        """Empty the chat pane."""
        self.chat.clear()
        self.scroll = 0
        self.touch()

    # --- events, tasks, approvals -----------------------------------------------------------

    def note(self, text: str) -> None:
        """Add a line to the activity feed."""
        self.activity.append(text)
        self.touch()

    def apply_session_event(self, event: dict[str, Any]) -> None:
        """A live event of one of this dashboard's chat sessions: a status line and the task's row."""
        line = status_line(event)
        if line is not None:
            self.add_chat("status", line)
        for task in self.tasks:
            if task["id"] == event.get("task_id"):
                task["status"] = event.get("state_to") or task["status"]
                self.touch()
                return
        if event.get("event_type") == "task.enqueued":  # its agent comes with the next refresh
            self.tasks.insert(0, {"id": event["task_id"], "agent_id": "", "status": "QUEUED", "attempt": 0,
                                  "type": "chat"})
            self.touch()

    def apply_events(self, events: list[dict[str, Any]]) -> None:
        """Newly committed task events from any session (ascending), for the events pane and the feed."""
        for event in events:
            if event["event_id"] <= self.last_event_id:
                continue
            self.last_event_id = event["event_id"]
            self.events.append(event)
            self.note(event_summary(event))

    def approval_required(self, item: dict[str, Any]) -> None:
        """A pending approval to ask about."""
        if item.get("status", "PENDING") == "PENDING" and item.get("approval_id"):
            self.approvals[item["approval_id"]] = item
            self.note(f"approval required: {item.get('action', '')} {item.get('details', '')}".rstrip())

    def approval_updated(self, params: dict[str, Any]) -> None:
        """An approval was decided (here, elsewhere, or by expiry)."""
        item = self.approvals.pop(params.get("approval_id", ""), None)
        if item is not None:
            self.note(f"approval {params.get('status', '').lower()}: {item.get('action', '')}")
        self.touch()

    def pending_approval(self) -> dict[str, Any] | None:
        """The oldest approval waiting for an answer."""
        return next(iter(self.approvals.values()), None)
