"""The dashboard's controller and client against a real in-process daemon: chat through the durable
queue with streamed replies and status lines, commands, @mentions, approvals, keys."""

import json

import pytest
import yaml

from goclaw_actors.dashboard.controller import Controller
from goclaw_actors.dashboard.daemon_api import DaemonApi, Endpoint
from goclaw_actors.dashboard.keys import CTRL_A, CTRL_N, KeyHandler
from goclaw_actors.dashboard.poller import load_approvals, refresh
from goclaw_actors.dashboard.screen import ViewState, render_screen
from goclaw_actors.dashboard.frame import line_text
from goclaw_actors.dashboard.state import DashboardState
from tests.dashboard.fake_provider import echo_provider, provider_env
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import TOKEN, running_daemon
from tests.helpers import wait_until


@pytest.fixture
def api(tmp_path):
    with echo_provider() as server, running_daemon(tmp_path, environ=provider_env(server)) as api:
        yield api


@pytest.fixture
def dash(api):
    endpoint = Endpoint.for_bind_addr(f"127.0.0.1:{port_of(api)}", TOKEN)
    state = DashboardState(bind_addr=endpoint.bind_addr)
    client = DaemonApi(endpoint)
    controller = Controller(client, state)
    client.on_notification = controller.on_notification
    refresh(client, state)
    yield controller
    client.close()


def texts(state, kind=None):
    return [entry.text for entry in state.chat if kind is None or entry.kind == kind]


def test_a_chat_streams_its_reply_with_task_status_lines(dash):
    state = dash.state
    task_id = dash.chat("default", "hello")["id"]
    assert texts(state, "user") == ["hello"]
    reply = next(entry for entry in state.chat if entry.kind == "reply")
    assert reply.text == "you said: hello" and reply.done
    wait_until(lambda: any("[task succeeded]" in text for text in texts(state, "status")), timeout=5)
    lines = texts(state, "status")
    assert lines[0] == f"[task queued] id={task_id} status=QUEUED"
    assert f"[task running] id={task_id} status=RUNNING" in lines
    assert lines.index(f"[task succeeded] id={task_id} status=SUCCEEDED") > 0
    refresh(dash.api, state)
    assert state.tasks[0]["id"] == task_id and state.tasks[0]["status"] == "SUCCEEDED"
    assert state.queue["SUCCEEDED"] == 1 and state.usage["total_tokens"] == 17
    assert [event["event_type"] for event in state.events][-1] == "task.succeeded"


def test_mentions_switch_and_route(dash, api):
    state = dash.state
    dash.handle("/agent new scout You look around.")
    assert texts(state, "info")[-1] == "Created agent @scout. Talk to it with @scout."
    assert state.active_agent == "default"
    dash.handle("@scout")
    assert state.active_agent == "scout" and texts(state, "info")[-1] == "Now talking to @scout."
    dash.handle("@default")
    assert state.active_agent == "default"
    dash.handle("@@scout hi there")
    assert state.active_agent == "scout"
    assert [(e.agent, e.text) for e in state.chat if e.kind == "reply"] == [("scout", "you said: hi there")]
    tasks = api.get("/api/tasks?include=payload").json()["tasks"]
    assert tasks[0]["agent_id"] == "scout" and json.loads(tasks[0]["payload"])["content"] == "hi there"
    dash.handle("@ghost hi")
    assert texts(state, "info")[-1] == "Unknown agent: @ghost. Available: @default, @scout"
    assert state.active_agent == "scout"
    dash.handle("/agent remove scout")
    assert texts(state, "info")[-1] == "Cannot remove @scout while talking to it; switch to another agent first."
    dash.handle("@default /agent remove scout")
    assert texts(state, "info")[-1] == "Removed agent @scout." and state.active_agent == "default"
    dash.refresh_agents()
    assert "scout" not in state.agent_ids()


def test_commands_go_through_the_daemon(dash, api):
    state, home = dash.state, api.daemon.home
    dash.handle("/allow Example.COM")
    assert texts(state)[-1] == "Allowed domain: example.com"
    assert "example.com" in yaml.safe_load((home / "policy.yaml").read_text())["allow_domains"]
    dash.handle("/config set brave abcd-1234")
    dash.handle("/config list")
    assert texts(state)[-1] == "API keys:\n  • brave: abcd****"
    dash.handle("/model set openai/gpt-other")
    assert texts(state)[-1] == "Model set to openai/gpt-other (applied live)"
    assert yaml.safe_load((home / "config.yaml").read_text())["llm"]["provider"] == "openai"
    dash.handle("/plans")
    assert texts(state)[-1] == "No plans configured."
    dash.handle("/skills")
    assert texts(state)[-1] == "No skills installed."
    dash.handle("/session")
    assert texts(state)[-1] == f"Session: {state.session}"
    dash.handle("/frob")
    assert texts(state)[-1] == "Unknown command: /frob (type /help for available commands)"
    dash.handle("/allow")
    assert texts(state)[-1] == "Usage: /allow <domain>"
    dash.handle("/remember editor vim")
    assert texts(state)[-1] == "Remembered: editor = vim"
    dash.handle("/help")
    assert "/remember <key> <value>" in texts(state)[-2] and texts(state)[-1].startswith("Dashboard:")
    assert not [entry for entry in state.chat if entry.kind == "reply"]  # no command reached the model
    dash.handle("hello")
    dash.handle("/clear")
    assert len(state.chat) == 1
    assert texts(state)[0] == "Conversation history with @default cleared (2 messages archived)."


def test_the_history_of_the_session_is_shown_again(dash, api):
    dash.chat("default", "remember me")
    again = Controller(dash.api, DashboardState(bind_addr="x"))
    again.load_history("default")
    assert [(e.kind, e.text) for e in again.state.chat][1:] == [("user", "remember me"),
                                                               ("reply", "you said: remember me")]


def test_approvals_are_asked_and_answered(dash, api):
    other = AcpClient(port_of(api)).hello()
    first = other.call("approval.request", {"action": "exec", "details": "ls /"})["approval_id"]
    dash.api.acp("system.hello")  # the control socket hears broadcasts once it has spoken
    second = other.call("approval.request", {"action": "write_file", "details": "a.txt"})["approval_id"]
    load_approvals(dash.api, dash.state)
    wait_until(lambda: list(dash.state.approvals) == [first, second], timeout=5)
    dash.answer_approval(True)
    assert list(dash.state.approvals) == [second]
    other.call("approval.respond", {"approval_id": second, "decision": "deny"})
    wait_until(lambda: not dash.state.approvals, timeout=5, what="approval.updated")
    statuses = {item["approval_id"]: item["status"] for item in other.call("approval.list")["items"]}
    assert statuses == {first: "APPROVED", second: "DENIED"}
    other.close()


def test_keys_drive_the_screen(dash, api):
    state, view = dash.state, ViewState()
    keys = KeyHandler(state, dash, view)
    for char in "hi":
        keys.on_key(None, char)
    keys.on_key("KEY_ENTER", "\n")
    wait_until(lambda: any(e.kind == "reply" and e.done for e in state.chat), timeout=10)
    dash.handle("/help")
    keys.page = 5
    keys.on_key("KEY_PGUP", "")
    frame, _ = render_screen(state, view, 100, 12)
    assert state.scroll == 4 and "more lines below (PgDn)" in "".join(line_text(line) for line in frame)
    keys.on_key("KEY_PGDOWN", "")
    assert state.scroll == 0
    keys.on_key(None, CTRL_A)
    assert state.view == "activity"
    frame, _ = render_screen(state, view, 100, 30)
    assert "Activity" in line_text(frame[2])
    keys.on_key(None, CTRL_A)
    keys.on_key(None, CTRL_N)
    for char in "maker":
        keys.on_key(None, char)
    for _ in range(4):
        keys.on_key("KEY_ENTER", "\n")
    for char in "Be terse.":
        keys.on_key(None, char)
    keys.on_key("KEY_ENTER", "\n")
    assert view.form is None
    wait_until(lambda: state.active_agent == "maker", timeout=10, what="agent from the form")
    other = AcpClient(port_of(api)).hello()
    dash.api.acp("system.hello")
    other.call("approval.request", {"action": "exec", "details": "x"})
    wait_until(lambda: state.approvals, timeout=5)
    keys.on_key(None, "n")
    wait_until(lambda: not state.approvals, timeout=5)
    assert texts(state, "info")[-1] == "[approval] exec: DENIED"
    other.close()
