"""The brain inside the real daemon: a provider answers through the queue; an agent loop survives kill -9."""

import json
import sqlite3
from dataclasses import replace

from tests.brain.fake_server import FakeServer, json_reply
from tests.helpers import insert_task, wait_until


def completion(content, prompt_tokens=11, completion_tokens=3):
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-test",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def task_row(db_path, task_id):
    with sqlite3.connect(db_path, timeout=5) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone())


def openai_env(server):
    return {"OPENAI_API_KEY": "sk-test-0123456789abcdefghij", "OPENAI_BASE_URL": server.url + "/v1"}


def test_a_chat_task_is_answered_by_the_configured_provider(home, daemons):
    def answer(seen):
        last = seen.body["messages"][-1]["content"]
        return json_reply(completion(f"you said: {last}"))

    with FakeServer(handler=answer) as server:
        daemon = daemons(home, env=openai_env(server)).start().wait_healthy()
        with sqlite3.connect(daemon.db_path) as conn:
            task_id = insert_task(conn, "ping")
        wait_until(lambda: task_row(daemon.db_path, task_id)["status"] == "SUCCEEDED", timeout=15)
        row = task_row(daemon.db_path, task_id)
        assert json.loads(row["result"])["reply"] == "you said: ping"
        assert (row["prompt_tokens"], row["completion_tokens"]) == (11, 3)
        request = server.seen[-1]
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == "Bearer sk-test-0123456789abcdefghij"
        roles = [m["role"] for m in request.body["messages"]]
        assert roles[0] == "system" and roles.count("user") == 1
        assert daemon.terminate() == 0


def test_agent_loop_resumes_from_its_checkpoint_after_kill_9(home, daemons):
    (home / "config.yaml").write_text(
        "worker_count: 2\nagents:\n  - agent_id: looper\n    loop: {enabled: true, max_steps: 6}\n")
    slow_steps = FakeServer(handler=lambda seen: replace(json_reply(completion("still working")), delay=0.4))
    with slow_steps as server:
        daemon = daemons(home, env=openai_env(server)).start().wait_healthy()
        with sqlite3.connect(daemon.db_path) as conn:
            task_id = insert_task(conn, "build it", agent_id="looper")

        def checkpoint_step():
            with sqlite3.connect(daemon.db_path, timeout=5) as conn:
                row = conn.execute("SELECT current_step FROM loop_checkpoints WHERE task_id = ?",
                                   (task_id,)).fetchone()
            return row[0] if row else 0

        wait_until(lambda: checkpoint_step() >= 2, timeout=15, what="two loop checkpoints")
        daemon.kill9()
    saved_step = checkpoint_step()
    assert saved_step < 6

    def finish(seen):
        return json_reply(completion("all done TASK_COMPLETE"))

    with FakeServer(handler=finish) as server:
        second = daemons(home, env=openai_env(server)).start().wait_healthy()
        wait_until(lambda: task_row(second.db_path, task_id)["status"] == "SUCCEEDED", timeout=20)
        first_prompt = server.seen[0].body["messages"][-1]["content"]
        assert first_prompt.startswith(f"Continue working on the task.\n\n[Loop step {saved_step + 1}/6")
        assert json.loads(task_row(second.db_path, task_id)["result"])["reply"] == "all done TASK_COMPLETE"
        assert second.terminate() == 0


def test_an_agent_created_with_its_own_key_uses_it(home, daemons):
    from tests.gateway.acp_client import AcpClient

    def answer(seen):
        return json_reply(completion(f"key {seen.headers['authorization'][-6:]}"))

    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nllm: {provider: openai}\n")
    with FakeServer(handler=answer) as server:
        daemon = daemons(home, env={"OPENAI_BASE_URL": server.url + "/v1", "GOCLAW_AUTH_TOKEN": "t0k"})
        daemon.start().wait_healthy()
        acp = AcpClient(daemon.port, token="t0k").hello()
        created = acp.request("agent.create", {"agent_id": "keyed", "api_key": "sk-own-key-123456"})
        assert created["result"]["status"] == "active"
        acp.close()
        with sqlite3.connect(daemon.db_path) as conn:
            task_id = insert_task(conn, "hello", agent_id="keyed")
        wait_until(lambda: task_row(daemon.db_path, task_id)["status"] == "SUCCEEDED", timeout=15)
        assert json.loads(task_row(daemon.db_path, task_id)["result"])["reply"] == "key 123456"
        assert daemon.terminate() == 0
