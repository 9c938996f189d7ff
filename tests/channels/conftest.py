"""Fixtures for Telegram channel tests: the fake Bot API, a streaming fake provider, and an in-process daemon
whose channel polls the fake."""

import pykka
import pytest

from supervisors.daemon import Daemon
from supervisors.gateway_context import DaemonGatewayContext
from supervisors.health import HealthProbe
from tests.channels.fake_bot_api import OWNER, TOKEN, FakeBotApi
from tests.dashboard.fake_provider import echo_provider, provider_env


def telegram_config(bot: FakeBotApi, **extra) -> str:
    """The `channels.telegram` section pointing at `bot` (short polls, quick backoff)."""
    lines = ["channels:", "  telegram:", "    enabled: true", f"    api_base_url: {bot.url}",
             f"    allowed_ids: [{OWNER}]", "    poll_timeout_seconds: 2", "    max_backoff_seconds: 1"]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def bot():
    """The fake Bot API."""
    with FakeBotApi() as server:
        yield server


@pytest.fixture
def provider_pause():
    """Seconds between the provider's three streamed parts (parametrize a test to change it)."""
    return 0.02


@pytest.fixture
def provider(provider_pause):
    """An OpenAI-compatible provider streaming `you said: …` in three parts."""
    with echo_provider(pause=provider_pause) as server:
        yield server


@pytest.fixture
def start_daemon(tmp_path, provider):
    """Starts an in-process daemon with extra config.yaml text and environment; shut down after the test."""
    started: list[Daemon] = []

    def start(config: str, env: dict[str, str] | None = None, name: str = "home", agents: str = "[]") -> Daemon:
        home = tmp_path / name
        home.mkdir(exist_ok=True)
        (home / "config.yaml").write_text(f"agents: {agents}\nworker_count: 2\nbind_addr: 127.0.0.1:0\n"
                                          "llm:\n  provider: openai\n  openai_model: gpt-test\n" + config)
        environ = {"GOCLAW_HOME": str(home), "GOCLAW_AUTH_TOKEN": "test-token", "TELEGRAM_TOKEN": TOKEN,
                   **provider_env(provider), **(env or {})}
        daemon = Daemon(home, environ, tmp_path)
        daemon.start()
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.shutdown()
    assert not pykka.ActorRegistry.get_all(), "actors left running"


def context(daemon: Daemon) -> DaemonGatewayContext:
    """The gateway context of an in-process daemon."""
    rt = daemon.runtime
    return DaemonGatewayContext(rt, daemon.boot.token, daemon.boot.home, HealthProbe(rt).health)
