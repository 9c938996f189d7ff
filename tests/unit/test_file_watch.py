"""DirectoryWatch (watchfiles): edits in place, saves by rename and deletions of the named files are reported,
other files of the directory are not; a directory that cannot be watched is E_CONFIG_WATCHER_START."""

import os

import gevent
import pytest

from goclaw_actors.errors import StartupError
from goclaw_actors.file_watch import DirectoryWatch, FilesWatch


def changes(watch, timeout_ms=2000):
    """The next batch of reported names (waiting in the threadpool, as the watcher actor does)."""
    return gevent.get_hub().threadpool.apply(watch.wait, (timeout_ms,))


@pytest.fixture
def watch(tmp_path):
    (tmp_path / "policy.yaml").write_text("a: 1\n")
    made = DirectoryWatch(tmp_path, {"policy.yaml", "SOUL.md"})
    yield made
    made.stop()
    made.close()


def test_edits_renames_and_deletions_of_watched_names_are_reported(tmp_path, watch):
    (tmp_path / "goclaw.db-wal").write_bytes(b"x" * 10)  # not watched
    assert changes(watch, 300) == frozenset()
    (tmp_path / "policy.yaml").write_text("a: 2\n")
    assert changes(watch) == {"policy.yaml"}
    temp = tmp_path / ".SOUL.md.tmp"
    temp.write_text("soul")
    os.replace(temp, tmp_path / "SOUL.md")
    assert changes(watch) == {"SOUL.md"}
    (tmp_path / "policy.yaml").unlink()
    assert changes(watch) == {"policy.yaml"}


def test_a_stopped_watch_returns_none(watch):
    watch.stop()
    assert changes(watch) is None


def test_a_directory_that_cannot_be_watched_is_a_watcher_start_failure(tmp_path):
    with pytest.raises(StartupError, match="cannot watch") as failure:
        DirectoryWatch(tmp_path / "missing", {"config.yaml"})
    assert failure.value.reason_code == "E_CONFIG_WATCHER_START"


def test_files_watch_reports_paths_in_the_directories_it_is_given(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    watch = FilesWatch()
    try:
        assert changes(watch, 200) == frozenset()  # nothing watched yet: it just waits
        watch.watch_directories({str(first), str(tmp_path / "missing")})
        assert changes(watch, 200) == frozenset()  # the wait that takes the new directories
        assert watch.unwatched == {str(tmp_path / "missing")}
        (first / "pin.md").write_text("one")
        assert str(first / "pin.md") in changes(watch)
        watch.watch_directories({str(second)})
        assert changes(watch, 200) == frozenset()
        (first / "pin.md").write_text("two")
        (second / "other.md").write_text("x")
        assert changes(watch) == {str(second / "other.md")}
        watch.stop()
        assert changes(watch) is None
    finally:
        watch.stop()
        watch.close()
