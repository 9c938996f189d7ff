"""Fixtures for end-to-end tests: a fresh GOCLAW_HOME and daemons that are always cleaned up."""

import pytest

from tests.helpers import DaemonProcess


@pytest.fixture
def home(tmp_path):
    """A fresh GOCLAW_HOME holding only the default agent (keeps lanes few and start-up quick)."""
    path = tmp_path / "home"
    path.mkdir()
    (path / "config.yaml").write_text("agents: []\nworker_count: 4\n", encoding="utf-8")
    return path


@pytest.fixture
def daemons():
    """Creates DaemonProcess objects and kills whatever is left at teardown."""
    made: list[DaemonProcess] = []

    def make(home, **kwargs) -> DaemonProcess:
        daemon = DaemonProcess(home, **kwargs)
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        daemon.stop()
