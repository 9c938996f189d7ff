"""File tools jailed by the path policy (SPEC §5.3): `..`, absolute paths, symlinks out, a race on write."""

import os

import pytest

from goclaw_actors.tools import file_tools
from goclaw_actors.tools.errors import PolicyDenied, ToolError
from goclaw_actors.tools.path_jail import PATH_DENIED, write_bytes
from tests.unit.tool_fixtures import context, make_env


@pytest.fixture
def env(tmp_path):
    return make_env(tmp_path / "home")


def call(fn, env, **arguments):
    return fn(env, arguments, context())


def test_relative_paths_are_in_the_workspace_and_writes_create_parents(env):
    assert call(file_tools.write_file, env, path="a/b/c.txt", content="hello").startswith("wrote 5 bytes")
    assert (env.workspace / "a/b/c.txt").read_text() == "hello"
    assert call(file_tools.read_file, env, path="a/b/c.txt") == "hello"
    assert call(file_tools.read_file, env, path=str(env.workspace / "a/b/c.txt")) == "hello"
    assert call(file_tools.list_directory, env, path="a") == "b/"


@pytest.mark.parametrize("path", ["../config.yaml", "a/../../config.yaml", "/etc/passwd", "/", "..",
                                  "a\x00b"])
def test_paths_outside_the_workspace_are_denied(env, path):
    for fn, extra in ((file_tools.read_file, {}), (file_tools.write_file, {"content": "x"}),
                      (file_tools.list_directory, {})):
        with pytest.raises(PolicyDenied) as denied:
            call(fn, env, path=path, **extra)
        assert denied.value.reason == PATH_DENIED


def test_a_symlink_out_of_the_jail_is_denied_for_reading_and_writing(env, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret")
    os.symlink(outside, env.workspace / "link")
    os.symlink(outside / "secret.txt", env.workspace / "secret-link.txt")
    for path in ("link/secret.txt", "secret-link.txt"):
        with pytest.raises(PolicyDenied):
            call(file_tools.read_file, env, path=path)
    with pytest.raises(PolicyDenied):
        call(file_tools.write_file, env, path="link/new.txt", content="x")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_a_symlink_that_stays_inside_is_followed(env):
    (env.workspace / "real").mkdir()
    (env.workspace / "real" / "f.txt").write_text("inside")
    os.symlink(env.workspace / "real", env.workspace / "alias")
    assert call(file_tools.read_file, env, path="alias/f.txt") == "inside"


def test_a_directory_swapped_for_a_symlink_after_the_check_does_not_escape(env, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (env.workspace / "dir").mkdir()
    checked = file_tools.target(env, "dir/file.txt")  # the check passes: dir is a real directory
    os.rename(env.workspace / "dir", env.workspace / "dir-old")
    os.symlink(outside, env.workspace / "dir")  # then an attacker swaps it for a link out of the jail
    with pytest.raises(PolicyDenied, match="changed while in use"):
        write_bytes(checked, b"escaped?")
    assert list(outside.iterdir()) == []


def test_writes_are_atomic_and_keep_the_file_mode(env):
    path = env.workspace / "keep.sh"
    path.write_text("old")
    path.chmod(0o750)
    call(file_tools.write_file, env, path="keep.sh", content="new")
    assert path.read_text() == "new" and (path.stat().st_mode & 0o777) == 0o750
    assert [p.name for p in env.workspace.iterdir() if p.name.startswith(".")] == []


def test_edit_requires_exactly_one_match(env):
    (env.workspace / "e.txt").write_text("one two two")
    assert call(file_tools.edit_file, env, path="e.txt", old_text="one", new_text="1") == \
        f"edited {env.workspace / 'e.txt'}"
    assert (env.workspace / "e.txt").read_text() == "1 two two"
    with pytest.raises(ToolError, match="matches 2 times"):
        call(file_tools.edit_file, env, path="e.txt", old_text="two", new_text="2")
    with pytest.raises(ToolError, match="matches 0 times"):
        call(file_tools.edit_file, env, path="e.txt", old_text="three", new_text="3")
    assert (env.workspace / "e.txt").read_text() == "1 two two"


def test_reads_and_listings_are_capped(env):
    (env.workspace / "big.txt").write_text("x" * (file_tools.MAX_READ_BYTES + 10))
    text = call(file_tools.read_file, env, path="big.txt")
    assert text.endswith(f"[File truncated at {file_tools.MAX_READ_BYTES} bytes]")
    many = env.workspace / "many"
    many.mkdir()
    for i in range(205):
        (many / f"f{i:03d}").touch()
    lines = call(file_tools.list_directory, env, path="many").splitlines()
    assert lines[0] == "f000" and lines[199] == "f199" and lines[200] == "... (5 more entries)"


def test_allow_paths_replace_the_workspace_as_roots(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    env = make_env(tmp_path / "home", f"allow_paths: [{shared}]")
    assert call(file_tools.write_file, env, path=str(shared / "s.txt"), content="s").startswith("wrote")
    with pytest.raises(PolicyDenied):
        call(file_tools.write_file, env, path="in-workspace.txt", content="x")
