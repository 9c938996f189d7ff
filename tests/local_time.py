"""Local time in tests: a fixture that sets TZ for the test process, as a user of the daemon would."""

import time

import pytest
import tzlocal


@pytest.fixture
def berlin_tz(monkeypatch):
    """Local time is Europe/Berlin (DST: 2030 clocks go forward 31 Mar 01:00Z, back 27 Oct 01:00Z) for the test."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    tzlocal.reload_localzone()
    yield
    monkeypatch.undo()
    time.tzset()
    tzlocal.reload_localzone()
