"""Store ops for client-sent conversations: replace_history and enqueue_chat_with_history (one transaction)."""

import json

import pytest

from goclaw_actors.errors import AgentNotFound, QueueSaturated, StoreError
from tests.unit.store_fixtures import transaction


def history(conn, session_id="s1", agent_id="default"):
    return conn.execute(
        "SELECT role, content, tool_call_id, tool_calls_json FROM messages WHERE session_id = ? AND agent_id = ? "
        "ORDER BY id", (session_id, agent_id)).fetchall()


def counts(conn):
    return tuple(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("tasks", "messages", "task_events"))


CONVERSATION = [
    {"role": "system", "content": "be brief"},
    {"role": "user", "content": "weather?"},
    {"role": "assistant", "content": None,
     "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
    {"role": "tool", "content": "sunny", "tool_call_id": "c1"},
]


def test_replace_history_replaces_only_that_session_and_agent(conn):
    with transaction(conn) as q:
        q.upsert_agent("other", {})
        q.enqueue("s1", {"content": "old"})
        q.enqueue("s1", {"content": "kept"}, agent_id="other")
        assert q.replace_history("s1", "default", CONVERSATION) == 4
    assert history(conn) == [
        ("system", "be brief", None, None), ("user", "weather?", None, None),
        ("assistant", "", None, json.dumps(CONVERSATION[2]["tool_calls"])), ("tool", "sunny", "c1", None)]
    assert history(conn, agent_id="other") == [("user", "kept", None, None)]


def test_replace_history_creates_the_session_and_rejects_bad_roles(conn):
    with transaction(conn) as q:
        q.replace_history("fresh", "default", [])
    assert conn.execute("SELECT COUNT(*) FROM sessions WHERE id = 'fresh'").fetchone() == (1,)
    with pytest.raises(StoreError, match="unknown message role"):
        with transaction(conn) as q:
            q.replace_history("fresh", "default", [{"role": "robot", "content": "x"}])


def test_enqueue_with_history_is_one_write_ending_with_the_turn(conn):
    with transaction(conn) as q:
        q.enqueue("s1", {"content": "stale"})
        result = q.enqueue_chat_with_history(
            "s1", {"content": "and tomorrow?"}, CONVERSATION + [{"role": "user", "content": "and tomorrow?"}])
    assert result["created"] is True
    assert [row[:2] for row in history(conn)][-2:] == [("tool", "sunny"), ("user", "and tomorrow?")]
    assert "stale" not in [row[1] for row in history(conn)]
    payload = conn.execute("SELECT payload FROM tasks WHERE id = ?", (result["task_id"],)).fetchone()[0]
    assert json.loads(payload) == {"content": "and tomorrow?"}


@pytest.mark.parametrize("agent_id, depth, error", [("nope", 0, AgentNotFound), ("default", 1, QueueSaturated)])
def test_refused_enqueue_leaves_history_untouched(conn, agent_id, depth, error):
    with transaction(conn) as q:
        q.upsert_agent("default", {"max_queue_depth": depth})
        q.enqueue("s1", {"content": "first"})
    before = counts(conn), history(conn)
    with pytest.raises(error):
        with transaction(conn) as q:
            q.enqueue_chat_with_history("s1", {"content": "x"}, [{"role": "user", "content": "x"}], agent_id=agent_id)
    assert (counts(conn), history(conn)) == before


def test_known_idempotency_key_returns_the_task_and_keeps_history(conn):
    with transaction(conn) as q:
        first = q.enqueue_chat_with_history("s1", {"content": "hi"}, [{"role": "user", "content": "hi"}],
                                            idempotency_key="k1")
        again = q.enqueue_chat_with_history("s1", {"content": "other"}, [{"role": "user", "content": "other"}],
                                            idempotency_key="k1")
    assert again == {"task_id": first["task_id"], "created": False}
    assert history(conn) == [("user", "hi", None, None)]
