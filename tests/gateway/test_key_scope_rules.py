"""A gateway API key scoped to some agents stays with them (SPEC §9.2): it cannot purge or follow another
agent's sessions, decide approvals, manage another agent's schedules, change daemon-wide settings, or read
another agent's plan executions. Against the running daemon, over its real socket."""

import uuid

import pytest
import requests

from goclaw_actors.http.chat_tasks import ChatRequest, enqueue_chat, wait_terminal
from tests.gateway.acp_client import AcpClient, port_of
from tests.gateway.rest_fixtures import SCOPED_KEY, SCOPED_KEY_CONFIG, running_daemon
from tests.gateway.test_rest_routes import PLANS_CONFIG
from tests.helpers import wait_until

# The plans of the REST tests (`solo` runs on `coder` only) and one running on `default` only; the key
# may address `default` only.
CONFIG = PLANS_CONFIG + "  - name: mine\n    steps:\n      - {id: only, agent_id: default, prompt: x}\n" + \
    SCOPED_KEY_CONFIG
NOT_CODER = (1000, 'api key not permitted for agent "coder"')


def not_for_method(name: str) -> tuple[int, str]:
    return 1000, f'api key not permitted for method "{name}"'


@pytest.fixture
def daemon(tmp_path):
    """(api with the token, ACP client with the token, ACP client with the key scoped to `default`)."""
    with running_daemon(tmp_path, CONFIG) as api:
        full = AcpClient(port_of(api)).hello()
        scoped = AcpClient(port_of(api), token=SCOPED_KEY).hello()
        try:
            yield api, full, scoped
        finally:
            full.close()
            scoped.close()


def chat(api, agent_id: str, session_id: str) -> str:
    ctx = api.context()
    task_id = enqueue_chat(ctx, ChatRequest(agent_id, session_id, f"hello {agent_id}"))
    assert wait_terminal(ctx, task_id, timeout=10).status == "SUCCEEDED"
    return task_id


def test_sessions_with_another_agents_data_cannot_be_purged_or_followed(daemon):
    api, full, scoped = daemon
    theirs, mixed, mine = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    chat(api, "coder", theirs)
    chat(api, "coder", mixed)
    chat(api, "default", mixed)
    chat(api, "default", mine)
    for session in (theirs, mixed):
        assert scoped.error("session.purge", {"session_id": session}) == NOT_CODER
        assert scoped.error("session.events.subscribe", {"session_id": session, "from_event_id": 0}) == NOT_CODER
    assert full.call("session.history", {"session_id": theirs})["items"]  # nothing was purged
    assert scoped.call("session.events.subscribe", {"session_id": mine, "from_event_id": 0})["replayed"] > 0
    assert scoped.call("session.purge", {"session_id": mine})["messages_deleted"] > 0
    assert full.call("session.purge", {"session_id": theirs})["messages_deleted"] > 0  # the token may


def test_live_events_of_another_agent_are_not_pushed_to_a_scoped_key(daemon):
    api, full, scoped = daemon
    session = str(uuid.uuid4())
    subscribed = scoped.call("session.events.subscribe", {"session_id": session, "from_event_id": 0})
    assert subscribed["replayed"] == 0
    coder_task = chat(api, "coder", session)  # another agent joins the session afterwards
    own_task = chat(api, "default", session)
    wait_until(lambda: _events_of(scoped, own_task), timeout=10, what="the key's own live events")
    seen = {event["task_id"] for event in scoped.notifications_of("session.event")}
    assert own_task in seen and coder_task not in seen


def _events_of(client: AcpClient, task_id: str) -> bool:
    client.send({"jsonrpc": "2.0", "id": "ping", "method": "system.hello"})
    client.response("ping")  # notifications that came before it are kept
    return any(event["task_id"] == task_id and event["state_to"] == "SUCCEEDED"
               for event in client.notifications_of("session.event"))


def test_approvals_are_daemon_wide(daemon):
    _, full, scoped = daemon
    approval = full.call("approval.request", {"action": "deploy", "details": "prod"})["approval_id"]
    assert scoped.error("approval.list") == not_for_method("approval.list")
    assert scoped.error("approval.respond", {"approval_id": approval, "decision": "approve"}) == \
        not_for_method("approval.respond")
    assert scoped.error("approval.request", {"action": "x"}) == not_for_method("approval.request")
    assert [item["status"] for item in full.call("approval.list")["items"]] == ["PENDING"]


def test_schedules_of_another_agent_are_neither_listed_nor_managed(daemon):
    _, full, scoped = daemon
    theirs = full.call("cron.add", {"name": "t", "cron_expr": "0 3 * * *", "agent_id": "coder"})["schedule_id"]
    mine = scoped.call("cron.add", {"name": "m", "cron_expr": "0 4 * * *"})["schedule_id"]
    assert [row["id"] for row in scoped.call("cron.list")["schedules"]] == [mine]
    assert {row["id"] for row in full.call("cron.list")["schedules"]} == {theirs, mine}
    for method in ("cron.disable", "cron.enable", "cron.remove"):
        assert scoped.error(method, {"schedule_id": theirs}) == NOT_CODER, method
    assert scoped.call("cron.disable", {"schedule_id": mine}) == {"disabled": True}
    assert scoped.call("cron.remove", {"schedule_id": mine}) == {"deleted": True}
    assert [row["enabled"] for row in full.call("cron.list")["schedules"]] == [True]  # theirs is untouched


def test_daemon_wide_settings_are_out_of_a_scoped_keys_reach(daemon):
    api, _, scoped = daemon
    config_before = (api.daemon.boot.home / "config.yaml").read_text()
    for method, params in [("config.list", {}), ("config.set", {"key": "openai", "value": "sk-evil"}),
                           ("config.model.set", {"provider": "openai", "model": "gpt-x"}),
                           ("policy.domain.add", {"domain": "evil.example"}), ("skill.enable", {"name": "x"})]:
        assert scoped.error(method, params) == not_for_method(method)
    assert (api.daemon.boot.home / "config.yaml").read_text() == config_before
    assert "evil.example" not in (api.daemon.boot.home / "policy.yaml").read_text()


def test_subtasks_of_another_agents_task_cannot_be_created(daemon):
    api, _, scoped = daemon
    parent = chat(api, "coder", str(uuid.uuid4()))
    params = {"parent_task_id": parent, "session_id": str(uuid.uuid4()), "payload": {"content": "x"}}
    assert scoped.error("subtask.create", params) == NOT_CODER


def test_rest_plan_executions_and_daemon_wide_routes(daemon):
    api, _, _ = daemon
    key = {"X-API-Key": SCOPED_KEY}
    theirs = api.post("/api/plans/solo/execute").json()["execution_id"]
    mine = requests.post(api.base + "/api/plans/mine/execute", headers=key, timeout=10).json()["execution_id"]
    response = requests.get(f"{api.base}/api/plans/executions/{theirs}", headers=key, timeout=10)
    assert (response.status_code, response.json()) == (403, {"error": 'API key not permitted for agent "coder"'})
    assert requests.get(f"{api.base}/api/plans/executions/{mine}", headers=key, timeout=10).status_code == 200
    assert api.get(f"/api/plans/executions/{theirs}").status_code == 200
    for path in ("/api/config", "/api/skills", "/api/supervision"):
        response = requests.get(api.base + path, headers=key, timeout=10)
        assert (response.status_code, response.json()) == (403, {"error": "API key not permitted for this route"})
        assert api.get(path).status_code == 200
