"""Memory tools: notes in the workspace whatever allow_paths says; appends; search ranking."""

import pytest

from goclaw_actors.tools.errors import PolicyDenied
from goclaw_actors.tools.memory_tools import memory_read, memory_search, memory_write
from tests.unit.tool_fixtures import context, make_env


def test_notes_stay_in_the_workspace_even_when_allow_paths_lists_other_roots(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    env = make_env(tmp_path / "home", f"allow_paths: [{other}]")
    assert memory_write(env, {"path": "n/today.md", "content": "one\n"}, context()) == "wrote n/today.md (4 bytes)"
    assert memory_write(env, {"path": "n/today.md", "content": "two\n", "append": True}, context()) == \
        "appended to n/today.md (8 bytes)"
    assert memory_read(env, {"path": "n/today.md"}, context()) == "one\ntwo\n"
    with pytest.raises(PolicyDenied):
        memory_write(env, {"path": str(other / "x.md"), "content": "x"}, context())
    assert memory_write(env, {"path": "fresh.md", "content": "new\n", "append": True}, context()).startswith(
        "appended to fresh.md")


def test_search_ranks_lines_by_the_query_words_they_hold(tmp_path):
    env = make_env(tmp_path / "home")
    (env.workspace / "a.md").write_text("red apples\ngreen apples and pears\nnothing here\n")
    (env.workspace / ".hidden.md").write_text("green apples secret\n")
    (env.workspace / "sub").mkdir()
    (env.workspace / "sub" / "b.txt").write_text("green grass\n")
    found = memory_search(env, {"query": "Green apples"}, context()).splitlines()
    assert found == ["a.md:2: green apples and pears", "a.md:1: red apples", "sub/b.txt:1: green grass"]
    assert memory_search(env, {"query": "zebra"}, context()) == "no memory matches 'zebra'"
