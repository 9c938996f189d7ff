"""DirectoryWatch (watchfiles): edits in place, saves by rename and deletions of the named files are reported,
other files of the directory are not; a directory that cannot be watched is E_CONFIG_WATCHER_START."""

import os

import gevent
import pytest

from goclaw_actors.errors import StartupError
from goclaw_actors.file_watch import DirectoryWatch


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
