"""compact_history: old messages archived, the summary takes the place where they began."""

from goclaw_actors.brain.history_reads import session_history
from tests.unit.store_fixtures import transaction


def add(conn, session, role, content, agent="default"):
    return conn.execute("INSERT INTO messages (session_id, agent_id, role, content, tokens, created_at) "
                        "VALUES (?, ?, ?, ?, 1, '2026-01-01 00:00:00.000000')",
                        (session, agent, role, content)).lastrowid


def test_compaction_archives_and_places_summary_first(conn):
    ids = [add(conn, "s", "user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(6)]
    other = add(conn, "s", "user", "other agent", agent="coder")
    conn.commit()
    with transaction(conn) as q:
        assert q.compact_history("s", "default", ids[:4], "they talked") == 4
    history = session_history(conn, "s", "default")
    assert [m["content"] for m in history] == ["Previous conversation summary: they talked", "m4", "m5"]
    assert history[0]["role"] == "system"
    assert [m["content"] for m in session_history(conn, "s", "coder")] == ["other agent"]
    assert other not in ids


def test_compaction_of_nothing_changes_nothing(conn):
    add(conn, "s", "user", "m0")
    with transaction(conn) as q:
        assert q.compact_history("s", "default", [], "x") == 0
    assert [m["content"] for m in session_history(conn, "s", "default")] == ["m0"]
