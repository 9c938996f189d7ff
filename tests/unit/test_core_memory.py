"""Core memory (SPEC §6): what a turn injects (top 10, relevance ≥ 0.1, by relevance then key, within the
character cap), the block shown to the model, and the store's reinforcement and decay arithmetic."""

import pytest

from goclaw_actors.agent_memory import core_memory as cm
from goclaw_actors.store.knowledge_reads import agent_memories
from tests.unit.store_fixtures import transaction


def memory(key, relevance, value="v"):
    return {"key": key, "value": value, "relevance_score": relevance}


def test_injection_takes_the_ten_most_relevant_at_or_above_the_floor_by_relevance_then_key():
    memories = [memory(f"k{i:02d}", 0.5) for i in range(12)] + [memory("top", 0.9), memory("low", 0.099),
                                                                 memory("floor", 0.1), memory("b", 0.95),
                                                                 memory("a", 0.95)]
    injected = [m["key"] for m in cm.select_injected(memories)]
    assert injected == ["a", "b", "top", "k00", "k01", "k02", "k03", "k04", "k05", "k06"]
    assert "low" not in [m["key"] for m in cm.ranked(memories)]
    assert [m["key"] for m in cm.ranked([memory("floor", 0.1)])] == ["floor"]


def test_the_character_cap_leaves_out_what_does_not_fit():
    big = "x" * 1000
    memories = [memory(f"m{i}", 1.0 - i / 100, big) for i in range(5)] + [memory("small", 0.5, "tiny")]
    injected = cm.select_injected(memories)
    assert [m["key"] for m in injected] == ["m0", "m1", "m2", "small"]  # a fourth 1004-char line does not fit
    text = cm.core_memory_text(injected)
    used = len("\n".join(cm.memory_line(m) for m in injected))
    assert used <= cm.CHAR_LIMIT
    assert text.splitlines()[-1] == f"(core memory: {used} of {cm.CHAR_LIMIT} characters used)"
    assert text.splitlines()[0] == "m0: " + big
    assert cm.core_memory_text([]) == ""


def test_keys_and_values_are_checked():
    assert cm.check_key(" lang ") == "lang"
    for bad in ("", "two words", "x" * 65, "a\x00b", None):
        with pytest.raises(cm.MemoryInputError):
            cm.check_key(bad)
    assert cm.check_value("line one\nline two") == "line one\nline two"
    for bad in ("", "   ", "x" * 1001, "bell\x07"):
        with pytest.raises(cm.MemoryInputError):
            cm.check_value(bad)


def test_after_turn_arithmetic():
    assert cm.after_turn(1.0, injected=True) == 1.0 * 0.95
    assert cm.after_turn(0.5, injected=True) == (0.5 + 0.05) * 0.95
    assert cm.after_turn(0.98, injected=True) == 1.0 * 0.95  # capped at 1.0 before the decay
    assert cm.after_turn(0.5, injected=False) == 0.5 * 0.95


def scores(conn, agent="default"):
    return {m["key"]: (m["relevance_score"], m["access_count"], m["last_accessed"])
            for m in agent_memories(conn, agent)}


def test_the_store_reinforces_injected_memories_and_decays_them_all_in_one_write(conn):
    with transaction(conn) as q:
        assert q.memory_set("default", "a", "1") is True
        q.memory_set("default", "b", "2")
        q.memory_set("default", "c", "3")
        q.memory_set("coder", "other", "x")
        conn.execute("UPDATE agent_memories SET relevance_score = 0.5 WHERE key = 'b'")
        conn.execute("UPDATE agent_memories SET relevance_score = 0.98 WHERE key = 'c'")
    expected = {"a": 1.0, "b": 0.5, "c": 0.98}
    for turn in range(3):
        with transaction(conn) as q:
            assert q.memory_turn("default", ["a", "b", "a"]) == 3
        expected = {key: cm.after_turn(value, key in ("a", "b")) for key, value in expected.items()}
        got = scores(conn)
        assert {key: got[key][0] for key in expected} == expected  # exactly the same floating-point arithmetic
    assert got["a"][1] == 3 and got["b"][1] == 3 and got["c"][1] == 0
    assert got["a"][2] is not None and got["c"][2] is None
    assert scores(conn, "coder")["other"][0] == 1.0  # another agent's memories are untouched


def test_remembering_again_restores_full_relevance_and_keeps_the_use_count(conn):
    with transaction(conn) as q:
        q.memory_set("default", "lang", "Go")
        q.memory_turn("default", ["lang"])
        assert q.memory_set("default", "lang", "Python") is False
    (key, value, relevance, uses), = conn.execute(
        "SELECT key, value, relevance_score, access_count FROM agent_memories").fetchall()
    assert (key, value, relevance, uses) == ("lang", "Python", 1.0, 1)


def test_changes_write_their_audit_row_in_the_same_transaction(conn):
    audit = {"action": "memory.set", "decision": "allow", "reason": "chat_command", "policy_version": "p",
             "subject": "default:lang", "trace_id": "t1"}
    with transaction(conn) as q:
        q.memory_set("default", "lang", "Go", audit=audit)
        assert q.memory_delete("default", "nothing", audit={**audit, "action": "memory.delete"}) is False
        assert q.memory_clear("default", audit={**audit, "action": "memory.clear"}) == 1
    rows = conn.execute("SELECT action, decision, reason, subject, trace_id FROM audit_log "
                        "WHERE action LIKE 'memory.%' ORDER BY created_at, rowid").fetchall()
    assert rows == [("memory.set", "allow", "chat_command", "default:lang", "t1"),
                    ("memory.delete", "allow", "chat_command", "default:lang", "t1"),
                    ("memory.clear", "allow", "chat_command", "default:lang", "t1")]
