"""In-process daemons for REST/A2A tests: custom config and environment, the HTTP base URL, a client."""

import contextlib
from pathlib import Path
from typing import Iterator

import pykka
import requests

from supervisors.daemon import Daemon
from supervisors.gateway_context import DaemonGatewayContext
from supervisors.health import HealthProbe

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BASE_CONFIG = "worker_count: 2\nbind_addr: 127.0.0.1:0\ndrain_timeout_seconds: 0.2\n"


class Api:
    """A requests session on the daemon's port that always sends the daemon token."""

    def __init__(self, daemon: Daemon):
        self.daemon = daemon
        self.base = f"http://127.0.0.1:{daemon.boot.listener.getsockname()[1]}"
        self.http = requests.Session()
        self.http.headers.update(AUTH)

    def get(self, path: str, **kwargs) -> requests.Response:
        """GET `path` with the token."""
        return self.http.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        """POST `path` with the token."""
        return self.http.post(self.base + path, timeout=30, **kwargs)

    def context(self) -> DaemonGatewayContext:
        """The daemon's gateway context (for enqueueing and waiting in tests)."""
        rt, boot = self.daemon.runtime, self.daemon.boot
        return DaemonGatewayContext(rt, boot.token, boot.home, HealthProbe(rt).health)

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.close()


@contextlib.contextmanager
def running_daemon(tmp_path: Path, config: str | None = "agents: []\n", environ: dict[str, str] | None = None
                   ) -> Iterator[Api]:
    """A started daemon on a fresh home with `config` (plus BASE_CONFIG); stopped on exit. With `config`
    None, the home's config.yaml is left as it is (a restart)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)  # a test may lay files (skills, policy.yaml) in it first
    if config is not None:
        (home / "config.yaml").write_text(BASE_CONFIG + config)
    env = {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": TOKEN, **(environ or {})}
    daemon = Daemon(home, env, tmp_path)
    daemon.start()
    api = Api(daemon)
    try:
        yield api
    finally:
        api.close()
        daemon.shutdown()
        assert not pykka.ActorRegistry.get_all(), "actors left running"


SCOPED_KEY = "scoped-key-0123456789"
SCOPED_KEY_CONFIG = f"""
gateway:
  auth:
    enabled: true
    keys:
      - key: {SCOPED_KEY}
        description: default only
        agent_ids: [default]
"""
"""config.yaml lines adding one gateway API key allowed to address only the `default` agent."""
