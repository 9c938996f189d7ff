"""What a typed line does: the dashboard's own commands here, everything else (messages, @mentions, slash
commands) sent to the daemon as a chat line through the durable queue, the answer shown in the chat pane;
and what the daemon's notifications change.

    controller = Controller(api, state)
    controller.handle("@coder write a haiku")   # blocks until the task is terminal; the UI spawns it

The daemon decides where a line goes (SPEC §7.1): the dashboard names its active agent with each line, and
follows the daemon when a line went elsewhere (an @mention), so that agent becomes the active one.
"""

import json
from typing import Any, Callable

import gevent

from goclaw_actors.chat_commands.routing import route_line
from goclaw_actors.dashboard.acp_socket import AcpError
from goclaw_actors.dashboard.commands import dashboard_command, dashboard_help_lines, is_command
from goclaw_actors.dashboard.daemon_api import ApiError, DaemonApi
from goclaw_actors.dashboard.state import DashboardState
from goclaw_actors.queue.states import COMMAND

HISTORY_LIMIT = 100
TERMINAL_OK = "SUCCEEDED"


class Controller:
    """Turns input into daemon calls and chat entries; `handle` runs one line to completion."""

    def __init__(self, api: DaemonApi, state: DashboardState, spawn: Callable[..., Any] = gevent.spawn):
        self.api = api
        self.state = state
        self.spawn = spawn
        self._history_loaded: set[str] = set()

    # --- input ------------------------------------------------------------------------------

    def submit(self, line: str) -> None:
        """Handle `line` in its own green thread (the screen keeps running)."""
        self.spawn(self.handle, line)

    def handle(self, line: str) -> None:
        """Run one typed line; errors become error lines in the chat."""
        line = line.strip()
        if line:
            self.handle_call(self._dispatch, line)

    def handle_call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)`; a failed daemon call becomes an error line in the chat."""
        try:
            fn(*args)
        except (AcpError, ApiError) as exc:
            self.state.add_chat("error", str(exc))

    def _dispatch(self, line: str) -> None:
        own = dashboard_command(line)
        if own == "quit":
            self.state.quit_requested = True
            self.state.touch()
        elif own == "session":
            self.state.add_chat("info", f"Session: {self.state.session}")
        else:
            task = self.chat(self.state.active_agent, line)
            if task.get("status") == TERMINAL_OK and is_command(line, "clear"):
                self.state.clear_chat()
                self.state.add_chat("info", _reply(task))
            if is_command(line, "help"):
                self.state.add_lines("info", dashboard_help_lines())

    # --- chat -------------------------------------------------------------------------------

    def chat(self, agent: str, text: str) -> dict[str, Any]:
        """One line for `agent` through `agent.chat.stream`: the daemon routes it (an @mention goes to another
        agent, which then becomes the active one) and answers it; a turn's reply streams into the chat, a
        command's answer is shown when it is complete; task status lines come from the session's events.
        Returns the task (`GET /api/tasks/{id}`)."""
        route = route_line(text, agent, self.state.agent_ids)  # how the daemon will take it, for the labels
        if route.command and text.lstrip().startswith("@"):  # maybe an agent made since the last refresh
            self.refresh_agents()
            route = route_line(text, agent, self.state.agent_ids)
        self.state.add_chat("user", text, route.agent)
        self.api.subscribe_session(self.state.session)
        reply, answer = None, []

        def on_chunk(chunk: str) -> None:
            nonlocal reply
            if route.command:
                answer.append(chunk)
                return
            if reply is None:
                reply = self.state.add_chat("reply", "", route.agent, done=False)
            self.state.stream(reply, chunk)

        try:
            task_id = self.api.chat_stream(agent, self.state.session, text, on_chunk)
        finally:
            if reply is not None:
                self.state.finish(reply)
        task = self.api.get(f"/api/tasks/{task_id}")
        if task.get("status") != TERMINAL_OK:
            self.state.add_chat("error", f"task {task_id} ended {task.get('status')}: {task.get('error') or 'no reply'}")
        elif route.command:  # shown as the daemon took it (a turn when the agent list was out of date)
            kind = "info" if task.get("type") == COMMAND else "reply"
            self.state.add_chat(kind, "".join(answer) or _reply(task), task.get("agent_id") or route.agent)
        if task.get("agent_id") and task["agent_id"] != self.state.active_agent:
            self.switch_agent(task["agent_id"])
        return task

    def switch_agent(self, agent: str) -> None:
        """Make `agent` the target of plain lines, showing its earlier conversation the first time."""
        self.state.active_agent = agent
        self.state.touch()
        self.load_history(agent)

    def load_history(self, agent: str) -> None:
        """Show the latest messages of this dashboard's conversation with `agent` (once per agent)."""
        if agent in self._history_loaded:
            return
        self._history_loaded.add(agent)
        items = self.api.acp("session.history", {"session_id": self.state.session, "limit": HISTORY_LIMIT})["items"]
        turns = [item for item in items if item.get("agent_id") == agent and item["role"] in ("user", "assistant")
                 and item.get("content")]
        if not turns:
            return
        self.state.add_chat("status", f"— earlier with @{agent} (session {self.state.session[:8]}) —")
        for item in turns:
            self.state.add_chat("user" if item["role"] == "user" else "reply", item["content"], agent)

    # --- approvals and agents -----------------------------------------------------------------

    def answer_approval(self, approve: bool) -> None:
        """Approve or deny the oldest pending approval (`approval.respond`)."""
        item = self.state.pending_approval()
        if item is None:
            return
        decision = "approve" if approve else "deny"
        try:
            result = self.api.acp("approval.respond", {"approval_id": item["approval_id"], "decision": decision})
        except AcpError as exc:
            self.state.approval_updated({"approval_id": item["approval_id"], "status": "gone"})
            self.state.add_chat("error", f"approval {item['approval_id'][:8]}: {exc}")
            return
        self.state.approval_updated(result)
        self.state.add_chat("info", f"[approval] {item.get('action', '')}: {result['status']}")

    def create_agent(self, params: dict[str, str]) -> None:
        """`agent.create` with the form's values, then switch to the new agent."""
        result = self.api.acp("agent.create", params)
        self.state.add_chat("info", f"Created agent @{result['agent_id']}")
        self.refresh_agents()
        self.switch_agent(result["agent_id"])

    def refresh_agents(self) -> None:
        """Reload the agent list now (the poller does it every second too)."""
        self.state.set_agents(self.api.acp("agent.list")["agents"])

    def on_notification(self, method: str, params: dict[str, Any]) -> None:
        """A notification of the control socket: session events, approvals, backpressure."""
        if method == "session.event":
            self.state.apply_session_event(params)
        elif method == "approval.required":
            self.state.approval_required(params)
            details = f" {params['details']}" if params.get("details") else ""
            self.state.add_chat("info", f"[approval required] {params.get('action', '')}{details} — y/n")
        elif method == "approval.updated":
            self.state.approval_updated(params)
        elif method == "system.backpressure":
            self.state.note(f"event stream of session {params.get('session_id', '')[:8]} reset: {params.get('reason')}")


def _reply(task: dict[str, Any]) -> str:
    """The reply text of a finished task ("" without one)."""
    try:
        result = json.loads(task.get("result") or "{}")
    except ValueError:
        return ""
    return str(result.get("reply") or "") if isinstance(result, dict) else ""
