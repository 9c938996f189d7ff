"""Pins and sharing (SPEC §6): file pins are text within 50 KB inside the path policy, the blocks shown to the
model, refreshing a changed file, and that sharing exposes exactly what was named."""

import os

import pytest

from goclaw_actors.agent_memory import pins
from goclaw_actors.agent_memory.pin_refresh import check_file_pin
from goclaw_actors.agent_memory.prompt_blocks import prompt_blocks
from goclaw_actors.store.knowledge_reads import prompt_knowledge, shared_with
from goclaw_actors.tools.errors import PolicyDenied
from tests.unit.store_fixtures import transaction


@pytest.fixture
def workspace(tmp_path):
    path = tmp_path / "home" / "workspace"
    path.mkdir(parents=True)
    return path


def roots(workspace):
    return pins.pin_roots(workspace.parent, [])


def test_a_file_pin_is_text_of_at_most_50_kb_inside_the_allowed_paths(workspace, tmp_path):
    (workspace / "notes.md").write_text("héllo")
    pinned = pins.read_file_pin(pins.file_target("notes.md", *roots(workspace)))
    assert pinned.source == str(workspace / "notes.md") and pinned.content == "héllo"
    assert pinned.mtime == str(os.stat(workspace / "notes.md").st_mtime_ns)
    (workspace / "big.txt").write_bytes(b"x" * (50 * 1024 + 1))
    (workspace / "edge.txt").write_bytes(b"x" * (50 * 1024))
    (workspace / "blob.bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(pins.PinError, match="file too large"):
        pins.read_file_pin(pins.file_target("big.txt", *roots(workspace)))
    assert len(pins.read_file_pin(pins.file_target("edge.txt", *roots(workspace))).content) == 50 * 1024
    with pytest.raises(pins.PinError, match="not a text file"):
        pins.read_file_pin(pins.file_target("blob.bin", *roots(workspace)))
    with pytest.raises(pins.PinError, match="file not found"):
        pins.read_file_pin(pins.file_target("missing.md", *roots(workspace)))
    (tmp_path / "secret.txt").write_text("no")
    for outside in (str(tmp_path / "secret.txt"), "../../secret.txt", "/etc/passwd"):
        with pytest.raises(PolicyDenied):
            pins.file_target(outside, *roots(workspace))


def test_token_counts_labels_and_the_pinned_block():
    assert [pins.token_count("x" * n) for n in (0, 1, 4, 5, 8)] == [0, 1, 1, 2, 2]
    assert pins.check_label(" notes ") == "notes"
    for bad in ("two words", "a/b", "", "x" * 65):
        with pytest.raises(pins.PinError):
            pins.check_label(bad)
    items = [{"pin_type": "file", "source": "/w/spec.md", "content": "S"},
             {"pin_type": "text", "source": "todo", "content": "T"}]
    assert pins.pinned_text(items) == "--- spec.md ---\nS\n--- todo ---\nT"
    assert pins.find_pin(items, "spec.md") is items[0] and pins.find_pin(items, "/w/spec.md") is items[0]
    assert pins.find_pin(items, "todo") is items[1] and pins.find_pin(items, "nope") is None


def test_a_changed_file_is_read_again_and_a_vanished_one_keeps_its_content(workspace):
    path = workspace / "live.md"
    path.write_text("one")
    pinned = pins.read_file_pin(pins.file_target("live.md", *roots(workspace)))
    pin = {"source": pinned.source, "file_mtime": pinned.mtime}
    assert check_file_pin(pin, *roots(workspace)).unchanged
    path.write_text("two, longer")
    os.utime(path, ns=(1, int(pinned.mtime) + 1000))
    check = check_file_pin(pin, *roots(workspace))
    assert check.fresh.content == "two, longer"
    path.write_bytes(b"x" * (60 * 1024))
    assert "file too large" in check_file_pin(pin, *roots(workspace)).problem
    path.unlink()
    vanished = check_file_pin(pin, *roots(workspace))
    assert vanished.fresh is None and vanished.problem_key == "vanished"


def pin(q, agent, source, content, shared=False, pin_type="text"):
    q.pin_add(agent, pin_type, source, content, pins.token_count(content), shared=shared)


def test_sharing_exposes_exactly_what_was_named(conn):
    with transaction(conn) as q:
        for agent in ("coder", "writer", "critic"):
            q.upsert_agent(agent, {"worker_count": 1})
        q.memory_set("coder", "lang", "Go")
        q.memory_set("coder", "secret", "hunter2")
        pin(q, "coder", "plan", "the plan")
        pin(q, "coder", "flagged", "shared pin", shared=True)
        pin(q, "coder", "private", "not shared")
        q.memory_set("critic", "tone", "harsh")
        q.memory_set("critic", "private", "no")
        pin(q, "critic", "style", "style guide")
        pin(q, "critic", "unflagged", "no")
        assert q.share_add("coder", "writer", "memory", "lang") is True
        assert q.share_add("coder", "writer", "memory", "lang") is False  # once is enough
        q.share_add("coder", "writer", "pin", "plan")
        q.share_add("critic", "*", "all", None)
    memories, pins_seen = shared_with(conn, "writer")
    assert [(m["agent_id"], m["key"]) for m in memories] == [("coder", "lang"), ("critic", "private"),
                                                               ("critic", "tone")]
    assert [(p["agent_id"], p["source"]) for p in pins_seen] == [("coder", "plan")]
    memories, pins_seen = shared_with(conn, "default")  # `*` reaches every agent, `all` only flagged pins
    assert [(m["agent_id"], m["key"]) for m in memories] == [("critic", "private"), ("critic", "tone")]
    assert pins_seen == []
    assert shared_with(conn, "critic") == ([], [])  # an agent's own `*` share is not shared with itself
    blocks = prompt_blocks(prompt_knowledge(conn, "writer"))
    assert blocks.shared.splitlines() == ["From @coder: lang: Go", "From @critic: private: no",
                                          "From @critic: tone: harsh", "From @coder: --- plan ---", "the plan"]
    assert "hunter2" not in blocks.shared and "not shared" not in blocks.shared
    with transaction(conn) as q:
        assert q.share_remove("coder", "writer", "memory", "lang") is True
        assert q.share_remove("coder", "writer", "memory", "lang") is False
    assert [m["key"] for m in shared_with(conn, "writer")[0]] == ["private", "tone"]
