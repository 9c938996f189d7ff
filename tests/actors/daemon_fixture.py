"""An in-process daemon (the real start-up and tree) for tests that need its gateway context."""

import pykka
import pytest

from supervisors.daemon import Daemon
from supervisors.gateway_context import DaemonGatewayContext
from supervisors.health import HealthProbe


@pytest.fixture
def daemon(tmp_path, request):
    """A started Daemon on a fresh home (default agent only, port 0); shut down after the test.

    A test module may define a `daemon_config` fixture returning more config.yaml text.
    """
    try:
        extra = request.getfixturevalue("daemon_config")
    except pytest.FixtureLookupError:
        extra = ""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.yaml").write_text("agents: []\nworker_count: 2\nbind_addr: 127.0.0.1:0\n" + extra)
    instance = Daemon(home, {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "test-token"}, tmp_path)
    instance.start()
    yield instance
    instance.shutdown()
    assert not pykka.ActorRegistry.get_all(), "actors left running"


@pytest.fixture
def ctx(daemon):
    """The gateway context of the in-process daemon."""
    rt = daemon.runtime
    return DaemonGatewayContext(rt, daemon.boot.token, daemon.boot.home, HealthProbe(rt).health)
