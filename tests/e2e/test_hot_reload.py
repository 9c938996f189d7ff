"""Hot reload through the real daemon (SPEC §2.6, §2.7): policy.yaml edited in place, replaced by rename,
made invalid, deleted and restored; config.yaml adding and removing an agent while another agent runs
tasks; `config.model.set` and SOUL.md taking effect on the next task, as a fake provider sees them."""

import json
import os
import sqlite3

import requests

from goclaw_actors.policy.policy_file import parse_policy
from goclaw_actors.policy.policy_reload import DENY_ALL
from tests.brain.fake_server import FakeServer, json_reply
from tests.e2e.test_brain_daemon import completion, openai_env
from tests.gateway.acp_client import TOKEN, AcpClient
from tests.helpers import insert_task, wait_until

APPLY_SECONDS = 2.0  # SPEC §2.7: changes are applied within 2 s
ENV = {"GOCLAW_AUTH_TOKEN": TOKEN}
POLICY = """\
allow_capabilities: [acp.read, acp.mutate{extra}]
allow_domains: [example.com]
"""


def policy_version(daemon) -> str:
    return requests.get(daemon.url + "/healthz", timeout=5).json()["policy_version"]


def query(daemon, sql, *params):
    with sqlite3.connect(daemon.db_path, timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def logged(daemon, msg, after=0):
    """The JSON log lines with message `msg`, from line `after` on."""
    return [line for line in daemon.json_lines()[after:] if line.get("msg") == msg]


def applied(daemon, text, write):
    """Write a policy with `write`, then wait (at most APPLY_SECONDS) until the daemon's version is its own."""
    expected = parse_policy(text).version
    write(text)
    wait_until(lambda: policy_version(daemon) == expected, APPLY_SECONDS, interval=0.02, what=f"policy {expected}")
    return expected


def test_policy_edits_in_place_by_rename_invalid_and_deleted(home, daemons):
    path = home / "policy.yaml"
    path.write_text(POLICY.format(extra=""))
    daemon = daemons(home, env=ENV).start().wait_healthy()
    first = policy_version(daemon)

    def in_place(text):
        with open(path, "w", encoding="utf-8") as handle:  # same inode: truncate and write
            handle.write(text)

    def by_rename(text):
        temp = home / ".policy.yaml.swp"
        temp.write_text(text)
        os.replace(temp, path)

    edited = applied(daemon, POLICY.format(extra=", tools.exec"), in_place)
    renamed = applied(daemon, POLICY.format(extra=", tools.read_file"), by_rename)
    assert len({first, edited, renamed}) == 3
    assert {row[0] for row in query(daemon, "SELECT policy_version FROM policy_versions")} >= {first, edited, renamed}

    versions_before = query(daemon, "SELECT COUNT(*) FROM policy_versions")
    mark = len(daemon.json_lines())
    in_place("allow_capabilities: [acp.read, no.such.capability]\n")
    wait_until(lambda: logged(daemon, "policy.yaml not applied; the policy in force stays", mark), APPLY_SECONDS,
               what="the invalid edit to be refused")
    assert policy_version(daemon) == renamed and daemon.healthy()
    assert query(daemon, "SELECT COUNT(*) FROM policy_versions") == versions_before  # nothing recorded
    refusal = logged(daemon, "policy.yaml not applied; the policy in force stays", mark)[0]
    assert "unknown capability: no.such.capability" in refusal["error"]

    path.unlink()
    wait_until(lambda: policy_version(daemon) == DENY_ALL.version, APPLY_SECONDS, what="deny-all")
    client = AcpClient(daemon.port)
    try:
        assert client.error("system.status") == (1000, 'policy denied capability "acp.read"')
        restored = applied(daemon, POLICY.format(extra=""), in_place)
        assert restored == first and client.call("system.status")["healthy"] is True
    finally:
        client.close()
    reasons = query(daemon, "SELECT reason, policy_version FROM audit_log WHERE action = 'policy.reload' "
                            "ORDER BY created_at")
    assert reasons == [("policy_reloaded", edited), ("policy_reloaded", renamed),
                       ("policy_missing", DENY_ALL.version), ("policy_reloaded", first)]
    assert daemon.terminate() == 0


def agent_ids(client):
    return [agent["agent_id"] for agent in client.call("agent.list")["agents"]]


def test_config_edits_add_and_remove_an_agent_without_touching_another_agents_tasks(home, daemons):
    base = "worker_count: 1\ndelegation_max_hops: 0\ndrain_timeout_seconds: 2\nagents:\n  - {agent_id: busy, worker_count: 1}\n"
    (home / "config.yaml").write_text(base)
    daemon = daemons(home, env={**ENV, "GOCLAW_DEBUG_TASK_DELAY_MS": "400"}).start().wait_healthy()
    with sqlite3.connect(daemon.db_path) as conn:
        busy_tasks = [insert_task(conn, f"job {n}", agent_id="busy") for n in range(5)]
    wait_until(lambda: query(daemon, "SELECT status FROM tasks WHERE id = ?", busy_tasks[0]) == [("RUNNING",)], 5)
    client = AcpClient(daemon.port).hello()
    try:
        (home / "config.yaml").write_text(base + "  - {agent_id: newbie, worker_count: 1}\n")
        wait_until(lambda: "newbie" in agent_ids(client), APPLY_SECONDS, what="newbie to start")
        with sqlite3.connect(daemon.db_path) as conn:
            new_task = insert_task(conn, "hello", agent_id="newbie")
        wait_until(lambda: query(daemon, "SELECT status FROM tasks WHERE id = ?", new_task) == [("SUCCEEDED",)], 5)

        mark = len(daemon.json_lines())
        (home / "config.yaml").write_text(base + "  - {agent_id: newbie, worker_count: 0}\n")  # invalid
        wait_until(lambda: logged(daemon, "config.yaml not applied; the running configuration stays", mark),
                   APPLY_SECONDS, what="the invalid edit to be refused")
        assert agent_ids(client) == ["default", "busy", "newbie"] and daemon.healthy()

        (home / "config.yaml").write_text(base)
        wait_until(lambda: "newbie" not in agent_ids(client), APPLY_SECONDS + 2, what="newbie to stop")
    finally:
        client.close()
    wait_until(lambda: {status for (status,) in query(daemon, "SELECT status FROM tasks WHERE agent_id = 'busy'")}
               == {"SUCCEEDED"}, 10, what="busy's tasks")
    for task_id in busy_tasks:  # each ran once, start to finish: no requeue, recovery or cancel
        assert [event for (event,) in query(daemon, "SELECT event_type FROM task_events WHERE task_id = ? "
                                                    "ORDER BY event_id", task_id)] == [
            "task.enqueued", "task.claimed", "task.running", "task.succeeded"]
    assert query(daemon, "SELECT attempt FROM tasks WHERE agent_id = 'busy' AND attempt != 0") == []  # none spent
    assert daemon.terminate() == 0


def test_model_set_and_soul_edits_reach_the_next_task(home, daemons):
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nllm: {provider: openai, openai_model: gpt-old}\n")
    (home / "SOUL.md").write_text("You are Alpha.\n")

    def answer(seen):
        return json_reply(completion(f"{seen.body['model']}|{seen.body['messages'][0]['content']}"))

    with FakeServer(handler=answer) as server:
        daemon = daemons(home, env={**ENV, **openai_env(server)}).start().wait_healthy()
        client = AcpClient(daemon.port).hello()

        def reply():
            with sqlite3.connect(daemon.db_path) as conn:
                task_id = insert_task(conn, "who are you?")
            wait_until(lambda: query(daemon, "SELECT status FROM tasks WHERE id = ?", task_id) == [("SUCCEEDED",)], 10)
            return json.loads(query(daemon, "SELECT result FROM tasks WHERE id = ?", task_id)[0][0])["reply"]

        try:
            assert reply() == "gpt-old|You are Alpha."
            mark = len(daemon.json_lines())
            assert client.call("config.model.set", {"provider": "openai", "model": "gpt-new"})["saved"] is True
            wait_until(lambda: logged(daemon, "config reloaded", mark), APPLY_SECONDS, what="the model change")
            assert reply() == "gpt-new|You are Alpha."  # no restart
            mark = len(daemon.json_lines())
            (home / "SOUL.md").write_text("You are Beta.\n")
            wait_until(lambda: logged(daemon, "SOUL.md changed; default agent prompt replaced", mark), APPLY_SECONDS)
            assert reply() == "gpt-new|You are Beta."
        finally:
            client.close()
        assert daemon.terminate() == 0
