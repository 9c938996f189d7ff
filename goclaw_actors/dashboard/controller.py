"""What a typed line does: a chat turn through the durable queue, an @mention, or a slash command, each
answered in the chat pane; and what the daemon's notifications change.

    controller = Controller(api, state)
    controller.handle("@coder write a haiku")   # blocks until the task is terminal; the UI spawns it
"""

from typing import Any, Callable

import gevent

from goclaw_actors.brain.provider_selection import PROVIDER_NAMES
from goclaw_actors.dashboard.acp_socket import AcpError
from goclaw_actors.dashboard.commands import (
    COMMANDS, DAEMON, Command, help_lines, parse_command, unknown_command_text,
)
from goclaw_actors.dashboard.daemon_api import ApiError, DaemonApi
from goclaw_actors.dashboard.mentions import route_mention
from goclaw_actors.dashboard.state import DEFAULT_AGENT, DashboardState

HISTORY_LIMIT = 100
TERMINAL_OK = "SUCCEEDED"


class Controller:
    """Turns input into daemon calls and chat entries; `handle` runs one line to completion."""

    def __init__(self, api: DaemonApi, state: DashboardState, spawn: Callable[..., Any] = gevent.spawn):
        self.api = api
        self.state = state
        self.spawn = spawn
        self._history_loaded: set[str] = set()
        self._commands: dict[str, Callable[[Command], None]] = {
            "help": self._help, "quit": self._quit, "allow": self._allow, "session": self._session,
            "agent": self._agent, "skills": self._skills, "config": self._config, "model": self._model,
            "plan": self._plan, "plans": self._plans, "clear": self._clear,
        }

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
        command = parse_command(line)
        if command is not None:
            if not command.known:
                self.state.add_chat("error", unknown_command_text(command))
            elif command.handler == DAEMON:
                self.chat(self.state.active_agent, line)
            else:
                self._commands[command.name](command)
            return
        mention = route_mention(line, self.state.agent_ids())
        if mention is None:
            self.chat(self.state.active_agent, line)
        elif mention.error:
            self.state.add_chat("error", mention.error)
        else:
            self.switch_agent(mention.agent)
            if mention.text:
                self.chat(mention.agent, mention.text)

    # --- chat -------------------------------------------------------------------------------

    def chat(self, agent: str, text: str) -> str | None:
        """One turn with `agent` through `agent.chat.stream`: the reply streams into the chat, task status
        lines come from the session's events; returns the task id."""
        session = self.state.session_for(agent)
        self.state.add_chat("user", text, agent)
        self.api.subscribe_session(session)
        reply = None

        def on_chunk(chunk: str) -> None:
            nonlocal reply
            if reply is None:
                reply = self.state.add_chat("reply", "", agent, done=False)
            self.state.stream(reply, chunk)

        try:
            task_id = self.api.chat_stream(agent, session, text, on_chunk)
        finally:
            if reply is not None:
                self.state.finish(reply)
        task = self.api.get(f"/api/tasks/{task_id}")
        if task.get("status") != TERMINAL_OK:
            self.state.add_chat("error", f"task {task_id} ended {task.get('status')}: {task.get('error') or 'no reply'}")
        return task_id

    def switch_agent(self, agent: str) -> None:
        """Make `agent` the target of plain lines, showing its earlier conversation the first time."""
        self.state.active_agent = agent
        self.state.touch()
        self.load_history(agent)

    def load_history(self, agent: str) -> None:
        """Show the latest messages of this dashboard's session with `agent` (once per session)."""
        session = self.state.session_for(agent)
        if session in self._history_loaded:
            return
        self._history_loaded.add(session)
        items = self.api.acp("session.history", {"session_id": session, "limit": HISTORY_LIMIT})["items"]
        turns = [item for item in items if item["role"] in ("user", "assistant") and item.get("content")]
        if not turns:
            return
        self.state.add_chat("status", f"— earlier with @{agent} (session {session[:8]}) —")
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

    # --- commands -----------------------------------------------------------------------------

    def _info(self, *lines: str) -> None:
        self.state.add_lines("info", list(lines))

    def _usage(self, command: Command) -> None:
        self.state.add_chat("error", f"usage: {COMMANDS[command.name].usage}")

    def _help(self, command: Command) -> None:
        self._info(*help_lines())

    def _quit(self, command: Command) -> None:
        self.state.quit_requested = True
        self.state.touch()

    def _allow(self, command: Command) -> None:
        if len(command.args) != 1:
            return self._usage(command)
        result = self.api.acp("policy.domain.add", {"domain": command.args[0]})
        self._info(f"Allowed domain: {result['domain']}")

    def _session(self, command: Command) -> None:
        agent = self.state.active_agent
        self._info(f"Session with @{agent}: {self.state.session_for(agent)}")

    def _agent(self, command: Command) -> None:
        args = command.args
        if not args or args[0].lower() == "list":
            agents = self.api.acp("agent.list")["agents"]
            self.state.set_agents(agents)
            self._info("Agents:", *(f"{'▸' if a['agent_id'] == self.state.active_agent else ' '} @{a['agent_id']}"
                                    f"  {a.get('display_name', '')}  {a.get('provider') or 'auto'}"
                                    f"{'/' + a['model'] if a.get('model') else ''}  workers {a.get('worker_count')}"
                                    f"  active {a.get('active_tasks', 0)}" for a in agents))
        elif args[0].lower() == "new":
            if len(args) < 2:
                return self._usage(command)
            params = {"agent_id": args[1]}
            soul = command.rest_after(2)
            if soul:
                params["soul"] = soul
            self.create_agent(params)
        elif args[0].lower() == "remove":
            if len(args) != 2:
                return self._usage(command)
            self.api.acp("agent.remove", {"agent_id": args[1]})
            self._info(f"Removed agent @{args[1]}")
            self.refresh_agents()
            if self.state.active_agent == args[1]:
                self.switch_agent(DEFAULT_AGENT)
        elif len(args) == 1:
            self._switch_by_name(args[0].lstrip("@"))
        else:
            self._usage(command)

    def _switch_by_name(self, agent: str) -> None:
        mention = route_mention(f"@{agent}", self.state.agent_ids())
        if mention is None or mention.error:
            self.state.add_chat("error", mention.error if mention else f"not an agent id: {agent}")
            return
        self.switch_agent(agent)
        self._info(f"Now talking to @{agent}")

    def _skills(self, command: Command) -> None:
        if command.args and command.args[0].lower() == "enable":
            if len(command.args) != 2:
                return self._usage(command)
            result = self.api.acp("skill.enable", {"name": command.args[1]})
            return self._info(f"Skill {result['name']}: {result['state']}")
        if command.args:
            return self._usage(command)
        skills = self.api.get("/api/skills")["skills"]
        if not skills:
            return self._info("No skills installed.")
        self._info("Skills:", *(skill_line(skill) for skill in skills))

    def _config(self, command: Command) -> None:
        args = command.args
        if args == ["list"]:
            keys = self.api.acp("config.list")["api_keys"]
            return self._info(*(["API keys:"] + [f"  {name}: {value}" for name, value in keys.items()]
                                if keys else ["No API keys in config.yaml."]))
        if len(args) >= 3 and args[0] == "set":
            result = self.api.acp("config.set", {"key": args[1], "value": command.rest_after(2)})
            return self._info(f"Saved api_keys.{result['key']}")
        self._usage(command)

    def _model(self, command: Command) -> None:
        args = command.args
        agent = self.state.agent(self.state.active_agent) or {}
        if not args:
            model = "/".join(part for part in (agent.get("provider"), agent.get("model")) if part) or "auto"
            return self._info(f"Model of @{self.state.active_agent}: {model}")
        if args == ["list"]:
            return self._info("Providers: " + ", ".join(PROVIDER_NAMES),
                              *(f"  @{a['agent_id']}: {a.get('provider') or 'auto'}"
                                f"{'/' + a['model'] if a.get('model') else ''}" for a in self.state.agents))
        if len(args) == 2 and args[0] == "set":
            provider, _, model = args[1].partition("/")
            result = self.api.acp("config.model.set", {"provider": provider, "model": model})
            return self._info(f"Model set to {result['provider']}/{result['model']} (applied live)")
        self._usage(command)

    def _plan(self, command: Command) -> None:
        if len(command.args) != 1:
            return self._usage(command)
        session = self.state.session_for(self.state.active_agent)
        self.api.subscribe_session(session)
        result = self.api.acp("plan.execute", {"name": command.args[0], "session_id": session})
        self._info(f"Plan {result['plan_name']} started: execution {result['execution_id']}")

    def _plans(self, command: Command) -> None:
        plans = self.api.acp("plan.list")["plans"]
        if not plans:
            return self._info("No plans configured.")
        self._info("Plans:", *(f"  {p['name']}  {p['step_count']} steps  "
                               f"{', '.join('@' + a for a in p['agent_ids'])}" for p in plans))

    def _clear(self, command: Command) -> None:
        self.state.clear_chat()
        session = self.state.new_session(self.state.active_agent)
        self._history_loaded.add(session)
        self._info(f"New session with @{self.state.active_agent}: {session}")


def skill_line(item: dict) -> str:
    """One skill of /api/skills (SPEC §8.2) as the dashboard lists it: name, type, state, what is missing."""
    info = item.get("Info") or {}
    state = item.get("State", "")
    shown = state if item.get("Enabled") or state != "active" else "disabled"
    missing = "; ".join(item.get("Missing") or [])
    return f"  {info.get('Name', '?')}  [{info.get('Type', '?')}]  {shown}" + (f"  ({missing})" if missing else "")
